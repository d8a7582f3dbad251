using HealthLedger.Records.Content;

namespace HealthLedger.Records.Storage;

/// <summary>Options of <see cref="FileSystemContentStore"/>.</summary>
public sealed record FileSystemContentStoreOptions
{
    /// <summary>The store's directory (created if missing).</summary>
    public required string RootDirectory { get; init; }

    /// <summary>Largest content accepted or read, in bytes (default 64 MiB).</summary>
    public long MaxContentBytes { get; init; } = 64L * 1024 * 1024;
}

/// <summary>
/// A content store in a local directory: <c>root/&lt;last two CID characters&gt;/&lt;cid&gt;</c> holds the bytes and a
/// <c>.pin</c> file beside it marks them retained. Writes go to <c>root/.tmp</c> and are renamed into place (atomic on
/// one file system, flushed to disk first). Every read re-computes the CID. Paths are built only from a parsed
/// <see cref="Cid"/> (characters <c>[a-z2-7]</c>), must resolve inside the root, and no symlink on the way is followed.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use: each write goes through a temporary file of its own and is renamed into place.</remarks>
public sealed class FileSystemContentStore : IContentStore
{
    private const string PinSuffix = ".pin";
    private readonly string _root;
    private readonly string _tmp;

    /// <summary>Opens (creating if needed) a store.</summary>
    public FileSystemContentStore(FileSystemContentStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxContentBytes, 0);
        var root = Path.GetFullPath(options.RootDirectory);
        Directory.CreateDirectory(root);
        // Resolve the root once (it may itself be a link chosen by the operator); nothing below it may be a link.
        _root = Path.TrimEndingDirectorySeparator(new DirectoryInfo(root).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? root);
        _tmp = Path.Combine(_root, ".tmp");
        Directory.CreateDirectory(_tmp);
        MaxContentBytes = options.MaxContentBytes;
    }

    /// <inheritdoc />
    public long MaxContentBytes { get; }

    /// <inheritdoc />
    public async Task<RecordResult<Cid>> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > MaxContentBytes)
        {
            return RecordResult<Cid>.Fail(RecordErrorCode.TooLarge, "content larger than the store accepts", content.Length, MaxContentBytes);
        }
        var cid = UnixFsDag.ComputeCid(content.Span);
        var located = Locate(cid, createShard: true);
        if (located.Error is { } error)
        {
            return error;
        }
        var path = located.Value;
        if (File.Exists(path))
        {
            var existing = await GetAsync(cid, cancellationToken).ConfigureAwait(false);
            if (existing.IsSuccess)
            {
                return cid;
            }
            if (existing.Error!.Code != RecordErrorCode.CidMismatch)
            {
                return existing.Error;
            }
            // A damaged copy: replaced below by the good bytes.
        }
        if (IsLink(_tmp))
        {
            return RecordResult<Cid>.Fail(RecordErrorCode.PathEscape, "the store's .tmp directory is a symbolic link");
        }
        var temp = Path.Combine(_tmp, Path.GetRandomFileName());
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(content, cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            return cid;
        }
        catch (IOException e)
        {
            return RecordResult<Cid>.Fail(RecordErrorCode.StoreUnavailable, $"write failed: {e.Message}");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <inheritdoc />
    public async Task<RecordResult<byte[]>> GetAsync(Cid cid, CancellationToken cancellationToken)
    {
        var located = Locate(cid, createShard: false);
        if (located.Error is { } error)
        {
            return error;
        }
        var path = located.Value;
        byte[] bytes;
        try
        {
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                if (stream.Length > MaxContentBytes)
                {
                    return RecordResult<byte[]>.Fail(RecordErrorCode.TooLarge, "stored content larger than the store returns", stream.Length, MaxContentBytes);
                }
                bytes = new byte[stream.Length];
                await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
                if (stream.ReadByte() != -1)
                {
                    return RecordResult<byte[]>.Fail(RecordErrorCode.CidMismatch, "stored content grew while it was read");
                }
            }
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.NotFound, $"{cid} is not in the store");
        }
        catch (IOException e)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.StoreUnavailable, $"read failed: {e.Message}");
        }
        var actual = UnixFsDag.ComputeCid(bytes);
        return actual == cid ? bytes : RecordResult<byte[]>.Fail(RecordErrorCode.CidMismatch, $"stored bytes hash to {actual}, not {cid}");
    }

    /// <inheritdoc />
    public Task<RecordResult> PinAsync(Cid cid, CancellationToken cancellationToken)
    {
        var located = Locate(cid, createShard: false);
        if (located.Error is { } error)
        {
            return Task.FromResult<RecordResult>(error);
        }
        if (!File.Exists(located.Value))
        {
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.NotFound, $"{cid} is not in the store"));
        }
        var pin = located.Value + PinSuffix;
        if (IsLink(pin))
        {
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.PathEscape, "the pin marker is a symbolic link"));
        }
        try
        {
            using (new FileStream(pin, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None))
            {
            }
            return Task.FromResult(RecordResult.Ok);
        }
        catch (IOException e)
        {
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, $"pin failed: {e.Message}"));
        }
    }

    /// <inheritdoc />
    public Task<RecordResult<bool>> HasAsync(Cid cid, CancellationToken cancellationToken)
    {
        var located = Locate(cid, createShard: false);
        if (located.Error is { } error)
        {
            return Task.FromResult<RecordResult<bool>>(error);
        }
        return Task.FromResult<RecordResult<bool>>(File.Exists(located.Value) && File.Exists(located.Value + PinSuffix));
    }

    /// <inheritdoc />
    public Task<RecordResult> RemoveAsync(Cid cid, CancellationToken cancellationToken)
    {
        var located = Locate(cid, createShard: false);
        if (located.Error is { } error)
        {
            return Task.FromResult<RecordResult>(error);
        }
        try
        {
            File.Delete(located.Value + PinSuffix);
            File.Delete(located.Value);
            return Task.FromResult(RecordResult.Ok);
        }
        catch (IOException e)
        {
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, $"remove failed: {e.Message}"));
        }
    }

    /// <summary>Content files present (pinned or not), for audits and tests.</summary>
    public IEnumerable<Cid> Enumerate()
    {
        foreach (var shard in Directory.EnumerateDirectories(_root))
        {
            if (Path.GetFileName(shard) == ".tmp" || IsLink(shard))
            {
                continue;
            }
            foreach (var file in Directory.EnumerateFiles(shard))
            {
                if (Cid.TryParse(Path.GetFileName(file), out var cid))
                {
                    yield return cid;
                }
            }
        }
    }

    /// <summary>
    /// The path of a CID's file, or <see cref="RecordErrorCode.PathEscape"/> when the shard directory or the file is
    /// a link or the path does not resolve to a child of the root.
    /// </summary>
    internal RecordResult<string> Locate(Cid cid, bool createShard)
    {
        if (cid.IsEmpty)
        {
            return RecordResult<string>.Fail(RecordErrorCode.InvalidAddress, "empty CID");
        }
        var name = cid.ToString();
        var shard = Path.Combine(_root, name[^2..]);
        var path = Path.GetFullPath(Path.Combine(shard, name));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.GetDirectoryName(path) != shard)
        {
            return RecordResult<string>.Fail(RecordErrorCode.PathEscape, "the content path leaves the store directory");
        }
        if (IsLink(shard) || IsLink(path))
        {
            return RecordResult<string>.Fail(RecordErrorCode.PathEscape, "a symbolic link inside the store directory is not followed");
        }
        if (createShard && !Directory.Exists(shard))
        {
            Directory.CreateDirectory(shard);
            if (IsLink(shard))
            {
                return RecordResult<string>.Fail(RecordErrorCode.PathEscape, "a symbolic link inside the store directory is not followed");
            }
        }
        return path;
    }

    // readlink(2) on the path itself: true for a link to a file or a directory, and for a dangling link.
    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;
}

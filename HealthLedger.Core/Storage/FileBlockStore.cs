using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using Microsoft.Win32.SafeHandles;

namespace HealthLedger.Core.Storage;

/// <summary>
/// A crash-safe, append-only block store: a directory of segment files <c>blocks-000000.dat</c>,
/// <c>blocks-000001.dat</c>, ... each starting with a 16-byte header and holding checksummed records
/// (see <c>docs/storage.md</c> for the byte layout, the fsync policy and the recovery rules).
/// </summary>
/// <remarks>
/// One writer, any number of concurrent readers. A <c>LOCK</c> file held with <see cref="FileShare.None"/>
/// stops a second store (in this or another process) from opening the same directory. The index
/// hash → (segment, offset) lives in memory and is rebuilt by scanning every segment on open.
/// Payloads are opaque bytes: the store never parses them and never re-hashes them.
/// </remarks>
public sealed class FileBlockStore : IBlockStore
{
    private readonly string _directory;
    private readonly FileBlockStoreOptions _options;
    private readonly FileStream _lockFile;
    private readonly List<SafeFileHandle> _segments;
    private readonly List<RecordLocation> _records;
    private readonly Dictionary<Hash256, int> _byHash;
    private readonly Lock _writeGate = new();
    private readonly Lock _indexGate = new();
    private long _segmentLength;
    private bool _faulted;
    private bool _disposed;

    private FileBlockStore(
        string directory,
        FileBlockStoreOptions options,
        FileStream lockFile,
        List<SafeFileHandle> segments,
        List<RecordLocation> records,
        Dictionary<Hash256, int> byHash,
        long segmentLength,
        BlockStoreOpenReport report,
        Hash256? genesisHash)
    {
        GenesisHash = genesisHash;
        _directory = directory;
        _options = options;
        _lockFile = lockFile;
        _segments = segments;
        _records = records;
        _byHash = byHash;
        _segmentLength = segmentLength;
        OpenReport = report;
    }

    /// <summary>What was found and repaired when the store was opened.</summary>
    public BlockStoreOpenReport OpenReport { get; }

    /// <inheritdoc />
    /// <remarks>Read from the <c>MANIFEST</c> file (written at creation when <see cref="FileBlockStoreOptions.ExpectedGenesisHash"/> is set).</remarks>
    public Hash256? GenesisHash { get; }

    /// <summary>The settings the store was opened with.</summary>
    public FileBlockStoreOptions Options => _options;

    /// <summary>The store directory.</summary>
    public string Directory => _directory;

    /// <inheritdoc />
    public long Count
    {
        get
        {
            lock (_indexGate)
            {
                return _records.Count;
            }
        }
    }

    /// <summary>
    /// Opens (creating it if needed) the store in <paramref name="directory"/>. Verifies every record; a torn
    /// or corrupt tail of the last segment is truncated back to the last valid record and described in
    /// <see cref="OpenReport"/>.
    /// </summary>
    /// <exception cref="BlockStoreCorruptedException">Damage that cannot be repaired without dropping valid data.</exception>
    /// <exception cref="BlockStoreLockedException">Another store has the directory open.</exception>
    /// <exception cref="BlockStoreGenesisMismatchException">
    /// <see cref="FileBlockStoreOptions.ExpectedGenesisHash"/> is set and the store belongs to another genesis, or holds
    /// blocks without a manifest (unless <see cref="FileBlockStoreOptions.AdoptStoreWithoutManifest"/>).
    /// </exception>
    /// <remarks>
    /// The directory, its segments, <c>LOCK</c> and <c>MANIFEST</c> must not be symbolic links
    /// (<see cref="BlockStoreCorruptedException"/> with <see cref="BlockStoreDamage.SymbolicLink"/>): the store never
    /// reads or writes a file outside its directory.
    /// </remarks>
    public static FileBlockStore Open(string directory, FileBlockStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        options ??= FileBlockStoreOptions.Default;
        options.Validate();
        directory = Path.GetFullPath(directory);
        System.IO.Directory.CreateDirectory(directory);
        StoreFiles.RefuseLink(directory);

        var lockFile = AcquireLock(directory);
        var segments = new List<SafeFileHandle>();
        try
        {
            var records = new List<RecordLocation>();
            var byHash = new Dictionary<Hash256, int>();
            var numbers = ListSegments(directory);
            var genesisHash = CheckGenesis(directory, options, numbers);
            var damage = BlockStoreDamage.None;
            long truncated = 0;
            int? damagedSegment = null;
            long? damagedOffset = null;
            long lastLength;

            if (numbers.Count == 0)
            {
                segments.Add(CreateSegment(directory, 0));
                lastLength = SegmentFormat.HeaderSize;
            }
            else
            {
                lastLength = 0;
                for (var i = 0; i < numbers.Count; i++)
                {
                    var isLast = i == numbers.Count - 1;
                    var path = Path.Combine(directory, SegmentFormat.FileName(i));
                    var handle = StoreFiles.OpenExisting(path, write: isLast, segment: i);
                    segments.Add(handle);
                    var scanner = new SegmentScanner(handle, RandomAccess.GetLength(handle), options.MaxRecordSize);
                    var headerDamage = scanner.CheckHeader(i);
                    if (headerDamage == BlockStoreDamage.IncompleteSegmentHeader && isLast)
                    {
                        // An interrupted segment creation: start the segment afresh.
                        RandomAccess.SetLength(handle, 0);
                        Span<byte> header = stackalloc byte[SegmentFormat.HeaderSize];
                        SegmentFormat.WriteHeader(header, i);
                        RandomAccess.Write(handle, header, 0);
                        RandomAccess.FlushToDisk(handle);
                        (damage, truncated, damagedSegment, damagedOffset) = (headerDamage, scanner.Length, i, 0);
                        lastLength = SegmentFormat.HeaderSize;
                        break;
                    }

                    if (headerDamage != BlockStoreDamage.None)
                    {
                        throw new BlockStoreCorruptedException(path, i, 0, headerDamage, "The segment header is not valid.");
                    }

                    var position = (long)SegmentFormat.HeaderSize;
                    while (position < scanner.Length)
                    {
                        var recordDamage = scanner.CheckRecord(position, out var sequence, out var hash, out var payloadLength);
                        if (recordDamage == BlockStoreDamage.None)
                        {
                            if (sequence != records.Count)
                            {
                                throw new BlockStoreCorruptedException(path, i, position, BlockStoreDamage.SequenceMismatch, $"The record says it is number {sequence}, expected {records.Count}.");
                            }

                            if (!byHash.TryAdd(hash, records.Count))
                            {
                                throw new BlockStoreCorruptedException(path, i, position, BlockStoreDamage.DuplicateHash, $"Hash {hash} is already stored as record {byHash[hash]}.");
                            }

                            records.Add(new RecordLocation(i, position, payloadLength, hash));
                            position += SegmentFormat.RecordOverhead + (long)payloadLength;
                            continue;
                        }

                        if (!isLast || recordDamage == BlockStoreDamage.RecordTooLarge)
                        {
                            throw new BlockStoreCorruptedException(path, i, position, recordDamage, isLast
                                ? $"The record declares more than the {options.MaxRecordSize}-byte maximum record size."
                                : "Only the last segment may have a damaged tail.");
                        }

                        // Incomplete record: the file ends inside it, nothing can follow. Otherwise look for any
                        // valid record after the bad one: if there is one, this is damage in the middle.
                        var resumeFrom = recordDamage switch
                        {
                            BlockStoreDamage.BadHeaderChecksum => position + 1,
                            BlockStoreDamage.BadRecordChecksum => position + SegmentFormat.RecordOverhead + (long)payloadLength,
                            _ => -1L,
                        };
                        if (resumeFrom >= 0)
                        {
                            var valid = scanner.FindValidRecord(resumeFrom);
                            if (valid >= 0)
                            {
                                throw new BlockStoreCorruptedException(path, i, position, recordDamage, $"A valid record follows at offset {valid}, so this is not a torn tail.");
                            }
                        }

                        RandomAccess.SetLength(handle, position);
                        RandomAccess.FlushToDisk(handle);
                        (damage, truncated, damagedSegment, damagedOffset) = (recordDamage, scanner.Length - position, i, position);
                        break;
                    }

                    lastLength = Math.Min(position, scanner.Length);
                }
            }

            if (genesisHash is null && options.ExpectedGenesisHash is { } adopted)
            {
                // Every segment verified: record which chain this (empty or explicitly adopted) store belongs to.
                StoreManifest.Write(directory, adopted);
                genesisHash = adopted;
            }

            var report = new BlockStoreOpenReport(records.Count, segments.Count, truncated, damage, damagedSegment, damagedOffset);
            return new FileBlockStore(directory, options, lockFile, segments, records, byHash, lastLength, report, genesisHash);
        }
        catch
        {
            foreach (var handle in segments)
            {
                handle.Dispose();
            }

            lockFile.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The hash is already stored, or an earlier append failed.</exception>
    /// <exception cref="ArgumentException">The payload is larger than <see cref="FileBlockStoreOptions.MaxRecordSize"/>.</exception>
    public void Append(Hash256 hash, ReadOnlySpan<byte> encodedBlock)
    {
        if (encodedBlock.Length > _options.MaxRecordSize)
        {
            throw new ArgumentException($"The block is {encodedBlock.Length} bytes; the maximum record size is {_options.MaxRecordSize}.", nameof(encodedBlock));
        }

        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_faulted)
            {
                throw new InvalidOperationException("An earlier append failed with an I/O error; reopen the store to recover.");
            }

            if (Contains(hash))
            {
                throw new InvalidOperationException($"Block {hash} is already stored; every block is appended once.");
            }

            var recordLength = SegmentFormat.RecordOverhead + encodedBlock.Length;
            var buffer = ArrayPool<byte>.Shared.Rent(recordLength);
            try
            {
                SegmentFormat.WriteRecord(buffer.AsSpan(0, recordLength), Count, hash, encodedBlock);
                int segment;
                long offset;
                SafeFileHandle handle;
                try
                {
                    if (_segmentLength > SegmentFormat.HeaderSize && _segmentLength + recordLength > _options.SegmentSizeLimit)
                    {
                        RollSegment();
                    }

                    segment = _segments.Count - 1;
                    handle = _segments[segment];
                    offset = _segmentLength;
                    RandomAccess.Write(handle, buffer.AsSpan(0, recordLength), offset);
                    if (_options.Fsync == FsyncPolicy.EveryAppend)
                    {
                        RandomAccess.FlushToDisk(handle);
                    }
                }
                catch (IOException)
                {
                    _faulted = true;
                    throw;
                }

                _segmentLength = offset + recordLength;
                lock (_indexGate)
                {
                    _byHash.Add(hash, _records.Count);
                    _records.Add(new RecordLocation(segment, offset, encodedBlock.Length, hash));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <inheritdoc />
    public byte[]? TryGet(Hash256 hash)
    {
        RecordLocation location;
        SafeFileHandle handle;
        int index;
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_byHash.TryGetValue(hash, out index))
            {
                return null;
            }

            location = _records[index];
            handle = _segments[location.Segment];
        }

        return ReadPayload(handle, index, location);
    }

    /// <inheritdoc />
    public bool Contains(Hash256 hash)
    {
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _byHash.ContainsKey(hash);
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts; every record's checksum is verified again as it is read.</remarks>
    public IEnumerable<StoredBlock> ReadAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Enumerate(0, Count);
    }

    /// <inheritdoc />
    public long? GetSequence(Hash256 hash)
    {
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _byHash.TryGetValue(hash, out var index) ? index : null;
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts; every record's checksum is verified again as it is read.</remarks>
    public IEnumerable<StoredBlock> ReadFrom(long sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        return Enumerate(sequence, Count);
    }

    /// <inheritdoc />
    public void Flush()
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RandomAccess.FlushToDisk(_segments[^1]);
        }
    }

    /// <summary>Flushes (under <see cref="FsyncPolicy.Batched"/>), closes the segment files and releases the directory lock.</summary>
    public void Dispose()
    {
        lock (_writeGate)
        {
            if (_disposed)
            {
                return;
            }

            try
            {
                if (_options.Fsync == FsyncPolicy.Batched && !_faulted)
                {
                    RandomAccess.FlushToDisk(_segments[^1]);
                }
            }
            finally
            {
                lock (_indexGate)
                {
                    _disposed = true;
                    foreach (var handle in _segments)
                    {
                        handle.Dispose();
                    }
                }

                _lockFile.Dispose();
            }
        }
    }

    private IEnumerable<StoredBlock> Enumerate(long first, long count)
    {
        for (var i = (int)Math.Min(first, count); i < count; i++)
        {
            RecordLocation location;
            SafeFileHandle handle;
            lock (_indexGate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                location = _records[i];
                handle = _segments[location.Segment];
            }

            yield return new StoredBlock(i, location.Hash, ReadPayload(handle, i, location));
        }
    }

    private byte[] ReadPayload(SafeFileHandle handle, long sequence, RecordLocation location)
    {
        var framing = new byte[SegmentFormat.RecordOverhead];
        var payload = new byte[location.PayloadLength];
        var parts = new Memory<byte>[]
        {
            framing.AsMemory(0, SegmentFormat.RecordHeaderSize),
            payload,
            framing.AsMemory(SegmentFormat.RecordHeaderSize, SegmentFormat.TrailerSize),
        };

        // One scatter read (preadv) normally returns everything; finish any short read part by part.
        var done = RandomAccess.Read(handle, parts, location.Offset);
        var position = location.Offset;
        foreach (var part in parts)
        {
            if (done >= part.Length)
            {
                done -= part.Length;
            }
            else
            {
                var span = part.Span[(int)done..];
                var at = position + done;
                while (!span.IsEmpty)
                {
                    var n = RandomAccess.Read(handle, span, at);
                    if (n == 0)
                    {
                        throw Changed(location, "the record is no longer in the file");
                    }

                    span = span[n..];
                    at += n;
                }

                done = 0;
            }

            position += part.Length;
        }

        var state = Crc32C.Update(Crc32C.InitialState, framing.AsSpan(0, SegmentFormat.RecordHeaderSize));
        var crc = Crc32C.Finish(Crc32C.Update(state, payload));
        if (crc != BinaryPrimitives.ReadUInt32LittleEndian(framing.AsSpan(SegmentFormat.RecordHeaderSize))
            || !SegmentFormat.TryReadRecordHeader(framing.AsSpan(0, SegmentFormat.RecordHeaderSize), out var length, out var storedSequence, out var hash)
            || length != (uint)location.PayloadLength
            || storedSequence != sequence
            || hash != location.Hash)
        {
            throw Changed(location, "the record no longer matches its checksum");
        }

        return payload;
    }

    private BlockStoreCorruptedException Changed(RecordLocation location, string detail) =>
        new(Path.Combine(_directory, SegmentFormat.FileName(location.Segment)), location.Segment, location.Offset, BlockStoreDamage.ChangedAfterOpen, $"Reading block {location.Hash}: {detail}.");

    private void RollSegment()
    {
        var current = _segments[^1];
        RandomAccess.FlushToDisk(current);
        var next = CreateSegment(_directory, _segments.Count);
        lock (_indexGate)
        {
            _segments.Add(next);
        }

        _segmentLength = SegmentFormat.HeaderSize;
    }

    private static SafeFileHandle CreateSegment(string directory, int segment)
    {
        var path = Path.Combine(directory, SegmentFormat.FileName(segment));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            Span<byte> header = stackalloc byte[SegmentFormat.HeaderSize];
            SegmentFormat.WriteHeader(header, segment);
            RandomAccess.Write(handle, header, 0);
            RandomAccess.FlushToDisk(handle);
            DirectorySync.TrySync(directory);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    // Refuses a store of another chain before anything is read or repaired. Returns the recorded genesis hash, or null
    // when there is no manifest (then Open writes one after verifying the segments if an expected hash was given and the
    // store is empty or adopted).
    private static Hash256? CheckGenesis(string directory, FileBlockStoreOptions options, List<int> numbers)
    {
        var recorded = StoreManifest.Read(directory);
        if (options.ExpectedGenesisHash is not { } expected)
        {
            return recorded;
        }

        if (recorded is { } found)
        {
            return found == expected ? found : throw new BlockStoreGenesisMismatchException(directory, expected, found);
        }

        var holdsBlocks = numbers.Count > 1
            || (numbers.Count == 1 && new FileInfo(Path.Combine(directory, SegmentFormat.FileName(0))).Length > SegmentFormat.HeaderSize);
        return holdsBlocks && !options.AdoptStoreWithoutManifest
            ? throw new BlockStoreGenesisMismatchException(directory, expected, null)
            : null;
    }

    // LOCK is never written; it must not be a link (opening one would take the lock on, or create, a file elsewhere).
    // CreateNew fails on any existing name (a dangling link included); an existing LOCK is then opened without creation.
    private static FileStream AcquireLock(string directory)
    {
        var path = Path.Combine(directory, SegmentFormat.LockFileName);
        StoreFiles.RefuseLink(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                throw new BlockStoreLockedException($"The block store in {directory} is already open for writing.", e);
            }
        }

        try
        {
            StoreFiles.RefuseLink(path);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static List<int> ListSegments(string directory)
    {
        var numbers = new List<int>();
        foreach (var path in System.IO.Directory.EnumerateFiles(directory, SegmentFormat.FilePrefix + "*" + SegmentFormat.FileSuffix))
        {
            if (SegmentFormat.TryParseFileName(Path.GetFileName(path), out var n))
            {
                numbers.Add(n);
            }
        }

        numbers.Sort();
        for (var i = 0; i < numbers.Count; i++)
        {
            if (numbers[i] != i)
            {
                var missing = Path.Combine(directory, SegmentFormat.FileName(i));
                throw new BlockStoreCorruptedException(missing, i, 0, BlockStoreDamage.MissingSegment, $"Segment {i} is missing but segment {numbers[i]} exists.");
            }
        }

        return numbers;
    }
}

/// <summary>Where one record lives.</summary>
internal readonly record struct RecordLocation(int Segment, long Offset, int PayloadLength, Hash256 Hash);

using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using Microsoft.Win32.SafeHandles;

namespace HealthLedger.Core.Storage;

/// <summary>
/// A crash-safe, append-only block store: a directory of segment files <c>blocks-000000.dat</c>,
/// <c>blocks-000001.dat</c>, ... each starting with a 16-byte header and holding checksummed records, an index file
/// per sealed segment (<c>blocks-NNNNNN.idx</c>) and a <c>SEGMENTS</c> checkpoint listing the sealed segments (see
/// <c>docs/storage.md</c> for the byte layout, the fsync policy and the recovery rules).
/// </summary>
/// <remarks>
/// One writer, any number of concurrent readers. A <c>LOCK</c> file held with <see cref="FileShare.None"/>
/// stops a second store (in this or another process) from opening the same directory. Open reads the checkpoint and
/// scans only the unsealed last segment (and any segment sealed but not yet checkpointed), so its cost does not grow
/// with the chain; sealed segments are read on demand through their index files, a bounded number of which are held in
/// memory (<see cref="FileBlockStoreOptions.IndexCacheSegments"/>), plus a Bloom filter per sealed segment (about
/// 1.25 bytes per block) loaded at the first lookup that misses the last segment.
/// Payloads are opaque bytes: the store never parses them and never re-hashes them.
/// </remarks>
public sealed class FileBlockStore : IBlockStore
{
    private readonly string _directory;
    private readonly FileBlockStoreOptions _options;
    private readonly FileStream _lockFile;
    private readonly List<SealedSegment> _sealed;
    private readonly Lock _writeGate = new();
    private readonly Lock _indexGate = new();
    private readonly Dictionary<int, SegmentIndex> _cache = [];
    private readonly LinkedList<int> _cacheOrder = new();
    private List<SegmentBloom>? _blooms;
    private int _firstKept;
    private SafeFileHandle _tailHandle;
    private int _tailNumber;
    private long _tailFirst;
    private List<RecordLocation> _tailRecords;
    private Dictionary<Hash256, int> _tailByHash;
    private long _segmentLength;
    private long _indexFilesLoaded;
    private long _bloomFilesLoaded;
    private bool _faulted;
    private bool _disposed;

    private FileBlockStore(string directory, FileBlockStoreOptions options, FileStream lockFile, OpenedState state, BlockStoreOpenReport report, Hash256? genesisHash)
    {
        GenesisHash = genesisHash;
        _directory = directory;
        _options = options;
        _lockFile = lockFile;
        _sealed = state.Sealed;
        _firstKept = state.FirstKept;
        _tailHandle = state.TailHandle;
        _tailNumber = state.TailNumber;
        _tailFirst = state.TailFirst;
        _tailRecords = state.TailRecords;
        _tailByHash = state.TailByHash;
        _segmentLength = state.TailLength;
        OpenReport = report;
    }

    /// <summary>What was found and repaired when the store was opened.</summary>
    public BlockStoreOpenReport OpenReport { get; }

    /// <inheritdoc />
    /// <remarks>Read from the <c>MANIFEST</c> file (written at creation when <see cref="FileBlockStoreOptions.ExpectedGenesisHash"/> is set).</remarks>
    public Hash256? GenesisHash { get; }

    /// <summary>What opening read: the segments scanned (the last one, plus any sealed but not yet checkpointed) and bytes.</summary>
    public BlockStoreOpenCost OpenCost { get; private init; } = new(0, 0, 0);

    /// <summary>The settings the store was opened with.</summary>
    public FileBlockStoreOptions Options => _options;

    /// <summary>The store directory.</summary>
    public string Directory => _directory;

    /// <summary>How many sealed-segment index files have been read since open (a measure of on-demand index I/O).</summary>
    public long IndexFilesLoaded
    {
        get
        {
            lock (_indexGate)
            {
                return _indexFilesLoaded;
            }
        }
    }

    /// <summary>
    /// How many sealed segments' Bloom filters were read from their filter files (<c>blocks-NNNNNN.bloom</c>) rather than
    /// rebuilt from their index files, since open.
    /// </summary>
    public long BloomFilesLoaded
    {
        get
        {
            lock (_indexGate)
            {
                return _bloomFilesLoaded;
            }
        }
    }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            lock (_indexGate)
            {
                return _tailFirst + _tailRecords.Count;
            }
        }
    }

    /// <inheritdoc />
    public long FirstRetainedSequence
    {
        get
        {
            lock (_indexGate)
            {
                return _sealed.Count > 0 ? _sealed[0].FirstSequence : _tailFirst;
            }
        }
    }

    /// <summary>
    /// Opens (creating it if needed) the store in <paramref name="directory"/>. Reads the <c>SEGMENTS</c> checkpoint and
    /// verifies every record of the last segment (and of any segment sealed after the checkpoint was written, which is
    /// then indexed and checkpointed); a torn or corrupt tail of the last segment is truncated back to the last valid
    /// record and described in <see cref="OpenReport"/>. Sealed segments are not read: their records are verified when read.
    /// </summary>
    /// <exception cref="BlockStoreCorruptedException">Damage that cannot be repaired without dropping valid data.</exception>
    /// <exception cref="BlockStoreLockedException">Another store has the directory open.</exception>
    /// <exception cref="BlockStoreGenesisMismatchException">
    /// <see cref="FileBlockStoreOptions.ExpectedGenesisHash"/> is set and the store belongs to another genesis, or holds
    /// blocks without a manifest (unless <see cref="FileBlockStoreOptions.AdoptStoreWithoutManifest"/>).
    /// </exception>
    /// <remarks>
    /// The directory, its segments, index files, <c>SEGMENTS</c>, <c>LOCK</c> and <c>MANIFEST</c> must not be symbolic links
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
        SafeFileHandle? tail = null;
        try
        {
            var checkpoint = StoreCheckpoint.Read(directory, out var checkpointBytes);
            var firstKept = checkpoint?.FirstKept ?? 0;
            var sealedSegments = checkpoint?.Sealed ?? [];
            var numbers = ListSegments(directory, firstKept);
            var genesisHash = CheckGenesis(directory, options, numbers, checkpoint is not null);
            var damage = BlockStoreDamage.None;
            long truncated = 0;
            int? damagedSegment = null;
            long? damagedOffset = null;
            long scannedBytes = 0;
            var scannedSegments = 0;

            // Sealed segments: only their names and lengths are checked (no content is read).
            var lastSealed = firstKept + sealedSegments.Count - 1;
            if (numbers.Count < sealedSegments.Count)
            {
                var missing = firstKept + numbers.Count;
                throw new BlockStoreCorruptedException(Path.Combine(directory, SegmentFormat.FileName(missing)), missing, 0, BlockStoreDamage.MissingSegment, $"Segment {missing} is recorded as sealed but is missing.");
            }

            foreach (var s in sealedSegments)
            {
                var path = Path.Combine(directory, SegmentFormat.FileName(s.Number));
                StoreFiles.RefuseLink(path, s.Number);
                var length = new FileInfo(path).Length;
                if (length != s.Length)
                {
                    throw new BlockStoreCorruptedException(path, s.Number, 0, BlockStoreDamage.BadIndex, $"The sealed segment is {length} bytes; the checkpoint recorded {s.Length}.");
                }
            }

            var nextSequence = sealedSegments.Count > 0 ? sealedSegments[^1].EndSequence : 0L;
            if (sealedSegments.Count == 0 && firstKept > 0)
            {
                throw new BlockStoreCorruptedException(Path.Combine(directory, StoreCheckpoint.FileName), BlockStoreDamage.BadIndex, "The checkpoint records pruned segments but no sealed one.");
            }

            // Segments after the checkpoint: all but the last were sealed before a crash let the checkpoint catch up
            // (or were written before index files existed): verify, index and checkpoint them. The last is the tail.
            var checkpointChanged = false;
            var tailNumber = lastSealed + 1;
            var tailRecords = new List<RecordLocation>();
            var tailByHash = new Dictionary<Hash256, int>();
            long tailLength;
            var lastNumber = numbers.Count == 0 ? -1 : numbers[^1];
            if (lastNumber < tailNumber)
            {
                tail = CreateSegment(directory, tailNumber);
                tailLength = SegmentFormat.HeaderSize;
            }
            else
            {
                tailLength = 0;
                for (var i = tailNumber; i <= lastNumber; i++)
                {
                    var isLast = i == lastNumber;
                    var path = Path.Combine(directory, SegmentFormat.FileName(i));
                    var handle = StoreFiles.OpenExisting(path, write: isLast, segment: i);
                    var records = new List<RecordLocation>();
                    var byHash = new Dictionary<Hash256, int>();
                    var keep = false;
                    try
                    {
                        var scanner = new SegmentScanner(handle, RandomAccess.GetLength(handle), options.MaxRecordSize);
                        scannedSegments++;
                        scannedBytes += scanner.Length;
                        var result = ScanSegment(handle, scanner, path, i, isLast, nextSequence, options, records, byHash);
                        if (result.Damage != BlockStoreDamage.None)
                        {
                            (damage, truncated, damagedSegment, damagedOffset) = (result.Damage, result.Truncated, i, result.DamagedOffset);
                        }

                        if (isLast)
                        {
                            tail = handle;
                            keep = true;
                            tailRecords = records;
                            tailByHash = byHash;
                            tailLength = result.Length;
                            tailNumber = i;
                        }
                        else
                        {
                            var encoded = SegmentIndexFile.Encode(i, nextSequence, result.Length, records);
                            SegmentIndexFile.Write(directory, i, encoded);
                            sealedSegments.Add(new SealedSegment(i, nextSequence, records.Count, result.Length, SegmentIndexFile.CrcOf(encoded)));
                            checkpointChanged = true;
                            nextSequence += records.Count;
                        }
                    }
                    finally
                    {
                        if (!keep)
                        {
                            handle.Dispose();
                        }
                    }
                }
            }

            if (checkpointChanged)
            {
                StoreCheckpoint.Write(directory, firstKept, sealedSegments);
            }

            if (genesisHash is null && options.ExpectedGenesisHash is { } adopted)
            {
                // Every segment verified: record which chain this (empty or explicitly adopted) store belongs to.
                StoreManifest.Write(directory, adopted);
                genesisHash = adopted;
            }

            var state = new OpenedState(sealedSegments, firstKept, tail!, tailNumber, nextSequence, tailRecords, tailByHash, tailLength);
            var report = new BlockStoreOpenReport(nextSequence + tailRecords.Count, tailNumber - firstKept + 1, truncated, damage, damagedSegment, damagedOffset);
            return new FileBlockStore(directory, options, lockFile, state, report, genesisHash)
            {
                OpenCost = new BlockStoreOpenCost(scannedSegments, scannedBytes, checkpointBytes),
            };
        }
        catch
        {
            tail?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    // Verifies one segment's records (their sequence numbers continuing from firstSequence); repairs a torn tail of the
    // last segment. Returns the valid length and any repaired damage.
    private static (long Length, BlockStoreDamage Damage, long Truncated, long DamagedOffset) ScanSegment(
        SafeFileHandle handle,
        SegmentScanner scanner,
        string path,
        int i,
        bool isLast,
        long firstSequence,
        FileBlockStoreOptions options,
        List<RecordLocation> records,
        Dictionary<Hash256, int> byHash)
    {
        var headerDamage = scanner.CheckHeader(i);
        if (headerDamage == BlockStoreDamage.IncompleteSegmentHeader && isLast)
        {
            // An interrupted segment creation: start the segment afresh.
            RandomAccess.SetLength(handle, 0);
            Span<byte> header = stackalloc byte[SegmentFormat.HeaderSize];
            SegmentFormat.WriteHeader(header, i);
            RandomAccess.Write(handle, header, 0);
            RandomAccess.FlushToDisk(handle);
            return (SegmentFormat.HeaderSize, headerDamage, scanner.Length, 0);
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
                var expected = firstSequence + records.Count;
                if (sequence != expected)
                {
                    throw new BlockStoreCorruptedException(path, i, position, BlockStoreDamage.SequenceMismatch, $"The record says it is number {sequence}, expected {expected}.");
                }

                if (!byHash.TryAdd(hash, records.Count))
                {
                    throw new BlockStoreCorruptedException(path, i, position, BlockStoreDamage.DuplicateHash, $"Hash {hash} is already stored as record {firstSequence + byHash[hash]}.");
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
            return (position, recordDamage, scanner.Length - position, position);
        }

        if (!isLast && records.Count == 0)
        {
            throw new BlockStoreCorruptedException(path, i, position, BlockStoreDamage.IncompleteRecord, "A segment other than the last holds no record.");
        }

        return (Math.Min(position, scanner.Length), BlockStoreDamage.None, 0, 0);
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
                long offset;
                try
                {
                    if (_segmentLength > SegmentFormat.HeaderSize && _segmentLength + recordLength > _options.SegmentSizeLimit)
                    {
                        RollSegment();
                    }

                    offset = _segmentLength;
                    RandomAccess.Write(_tailHandle, buffer.AsSpan(0, recordLength), offset);
                    if (_options.Fsync == FsyncPolicy.EveryAppend)
                    {
                        RandomAccess.FlushToDisk(_tailHandle);
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
                    _tailByHash.Add(hash, _tailRecords.Count);
                    _tailRecords.Add(new RecordLocation(_tailNumber, offset, encodedBlock.Length, hash));
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
        long sequence;
        RecordLocation location;
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!TryLocate(hash, out sequence, out location))
            {
                return null;
            }
        }

        using var handle = OpenForRead(location.Segment);
        return ReadPayload(handle, sequence, location);
    }

    /// <inheritdoc />
    public bool Contains(Hash256 hash)
    {
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return TryLocate(hash, out _, out _);
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts; every record's checksum is verified again as it is read.</remarks>
    /// <exception cref="BlockPrunedException">Blocks were pruned: the store no longer holds them all.</exception>
    public IEnumerable<StoredBlock> ReadAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ReadFrom(0);
    }

    /// <inheritdoc />
    public long? GetSequence(Hash256 hash)
    {
        lock (_indexGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return TryLocate(hash, out var sequence, out _) ? sequence : null;
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts; every record's checksum is verified again as it is read.</remarks>
    /// <exception cref="BlockPrunedException"><paramref name="sequence"/> is below <see cref="FirstRetainedSequence"/>.</exception>
    public IEnumerable<StoredBlock> ReadFrom(long sequence)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        var first = FirstRetainedSequence;
        if (sequence < first)
        {
            throw new BlockPrunedException(null, $"Blocks before number {first} were pruned from this store; reading from {sequence} is not possible.");
        }

        return Enumerate(sequence, Count);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Deletes every sealed segment all of whose blocks come before <paramref name="sequence"/>, keeping at least one
    /// sealed segment (it anchors the sequence numbering) and the last segment. The checkpoint naming the first kept
    /// segment is written first, then the files are deleted (a crash in between leaves files that the next open deletes).
    /// </remarks>
    public int PruneBefore(long sequence)
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            List<SealedSegment> removed;
            lock (_indexGate)
            {
                var n = 0;
                while (n < _sealed.Count - 1 && _sealed[n].EndSequence <= sequence)
                {
                    n++;
                }

                if (n == 0)
                {
                    return 0;
                }

                removed = _sealed.GetRange(0, n);
                var kept = _sealed.GetRange(n, _sealed.Count - n);
                StoreCheckpoint.Write(_directory, kept[0].Number, kept);
                _sealed.RemoveRange(0, n);
                _blooms?.RemoveRange(0, n);
                _firstKept = kept[0].Number;
                foreach (var s in removed)
                {
                    Evict(s.Number);
                }
            }

            foreach (var s in removed)
            {
                DeleteSegmentFiles(_directory, s.Number);
            }

            DirectorySync.TrySync(_directory);
            return removed.Count;
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        lock (_writeGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            RandomAccess.FlushToDisk(_tailHandle);
        }
    }

    /// <summary>Flushes (under <see cref="FsyncPolicy.Batched"/>), closes the last segment and releases the directory lock.</summary>
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
                    RandomAccess.FlushToDisk(_tailHandle);
                }
            }
            finally
            {
                lock (_indexGate)
                {
                    _disposed = true;
                    _tailHandle.Dispose();
                    _cache.Clear();
                    _cacheOrder.Clear();
                }

                _lockFile.Dispose();
            }
        }
    }

    // Under _indexGate. The last segment's own index first, then the sealed segments whose Bloom filter admits the hash,
    // newest first (recent blocks are the ones asked for most).
    private bool TryLocate(Hash256 hash, out long sequence, out RecordLocation location)
    {
        if (_tailByHash.TryGetValue(hash, out var i))
        {
            sequence = _tailFirst + i;
            location = _tailRecords[i];
            return true;
        }

        var blooms = LoadBlooms();
        for (var s = _sealed.Count - 1; s >= 0; s--)
        {
            if (!blooms[s].MayContain(hash))
            {
                continue;
            }

            var index = GetIndex(s);
            if (index.ByHash.TryGetValue(hash, out i))
            {
                sequence = index.Segment.FirstSequence + i;
                location = index.Records[i];
                return true;
            }
        }

        sequence = -1;
        location = default;
        return false;
    }

    // Under _indexGate: the Bloom filters of every sealed segment, built from their index files at the first need.
    private List<SegmentBloom> LoadBlooms()
    {
        if (_blooms is null)
        {
            var blooms = new List<SegmentBloom>(_sealed.Count);
            for (var s = 0; s < _sealed.Count; s++)
            {
                var segment = _sealed[s];
                var bloom = SegmentBloomFile.TryRead(_directory, segment);
                if (bloom is null)
                {
                    bloom = new SegmentBloom(GetIndex(s).Records);
                    SegmentBloomFile.TryWrite(_directory, segment, bloom);
                }
                else
                {
                    _bloomFilesLoaded++;
                }

                blooms.Add(bloom);
            }

            _blooms = blooms;
        }

        return _blooms;
    }

    // Under _indexGate: the index of _sealed[position], from the bounded cache or its file.
    private SegmentIndex GetIndex(int position)
    {
        var segment = _sealed[position];
        if (_cache.TryGetValue(segment.Number, out var cached))
        {
            _cacheOrder.Remove(segment.Number);
            _cacheOrder.AddFirst(segment.Number);
            return cached;
        }

        var index = SegmentIndexFile.Load(_directory, segment, _options.MaxRecordSize);
        _indexFilesLoaded++;
        _cache[segment.Number] = index;
        _cacheOrder.AddFirst(segment.Number);
        while (_cache.Count > _options.IndexCacheSegments)
        {
            var oldest = _cacheOrder.Last!.Value;
            _cacheOrder.RemoveLast();
            _cache.Remove(oldest);
        }

        return index;
    }

    private void Evict(int number)
    {
        if (_cache.Remove(number))
        {
            _cacheOrder.Remove(number);
        }
    }

    private SafeFileHandle OpenForRead(int segment) =>
        StoreFiles.OpenExisting(Path.Combine(_directory, SegmentFormat.FileName(segment)), write: false, segment: segment);

    private IEnumerable<StoredBlock> Enumerate(long first, long count)
    {
        var next = first;
        while (next < count)
        {
            RecordLocation[] part;
            lock (_indexGate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (next >= _tailFirst)
                {
                    var from = (int)(next - _tailFirst);
                    var upTo = (int)Math.Min(_tailRecords.Count, count - _tailFirst);
                    part = _tailRecords.GetRange(from, upTo - from).ToArray();
                }
                else
                {
                    var position = FindSealed(next);
                    if (position < 0)
                    {
                        throw new BlockPrunedException(null, $"Block number {next} was pruned while it was being read.");
                    }

                    var index = GetIndex(position);
                    var from = (int)(next - index.Segment.FirstSequence);
                    part = index.Records[from..];
                }
            }

            if (part.Length == 0)
            {
                yield break;
            }

            using var handle = OpenForRead(part[0].Segment);
            foreach (var location in part)
            {
                yield return new StoredBlock(next, location.Hash, ReadPayload(handle, next, location));
                next++;
            }
        }
    }

    // Under _indexGate: the position in _sealed of the segment holding sequence, or -1 (pruned).
    private int FindSealed(long sequence)
    {
        int lo = 0, hi = _sealed.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var s = _sealed[mid];
            if (sequence < s.FirstSequence)
            {
                hi = mid - 1;
            }
            else if (sequence >= s.EndSequence)
            {
                lo = mid + 1;
            }
            else
            {
                return mid;
            }
        }

        return -1;
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

    // Under _writeGate. Seals the last segment: fsync it, write its index file and the checkpoint naming it sealed, then
    // start the next segment. A crash before the checkpoint leaves a sealed segment that the next open scans and indexes.
    private void RollSegment()
    {
        RandomAccess.FlushToDisk(_tailHandle);
        var records = _tailRecords;
        var encoded = SegmentIndexFile.Encode(_tailNumber, _tailFirst, _segmentLength, records);
        SegmentIndexFile.Write(_directory, _tailNumber, encoded);
        var sealedSegment = new SealedSegment(_tailNumber, _tailFirst, records.Count, _segmentLength, SegmentIndexFile.CrcOf(encoded));
        List<SealedSegment> all;
        lock (_indexGate)
        {
            all = [.. _sealed, sealedSegment];
        }

        StoreCheckpoint.Write(_directory, _firstKept, all);
        var next = CreateSegment(_directory, _tailNumber + 1);
        lock (_indexGate)
        {
            _sealed.Add(sealedSegment);
            var index = new SegmentIndex(sealedSegment, [.. records], _tailByHash);
            var sealedBloom = new SegmentBloom(records);
            SegmentBloomFile.TryWrite(_directory, sealedSegment, sealedBloom);
            _blooms?.Add(sealedBloom);
            _cache[sealedSegment.Number] = index;
            _cacheOrder.AddFirst(sealedSegment.Number);
            while (_cache.Count > _options.IndexCacheSegments)
            {
                var oldest = _cacheOrder.Last!.Value;
                _cacheOrder.RemoveLast();
                _cache.Remove(oldest);
            }

            _tailHandle.Dispose();
            _tailHandle = next;
            _tailNumber++;
            _tailFirst += records.Count;
            _tailRecords = [];
            _tailByHash = [];
        }

        _segmentLength = SegmentFormat.HeaderSize;
    }

    private static void DeleteSegmentFiles(string directory, int number)
    {
        File.Delete(Path.Combine(directory, SegmentBloomFile.FileName(number)));
        File.Delete(Path.Combine(directory, SegmentIndexFile.FileName(number)));
        File.Delete(Path.Combine(directory, SegmentFormat.FileName(number)));
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
    private static Hash256? CheckGenesis(string directory, FileBlockStoreOptions options, List<int> numbers, bool hasCheckpoint)
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

        var holdsBlocks = hasCheckpoint
            || numbers.Count > 1
            || (numbers.Count == 1 && new FileInfo(Path.Combine(directory, SegmentFormat.FileName(numbers[0]))).Length > SegmentFormat.HeaderSize);
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

    // The segment numbers from firstKept on, which must be contiguous. Files below firstKept are leftovers of a prune a
    // crash interrupted after its checkpoint was written: they are deleted.
    private static List<int> ListSegments(string directory, int firstKept)
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
        var leftovers = numbers.TakeWhile(n => n < firstKept).ToList();
        foreach (var n in leftovers)
        {
            StoreFiles.RefuseLink(Path.Combine(directory, SegmentFormat.FileName(n)), n);
            DeleteSegmentFiles(directory, n);
        }

        numbers.RemoveRange(0, leftovers.Count);
        for (var i = 0; i < numbers.Count; i++)
        {
            if (numbers[i] != firstKept + i)
            {
                var missing = Path.Combine(directory, SegmentFormat.FileName(firstKept + i));
                throw new BlockStoreCorruptedException(missing, firstKept + i, 0, BlockStoreDamage.MissingSegment, $"Segment {firstKept + i} is missing but segment {numbers[i]} exists.");
            }
        }

        return numbers;
    }
}

/// <summary>What <see cref="FileBlockStore.Open"/> read (the cost that must not grow with the chain).</summary>
/// <param name="SegmentsScanned">Segment files read and checksummed in full (the last one, plus any sealed but not yet checkpointed).</param>
/// <param name="SegmentBytesScanned">Bytes of those segments.</param>
/// <param name="CheckpointBytesRead">Size of the <c>SEGMENTS</c> checkpoint (24 bytes per sealed segment).</param>
public sealed record BlockStoreOpenCost(int SegmentsScanned, long SegmentBytesScanned, long CheckpointBytesRead);

internal sealed record OpenedState(
    List<SealedSegment> Sealed,
    int FirstKept,
    SafeFileHandle TailHandle,
    int TailNumber,
    long TailFirst,
    List<RecordLocation> TailRecords,
    Dictionary<Hash256, int> TailByHash,
    long TailLength);

/// <summary>Where one record lives.</summary>
internal readonly record struct RecordLocation(int Segment, long Offset, int PayloadLength, Hash256 Hash);

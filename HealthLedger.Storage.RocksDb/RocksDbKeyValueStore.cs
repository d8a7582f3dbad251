using HealthLedger.Core.State;
using RocksDbSharp;

namespace HealthLedger.Storage.RocksDb;

/// <summary>Options of a <see cref="RocksDbKeyValueStore"/>.</summary>
public sealed record RocksDbStoreOptions
{
    /// <summary>Bytes of the LRU block cache shared by reads (bounded memory for uncompressed data blocks). Default 64 MiB.</summary>
    public long BlockCacheBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Bytes of one memtable before it is flushed. Default 32 MiB.</summary>
    public long WriteBufferBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Most files RocksDB keeps open (-1: no limit). Default 512.</summary>
    public int MaxOpenFiles { get; init; } = 512;

    /// <summary>
    /// True (default): every batch is fsynced to the write-ahead log before <see cref="RocksDbKeyValueStore.Write"/>
    /// returns, so it survives power loss. False: it survives a process crash only (the log is in the page cache).
    /// </summary>
    public bool SyncWrites { get; init; } = true;

    /// <summary>
    /// True (default): <see cref="RocksDbKeyValueStore.Dispose"/> flushes the memtables to table files before closing, so
    /// the next open has no write-ahead log to replay (a clean shutdown costs up to <see cref="WriteBufferBytes"/> of
    /// writing; after a crash the log is replayed as usual). False: close at once.
    /// </summary>
    public bool FlushOnDispose { get; init; } = true;

    /// <summary>Bits per key of the bloom filter that lets a point lookup skip files without the key. Default 10 (~1% false positives).</summary>
    public int BloomBitsPerKey { get; init; } = 10;
}

/// <summary>
/// An <see cref="IKeyValueStore"/> over RocksDB (default column family, bytewise comparator): point lookups through a
/// bloom filter and a bounded LRU block cache, range scans with an iterator bounded above, atomic write batches
/// (write-ahead log, fsynced per batch by default) and snapshots. A directory is held by one store at a time (RocksDB's
/// own LOCK file). Dispose to flush the memtables (<see cref="RocksDbStoreOptions.FlushOnDispose"/>) and release the native handles.
/// </summary>
/// <remarks>Thread safety: as <see cref="IKeyValueStore"/> requires, reads and snapshots may run on any thread while a batch is written; dispose only after every reader is done.</remarks>
public sealed class RocksDbKeyValueStore : IKeyValueStore
{
    private readonly RocksDbSharp.RocksDb _db;
    private readonly DbOptions _dbOptions;
    private readonly Cache _cache;
    private readonly WriteOptions _writeOptions;
    private readonly bool _flushOnDispose;
    private readonly ReadOptions _readOptions;
    private int _disposed;

    private RocksDbKeyValueStore(RocksDbSharp.RocksDb db, DbOptions dbOptions, Cache cache, WriteOptions writeOptions, bool flushOnDispose)
    {
        _flushOnDispose = flushOnDispose;
        _db = db;
        _dbOptions = dbOptions;
        _cache = cache;
        _writeOptions = writeOptions;
        _readOptions = new ReadOptions();
    }

    /// <summary>Opens (creating if needed) the store in <paramref name="path"/>.</summary>
    /// <exception cref="RocksDbException">RocksDB refused to open the directory (locked by another store, corrupted, not a database).</exception>
    public static RocksDbKeyValueStore Open(string path, RocksDbStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RocksDbStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BlockCacheBytes, 0, nameof(options));
        Directory.CreateDirectory(path);
        var cache = Cache.CreateLru((ulong)options.BlockCacheBytes);
        var table = new BlockBasedTableOptions()
            .SetBlockCache(cache)
            .SetFilterPolicy(BloomFilterPolicy.Create(options.BloomBitsPerKey, false))
            .SetIndexType(BlockBasedTableIndexType.TwoLevelIndex)
            .SetCacheIndexAndFilterBlocks(true)
            .SetPinL0FilterAndIndexBlocksInCache(true);

        // Partitioned filters and a two-level index: a table file's filter and index are split into 4 KiB partitions
        // cached one by one, under a small pinned top level. Without this, a table file of tens of MB has one filter
        // block of megabytes that cannot stay in a shard of the LRU cache, so every point lookup of a missing key
        // (each new record, vote and sequence) read it again: measured at 9 MB read per block at 85,000 blocks.
        Native.Instance.rocksdb_block_based_options_set_partition_filters(table.Handle, 1);
        Native.Instance.rocksdb_block_based_options_set_metadata_block_size(table.Handle, 4096);
        Native.Instance.rocksdb_block_based_options_set_pin_top_level_index_and_filter(table.Handle, 1);
        Native.Instance.rocksdb_block_based_options_set_cache_index_and_filter_blocks_with_high_priority(table.Handle, 1);
        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetParanoidChecks(true)
            .SetMaxOpenFiles(options.MaxOpenFiles)
            .SetWriteBufferSize((ulong)options.WriteBufferBytes)
            .SetBlockBasedTableFactory(table);
        var writeOptions = new WriteOptions().SetSync(options.SyncWrites);
        var db = RocksDbSharp.RocksDb.Open(dbOptions, path);
        return new RocksDbKeyValueStore(db, dbOptions, cache, writeOptions, options.FlushOnDispose);
    }

    /// <inheritdoc />
    public byte[]? Get(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        return _db.Get(key, null, _readOptions);
    }

    /// <inheritdoc />
    public IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive)
    {
        ThrowIfDisposed();
        return ScanWith(null, startInclusive, endExclusive);
    }

    /// <inheritdoc />
    /// <exception cref="IOException">RocksDB refused the write (disk full, I/O error); nothing of the batch was applied.</exception>
    public void Write(KeyValueBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        using var native = new WriteBatch();
        foreach (var (key, value) in batch.Operations)
        {
            if (value is null)
            {
                native.Delete(key);
            }
            else
            {
                native.Put(key, value);
            }
        }

        try
        {
            _db.Write(native, _writeOptions);
        }
        catch (RocksDbException ex)
        {
            // A full disk or an I/O error: callers of IKeyValueStore handle IOException, not RocksDB's types.
            throw new IOException($"RocksDB write of {batch.Count} operations failed: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public IKeyValueSnapshot CreateSnapshot()
    {
        ThrowIfDisposed();
        return new RocksSnapshot(this, _db.CreateSnapshot());
    }

    /// <summary>Flushes the memtables to table files (the write-ahead log already makes batches durable; this shortens the next open's log replay).</summary>
    public void Flush()
    {
        ThrowIfDisposed();
        FlushMemtables();
    }

    private void FlushMemtables() => _db.Flush(new FlushOptions().SetWaitForFlush(true));

    /// <summary>A RocksDB statistic by name (e.g. <c>rocksdb.estimate-num-keys</c>, <c>rocksdb.block-cache-usage</c>), or null.</summary>
    public string? GetProperty(string name)
    {
        ThrowIfDisposed();
        return _db.GetProperty(name);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_flushOnDispose)
        {
            try
            {
                FlushMemtables();
            }
            catch (RocksDbException)
            {
                // The write-ahead log holds every batch: the next open replays it.
            }
        }

        _db.Dispose();

        // The options and the cache are released by their finalizers; keep them alive until the database is closed.
        GC.KeepAlive(_cache);
        GC.KeepAlive(_dbOptions);
        GC.KeepAlive(_writeOptions);
        GC.KeepAlive(_readOptions);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private IEnumerable<KeyValueEntry> ScanWith(Snapshot? snapshot, byte[] start, byte[] end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        return Iterate(snapshot, start, end);
    }

    private IEnumerable<KeyValueEntry> Iterate(Snapshot? snapshot, byte[] start, byte[] end)
    {
        ThrowIfDisposed();
        var read = new ReadOptions().SetIterateUpperBound(end).SetFillCache(true);
        if (snapshot is not null)
        {
            read.SetSnapshot(snapshot);
        }

        using var iterator = _db.NewIterator(null, read);
        for (iterator.Seek(start); iterator.Valid(); iterator.Next())
        {
            yield return new KeyValueEntry(iterator.Key(), iterator.Value());
        }

        GC.KeepAlive(read);
        GC.KeepAlive(end);
    }

    private sealed class RocksSnapshot(RocksDbKeyValueStore owner, Snapshot snapshot) : IKeyValueSnapshot
    {
        private readonly ReadOptions _read = new ReadOptions().SetSnapshot(snapshot);
        private int _disposed;

        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            owner.ThrowIfDisposed();
            return owner._db.Get(key, null, _read);
        }

        public IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return owner.ScanWith(snapshot, startInclusive, endExclusive);
        }

        public void Dispose()
        {
            // A snapshot outliving its store is released with the database, not after it.
            if (Interlocked.Exchange(ref _disposed, 1) == 0 && Volatile.Read(ref owner._disposed) == 0)
            {
                snapshot.Dispose();
            }
        }
    }
}

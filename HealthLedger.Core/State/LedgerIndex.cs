using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Core.State;

/// <summary>Tuning knobs of a <see cref="LedgerIndex"/>.</summary>
public sealed record LedgerIndexOptions
{
    /// <summary>
    /// How many of the newest blocks keep undo data (at least 1). A reorganisation, or a crash recovery, deeper than
    /// this rebuilds the index from genesis instead; keep it above the depth below which blocks are final.
    /// </summary>
    public int UndoDepth { get; init; } = 4_096;

    /// <summary>The largest page a query returns.</summary>
    public int MaxPageSize { get; init; } = 1_000;

    /// <summary>Keys deleted per batch while a rebuild clears the index (small in tests, to cross batch boundaries).</summary>
    internal int ClearBatchSize { get; init; } = 10_000;
}

/// <summary>
/// A persistent index of the best chain's records and grants over an <see cref="IKeyValueStore"/> (docs/storage.md,
/// "Ledger index"): a patient's or a device's records, records in a time range, and the grants of a patient or of a
/// provider, each a page at a time in O(log n + page). It follows the chain block by block: each block's changes, its
/// undo data and the marker of the block (height and hash) are written in one atomic batch, so after a crash the
/// index is exactly at some block; <see cref="Synchronize"/> (run by <see cref="Open"/>) then rolls it back with the
/// undo data and forward with the chain's blocks until it matches the chain's tip.
/// Thread-safe: writes are serialised; queries read a snapshot and may run at any time.
/// </summary>
public sealed class LedgerIndex
{
    private readonly object _gate = new();
    private readonly IKeyValueStore _store;
    private readonly IIndexedChain _chain;
    private readonly LedgerIndexOptions _options;
    private readonly ILogger _logger;
    private IndexTip _tip;
    private bool _tipUncertain;

    private LedgerIndex(IKeyValueStore store, IIndexedChain chain, LedgerIndexOptions options, ILogger logger, IndexTip tip)
    {
        _store = store;
        _chain = chain;
        _options = options;
        _logger = logger;
        _tip = tip;
    }

    /// <summary>The block the index reflects now.</summary>
    public IndexTip Tip
    {
        get
        {
            lock (_gate)
            {
                return _tip;
            }
        }
    }

    /// <summary>What <see cref="Open"/> found and did.</summary>
    public LedgerIndexOpenReport OpenReport { get; private set; } = null!;

    /// <summary>
    /// Opens (or creates) the index in <paramref name="store"/> for <paramref name="chain"/> and brings it to the chain's tip.
    /// The store stays the caller's to dispose.
    /// </summary>
    /// <exception cref="LedgerIndexMismatchException">The store holds an index of another genesis or of a newer format version (nothing changed); an older format version is rebuilt.</exception>
    /// <exception cref="LedgerIndexCorruptedException">A stored value does not match its layout.</exception>
    public static LedgerIndex Open(IKeyValueStore store, IIndexedChain chain, LedgerIndexOptions? options = null, ILogger<LedgerIndex>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(chain);
        options ??= new LedgerIndexOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.UndoDepth, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxPageSize, 1, nameof(options));
        var genesis = chain.GenesisHash;
        IndexTip? found = null;
        var version = store.Get(IndexLayout.VersionKey);
        if (version is null)
        {
            if (store.Scan([IndexLayout.Meta], [IndexLayout.EndOfTables]).Any())
            {
                throw new LedgerIndexMismatchException("The store holds keys but no index format version: it is not a ledger index.");
            }

            var batch = new KeyValueBatch()
                .Put(IndexLayout.VersionKey, IndexLayout.EncodeVersion())
                .Put(IndexLayout.GenesisKey, Hash256.AsSpan(genesis))
                .Put(IndexLayout.TipKey, IndexLayout.EncodeTip(new IndexTip(0, genesis)));
            store.Write(batch);
        }
        else
        {
            var versionNumber = version.Length == 4 ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(version) : uint.MaxValue;
            if (versionNumber == 0 || versionNumber > IndexLayout.FormatVersion)
            {
                throw new LedgerIndexMismatchException($"Index format version {Convert.ToHexString(version)}, this build reads version {IndexLayout.FormatVersion}.");
            }


            var stored = store.Get(IndexLayout.GenesisKey);
            if (stored is null || stored.Length != Hash256.Length || new Hash256(stored) != genesis)
            {
                throw new LedgerIndexMismatchException($"The index belongs to genesis {(stored is { Length: Hash256.Length } ? new Hash256(stored).ToString() : "(unreadable)")}, this chain's genesis is {genesis}.");
            }

            found = IndexLayout.DecodeTip(store.Get(IndexLayout.TipKey) ?? throw new LedgerIndexCorruptedException("the tip marker is missing"));
            if (versionNumber < IndexLayout.FormatVersion)
            {
                // An index of an older layout is rebuilt from the chain's blocks (marked first, so a crash part-way
                // resumes the rebuild on the next open).
                store.Write(new KeyValueBatch().Put(IndexLayout.VersionKey, IndexLayout.EncodeVersion()).Put(IndexLayout.RebuildingKey, [1]));
            }
        }

        var tip = IndexLayout.DecodeTip(store.Get(IndexLayout.TipKey)!);
        var index = new LedgerIndex(store, chain, options, (ILogger?)logger ?? NullLogger.Instance, tip);
        var (rolledBack, applied, rebuilt) = index.Synchronize();
        index.OpenReport = new LedgerIndexOpenReport(found, rolledBack, applied, rebuilt, index.Tip);
        return index;
    }

    /// <summary>
    /// Follows one change of the best chain (<see cref="Blockchain.TipChanged"/>): undoes the disconnected blocks and
    /// indexes the connected ones, one atomic batch per block. An update that does not continue from the index's tip
    /// (a missed or repeated event), or that leaves the index off the chain's current best chain, falls back to
    /// <see cref="Synchronize"/>.
    /// </summary>
    public void Apply(ChainUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_gate)
        {
            if (_tipUncertain)
            {
                SynchronizeLocked();
                return;
            }

            foreach (var block in update.Disconnected)
            {
                if (block.Hash != _tip.Hash || !TryUndoTip())
                {
                    SynchronizeLocked();
                    return;
                }
            }

            foreach (var block in update.Connected)
            {
                if (block.Header.PreviousHash != _tip.Hash || block.Header.Height != _tip.Height + 1)
                {
                    SynchronizeLocked();
                    return;
                }

                ApplyBlock(block);
            }

            // Events trail the chain: if it has moved on (or the update was not the chain's), catch up now; the
            // update that reports the move is then recognised as already applied.
            if (_chain.Tip != _tip)
            {
                SynchronizeLocked();
            }
        }
    }

    /// <summary>
    /// Brings the index to the chain's tip: rolls back (with undo data) while the index's tip is not on the best chain,
    /// then indexes the best chain's blocks above it. Rebuilds from genesis when the undo data does not reach back far
    /// enough. Returns how many blocks were undone and applied, and whether it rebuilt.
    /// </summary>
    public (int RolledBack, int Applied, bool Rebuilt) Synchronize()
    {
        lock (_gate)
        {
            return SynchronizeLocked();
        }
    }

    /// <summary>Where the transaction with this id is on the indexed chain (height and position in its block), or null.</summary>
    public TransactionLocation? GetTransaction(Hash256 id)
    {
        var value = _store.Get(IndexLayout.TransactionKey(id));
        return value is null ? null : IndexLayout.DecodeTransactionLocation(id, value);
    }

    /// <summary>The record anchored with this ciphertext hash on the indexed chain, or null.</summary>
    public RecordInfo? GetRecord(Hash256 ciphertextHash)
    {
        var value = _store.Get(IndexLayout.RecordKey(ciphertextHash));
        return value is null ? null : IndexLayout.DecodeRecord(ciphertextHash, value);
    }

    /// <summary>
    /// A page of a patient's records measured in [<paramref name="fromMs"/>, <paramref name="toMs"/>) (null: unbounded),
    /// ordered by measurement time, then ciphertext hash.
    /// </summary>
    public IndexPage<RecordInfo> GetPatientRecords(Address patient, int pageSize, PageToken? after = null, long? fromMs = null, long? toMs = null) =>
        RecordPage(PageKind.PatientRecords, IndexLayout.Prefix(IndexLayout.RecordByPatient, Address.AsSpan(patient)), pageSize, after, fromMs, toMs);

    /// <summary>
    /// A page of a patient's records of the types in <paramref name="types"/>, measured in [<paramref name="fromMs"/>,
    /// <paramref name="toMs"/>) (null: unbounded), ordered by measurement time, then ciphertext hash: a merge of one
    /// ordered scan per type, so records of other types cost nothing. With the record types the patient's active grants
    /// to a provider cover (<see cref="GetPatientGrants"/>, <see cref="AccessGrantInfo.IsActiveAt"/>), and the
    /// provider's node not revoked (the ledger state's <see cref="ILedgerStateView.GetNode"/>), this pages what
    /// <see cref="LedgerState.GetReadableRecords"/> returns.
    /// </summary>
    public IndexPage<RecordInfo> GetPatientRecordsOfTypes(Address patient, RecordScope types, int pageSize, PageToken? after = null, long? fromMs = null, long? toMs = null)
    {
        const PageKind kind = PageKind.PatientRecordsOfTypes;
        CheckPage(kind, pageSize, after);
        if ((types & ~RecordScope.All) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(types), types, "unknown record types");
        }

        using var snapshot = _store.CreateSnapshot();
        var at = ReadTip(snapshot);
        var scans = new List<IEnumerator<KeyValueEntry>>();
        try
        {
            var queue = new PriorityQueue<IEnumerator<KeyValueEntry>, byte[]>(SuffixOrder.Instance);
            Span<byte> scope = stackalloc byte[Address.Length + 1];
            patient.WriteTo(scope);
            foreach (var type in Enum.GetValues<RecordType>().Where(t => types.Covers(t)))
            {
                scope[^1] = (byte)type;
                var (start, end) = RecordRange(IndexLayout.Prefix(IndexLayout.RecordByPatientType, scope), after, fromMs, toMs);
                if (ByteOrder.Instance.Compare(start, end) < 0)
                {
                    var scan = snapshot.Scan(start, end).GetEnumerator();
                    scans.Add(scan);
                    if (scan.MoveNext())
                    {
                        queue.Enqueue(scan, scan.Current.Key);
                    }
                }
            }

            var items = new List<RecordInfo>(Math.Min(pageSize, 256));
            PageToken? next = null;
            while (queue.TryDequeue(out var scan, out var key))
            {
                if (key.Length != 2 + Address.Length + IndexLayout.RecordPositionLength)
                {
                    throw new LedgerIndexCorruptedException($"{kind} key of {key.Length} bytes");
                }

                if (items.Count == pageSize)
                {
                    next = new PageToken(kind, IndexLayout.Concat(IndexLayout.EncodeTimeOf(items[^1]), Hash256.AsSpan(items[^1].CiphertextHash)));
                    break;
                }

                items.Add(ReadRecord(snapshot, kind, key));
                if (scan.MoveNext())
                {
                    queue.Enqueue(scan, scan.Current.Key);
                }
            }

            return new IndexPage<RecordInfo>(items, next, at);
        }
        finally
        {
            foreach (var scan in scans)
            {
                scan.Dispose();
            }
        }
    }

    /// <summary>A page of a device's records measured in [<paramref name="fromMs"/>, <paramref name="toMs"/>) (null: unbounded), ordered by measurement time, then ciphertext hash.</summary>
    public IndexPage<RecordInfo> GetDeviceRecords(Address device, int pageSize, PageToken? after = null, long? fromMs = null, long? toMs = null) =>
        RecordPage(PageKind.DeviceRecords, IndexLayout.Prefix(IndexLayout.RecordByDevice, Address.AsSpan(device)), pageSize, after, fromMs, toMs);

    /// <summary>A page of every record measured in [<paramref name="fromMs"/>, <paramref name="toMs"/>) (null: unbounded), ordered by measurement time, then ciphertext hash.</summary>
    public IndexPage<RecordInfo> GetRecordsInTimeRange(long? fromMs, long? toMs, int pageSize, PageToken? after = null) =>
        RecordPage(PageKind.RecordsByTime, [IndexLayout.RecordByTime], pageSize, after, fromMs, toMs);

    /// <summary>
    /// A page of a patient's grants (one per provider and record type, expired ones included until revoked, as
    /// <see cref="ILedgerStateView.GetGrants"/>), ordered by provider, then record type.
    /// </summary>
    public IndexPage<AccessGrantInfo> GetPatientGrants(Address patient, int pageSize, PageToken? after = null) =>
        GrantPage(PageKind.PatientGrants, IndexLayout.GrantByPatient, patient, pageSize, after);

    /// <summary>A page of the grants a provider holds (expired ones included until revoked), ordered by patient, then record type.</summary>
    public IndexPage<AccessGrantInfo> GetProviderGrants(Address provider, int pageSize, PageToken? after = null) =>
        GrantPage(PageKind.ProviderGrants, IndexLayout.GrantByProvider, provider, pageSize, after);

    /// <summary>
    /// A page of the key releases of a patient's records (<see cref="Transactions.KeyRelease"/>), in chain order: by
    /// block height, then by position in the block.
    /// </summary>
    public IndexPage<KeyReleaseInfo> GetPatientReleases(Address patient, int pageSize, PageToken? after = null)
    {
        const PageKind kind = PageKind.PatientReleases;
        CheckPage(kind, pageSize, after);
        var prefix = IndexLayout.Prefix(IndexLayout.ReleaseByPatient, Address.AsSpan(patient));
        var start = after is null ? prefix : IndexLayout.Concat(IndexLayout.Concat(prefix, after.Position), [0]);
        var end = IndexLayout.PrefixEnd(prefix);
        using var snapshot = _store.CreateSnapshot();
        var at = ReadTip(snapshot);
        var items = new List<KeyReleaseInfo>(Math.Min(pageSize, 256));
        PageToken? next = null;
        byte[]? lastPosition = null;
        foreach (var entry in snapshot.Scan(start, end))
        {
            if (entry.Key.Length != prefix.Length + IndexLayout.ReleasePositionLength)
            {
                throw new LedgerIndexCorruptedException($"{kind} key of {entry.Key.Length} bytes");
            }

            if (items.Count == pageSize)
            {
                next = new PageToken(kind, lastPosition);
                break;
            }

            var height = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(entry.Key.AsSpan(prefix.Length));
            items.Add(IndexLayout.DecodeRelease(patient, height, entry.Value));
            lastPosition = entry.Key[prefix.Length..];
        }

        return new IndexPage<KeyReleaseInfo>(items, next, at);
    }

    private IndexPage<RecordInfo> RecordPage(PageKind kind, byte[] prefix, int pageSize, PageToken? after, long? fromMs, long? toMs)
    {
        CheckPage(kind, pageSize, after);
        var (start, end) = RecordRange(prefix, after, fromMs, toMs);
        using var snapshot = _store.CreateSnapshot();
        var at = ReadTip(snapshot);
        var items = new List<RecordInfo>(Math.Min(pageSize, 256));
        PageToken? next = null;
        if (ByteOrder.Instance.Compare(start, end) < 0)
        {
            foreach (var entry in snapshot.Scan(start, end))
            {
                if (entry.Key.Length != prefix.Length + IndexLayout.RecordPositionLength)
                {
                    throw new LedgerIndexCorruptedException($"{kind} key of {entry.Key.Length} bytes");
                }

                if (items.Count == pageSize)
                {
                    next = new PageToken(kind, IndexLayout.Concat(IndexLayout.EncodeTimeOf(items[^1]), Hash256.AsSpan(items[^1].CiphertextHash)));
                    break;
                }

                items.Add(ReadRecord(snapshot, kind, entry.Key));
            }
        }

        return new IndexPage<RecordInfo>(items, next, at);
    }

    // [prefix ‖ from, prefix ‖ to), or the whole prefix when unbounded; after a token, strictly after its position.
    private static (byte[] Start, byte[] End) RecordRange(byte[] prefix, PageToken? after, long? fromMs, long? toMs)
    {
        Span<byte> time = stackalloc byte[IndexLayout.TimeLength];
        var start = prefix;
        if (fromMs is { } from)
        {
            IndexLayout.WriteTime(time, from);
            start = IndexLayout.Concat(prefix, time);
        }

        var end = IndexLayout.PrefixEnd(prefix);
        if (toMs is { } to)
        {
            IndexLayout.WriteTime(time, to);
            end = IndexLayout.Concat(prefix, time);
        }

        if (after is not null)
        {
            var resume = IndexLayout.Concat(IndexLayout.Concat(prefix, after.Position), [0]);
            if (ByteOrder.Instance.Compare(resume, start) > 0)
            {
                start = resume;
            }
        }

        return (start, end);
    }

    // The record named by the ciphertext hash at the end of a secondary key, read in the same snapshot.
    private static RecordInfo ReadRecord(IKeyValueReader snapshot, PageKind kind, byte[] key)
    {
        var hash = new Hash256(key.AsSpan(key.Length - Hash256.Length));
        var value = snapshot.Get(IndexLayout.RecordKey(hash))
            ?? throw new LedgerIndexCorruptedException($"{kind} entry names record {hash.ToShortString()}, which is missing");
        return IndexLayout.DecodeRecord(hash, value);
    }

        private IndexPage<AccessGrantInfo> GrantPage(PageKind kind, byte tag, Address party, int pageSize, PageToken? after)
    {
        CheckPage(kind, pageSize, after);
        var prefix = IndexLayout.Prefix(tag, Address.AsSpan(party));
        var start = after is null ? prefix : IndexLayout.Concat(IndexLayout.Concat(prefix, after.Position), [0]);
        var end = IndexLayout.PrefixEnd(prefix);
        using var snapshot = _store.CreateSnapshot();
        var at = ReadTip(snapshot);
        var items = new List<AccessGrantInfo>(Math.Min(pageSize, 256));
        PageToken? next = null;
        byte[]? lastPosition = null;
        foreach (var entry in snapshot.Scan(start, end))
        {
            if (entry.Key.Length != prefix.Length + IndexLayout.GrantPositionLength)
            {
                throw new LedgerIndexCorruptedException($"{kind} key of {entry.Key.Length} bytes");
            }

            if (items.Count == pageSize)
            {
                next = new PageToken(kind, lastPosition);
                break;
            }

            var other = new Address(entry.Key.AsSpan(prefix.Length, Address.Length));
            var type = (RecordType)entry.Key[^1];
            var (expires, height) = IndexLayout.DecodeGrant(entry.Value);
            items.Add(tag == IndexLayout.GrantByPatient
                ? new AccessGrantInfo(party, other, type, expires, height)
                : new AccessGrantInfo(other, party, type, expires, height));
            lastPosition = entry.Key[prefix.Length..];
        }

        return new IndexPage<AccessGrantInfo>(items, next, at);
    }

    private void CheckPage(PageKind kind, int pageSize, PageToken? after)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, _options.MaxPageSize);
        if (after is not null && after.Kind != kind)
        {
            throw new ArgumentException($"A {after.Kind} token cannot continue a {kind} query.", nameof(after));
        }
    }

    private static IndexTip ReadTip(IKeyValueReader reader) =>
        IndexLayout.DecodeTip(reader.Get(IndexLayout.TipKey) ?? throw new LedgerIndexCorruptedException("the tip marker is missing"));

    private (int RolledBack, int Applied, bool Rebuilt) SynchronizeLocked()
    {
        var rolledBack = 0;
        var applied = 0;
        var rebuilt = false;

        // After a failed write the batch may or may not have landed: the stored marker is the truth.
        _tip = ReadTip(_store);
        _tipUncertain = false;
        if (_store.Get(IndexLayout.RebuildingKey) is not null)
        {
            Rebuild("a rebuild was interrupted");
            rebuilt = true;
        }

        while (true)
        {
            while (_chain.GetBestBlockAt(_tip.Height)?.Hash != _tip.Hash)
            {
                if (_tip.Height == 0)
                {
                    throw new LedgerIndexCorruptedException($"the index's genesis {_tip.Hash} is not the chain's genesis");
                }

                if (TryUndoTip())
                {
                    rolledBack++;
                }
                else
                {
                    Rebuild($"no undo data for block {_tip}, which is not on the best chain");
                    rebuilt = true;
                }
            }

            var target = _chain.Tip;
            var moved = false;
            while (_tip.Height < target.Height)
            {
                var block = _chain.GetBestBlockAt(_tip.Height + 1);
                if (block is null || block.Header.PreviousHash != _tip.Hash)
                {
                    moved = true; // the best chain changed while we read it: start again from the top
                    break;
                }

                ApplyBlock(block);
                applied++;
            }

            if (!moved && _chain.GetBestBlockAt(_tip.Height)?.Hash == _tip.Hash)
            {
                if (rolledBack + applied > 0 || rebuilt)
                {
                    _logger.LogInformation("Ledger index synchronised to {Tip}: {RolledBack} blocks undone, {Applied} indexed, rebuilt: {Rebuilt}", _tip, rolledBack, applied, rebuilt);
                }

                return (rolledBack, applied, rebuilt);
            }
        }
    }

    private void ApplyBlock(Block block)
    {
        var height = block.Header.Height;
        var changes = BlockIndexChanges.Of(block, _store);
        var batch = new KeyValueBatch();
        foreach (var (key, value) in changes.Writes)
        {
            if (value is null)
            {
                batch.Delete(key);
            }
            else
            {
                batch.Put(key, value);
            }
        }

        var undo = new UndoRecord(block.Hash, block.Header.PreviousHash, [.. changes.Originals]);
        batch.Put(IndexLayout.UndoKey(height), undo.Encode());
        if (height > (ulong)_options.UndoDepth)
        {
            batch.Delete(IndexLayout.UndoKey(height - (ulong)_options.UndoDepth));
        }

        var tip = new IndexTip(height, block.Hash);
        batch.Put(IndexLayout.TipKey, IndexLayout.EncodeTip(tip));
        WriteOrMarkUncertain(batch);
        _tip = tip;
    }

    private bool TryUndoTip()
    {
        var height = _tip.Height;
        if (height == 0)
        {
            return false;
        }

        var bytes = _store.Get(IndexLayout.UndoKey(height));
        if (bytes is null)
        {
            return false;
        }

        var undo = UndoRecord.Decode(height, bytes);
        if (undo.BlockHash != _tip.Hash)
        {
            throw new LedgerIndexCorruptedException($"undo data of height {height} is for block {undo.BlockHash.ToShortString()}, the index's tip is {_tip}");
        }

        var batch = new KeyValueBatch();
        foreach (var (key, value) in undo.Originals)
        {
            if (value is null)
            {
                batch.Delete(key);
            }
            else
            {
                batch.Put(key, value);
            }
        }

        batch.Delete(IndexLayout.UndoKey(height));
        var tip = new IndexTip(height - 1, undo.ParentHash);
        batch.Put(IndexLayout.TipKey, IndexLayout.EncodeTip(tip));
        WriteOrMarkUncertain(batch);
        _tip = tip;
        return true;
    }

    private void WriteOrMarkUncertain(KeyValueBatch batch)
    {
        try
        {
            _store.Write(batch);
        }
        catch
        {
            _tipUncertain = true;
            throw;
        }
    }

    // Marks the rebuild first, so a crash part-way (the clearing is not one batch) restarts it on the next open.
    private void Rebuild(string reason)
    {
        _logger.LogWarning("Ledger index rebuilt from genesis: {Reason}", reason);
        _tipUncertain = true;
        _store.Write(new KeyValueBatch().Put(IndexLayout.RebuildingKey, [1]));
        // Each round resumes after the last key deleted, so no scan walks over the tombstones of earlier rounds.
        byte[] from = [IndexLayout.Record];
        while (true)
        {
            var batch = new KeyValueBatch();
            foreach (var entry in _store.Scan(from, [IndexLayout.EndOfTables]))
            {
                batch.Delete(entry.Key);
                from = IndexLayout.Concat(entry.Key, [0]);
                if (batch.Count >= _options.ClearBatchSize)
                {
                    break;
                }
            }

            if (batch.Count == 0)
            {
                break;
            }

            _store.Write(batch);
        }

        var genesis = new IndexTip(0, _chain.GenesisHash);
        _store.Write(new KeyValueBatch().Put(IndexLayout.TipKey, IndexLayout.EncodeTip(genesis)).Delete(IndexLayout.RebuildingKey));
        _tip = genesis;
        _tipUncertain = false;
    }

    /// <summary>Orders secondary keys of one patient by their position (measured at ‖ hash): the last 40 bytes.</summary>
    private sealed class SuffixOrder : IComparer<byte[]>
    {
        public static readonly SuffixOrder Instance = new();

        public int Compare(byte[]? x, byte[]? y) =>
            x.AsSpan(x!.Length - IndexLayout.RecordPositionLength).SequenceCompareTo(y.AsSpan(y!.Length - IndexLayout.RecordPositionLength));
    }
}

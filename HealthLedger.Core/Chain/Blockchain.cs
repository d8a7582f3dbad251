using System.Diagnostics;
using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Core.Chain;

/// <summary>Tuning knobs of a <see cref="Blockchain"/>.</summary>
public sealed record ChainOptions
{
    /// <summary>Most blocks held while their parent is unknown; the oldest is dropped first.</summary>
    public int MaxOrphans { get; init; } = 256;

    /// <summary>Most hashes remembered as invalid.</summary>
    public int MaxKnownInvalid { get; init; } = 10_000;

    /// <summary>Blocks with at least this many transactions verify signatures on all cores.</summary>
    public int ParallelSignatureThreshold { get; init; } = 16;

    /// <summary>How many blocks above the last final block a finality scan looks at (bounds the cost when finality stalls).</summary>
    public int MaxFinalityScanDepth { get; init; } = 2_048;
}

/// <summary>What replaying the block store on open did.</summary>
/// <param name="Blocks">Blocks replayed.</param>
/// <param name="Elapsed">Time taken.</param>
public sealed record ReplayReport(long Blocks, TimeSpan Elapsed);

/// <summary>
/// The block tree, the best chain, the state after every block, fork choice with reorgs, orphans and finality.
/// Validation runs cheapest first: shape and sizes, signatures (all cores, cached), Merkle root, then parent,
/// height, finality conflict, timestamp (median-time-past and future drift), the consensus seal, and state.
/// Every valid block is appended to the <see cref="IBlockStore"/> before it joins the tree; on open the store is
/// replayed without re-checking signatures. Thread-safe: one block is processed at a time.
/// </summary>
public sealed class Blockchain
{
    private readonly object _gate = new();
    private readonly Dictionary<Hash256, ChainEntry> _entries = [];
    private readonly List<ChainEntry> _best = [];
    private readonly Dictionary<Hash256, List<Block>> _orphansByParent = [];
    private readonly Queue<(Hash256 Parent, Hash256 Hash)> _orphanOrder = new();
    private readonly HashSet<Hash256> _orphanHashes = [];
    private readonly HashSet<Hash256> _invalid = [];
    private readonly Queue<Hash256> _invalidOrder = new();
    private readonly List<BlockFinalized> _finalityLog = [];
    private readonly IBlockStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ChainOptions _options;
    private readonly ISignatureScheme _scheme;
    private bool _finalityDirty;

    /// <summary>Opens a chain: creates genesis, then replays every block in <paramref name="store"/>.</summary>
    /// <exception cref="InvalidDataException">A stored block no longer decodes or validates (the store is not from this chain).</exception>
    public Blockchain(
        GenesisConfig genesis,
        IConsensusEngine engine,
        IBlockStore store,
        TimeProvider? time = null,
        ISignatureScheme? scheme = null,
        SignatureCache? signatureCache = null,
        ILogger<Blockchain>? logger = null,
        ChainOptions? options = null)
    {
        Genesis = genesis ?? throw new ArgumentNullException(nameof(genesis));
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? TimeProvider.System;
        _scheme = scheme ?? Ed25519.Instance;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _options = options ?? new ChainOptions();
        if (engine.Id != genesis.Engine)
        {
            throw new ArgumentException($"Engine {engine.Id} does not match the genesis engine {genesis.Engine}.", nameof(engine));
        }

        TransactionValidator = new TransactionValidator(genesis, _scheme, signatureCache);
        var genesisBlock = CreateGenesisBlock(genesis);
        var root = new ChainEntry(genesisBlock, null, BigInteger.Zero, LedgerState.CreateGenesis(genesis));
        _entries[root.Hash] = root;
        _best.Add(root);
        LastFinal = root;
        LastReplay = Replay();
    }

    /// <summary>The genesis configuration.</summary>
    public GenesisConfig Genesis { get; }

    /// <summary>The consensus engine.</summary>
    public IConsensusEngine Engine { get; }

    /// <summary>The transaction validator (shared with the mempool, so signature results are shared too).</summary>
    public TransactionValidator TransactionValidator { get; }

    /// <summary>What replaying the store did when the chain was opened.</summary>
    public ReplayReport LastReplay { get; }

    /// <summary>Raised (under the chain's lock) when the best chain changes.</summary>
    public event Action<ChainUpdate>? TipChanged;

    /// <summary>Raised (under the chain's lock) when a block becomes final.</summary>
    public event Action<BlockFinalized>? Finalized;

    /// <summary>The genesis block entry.</summary>
    public ChainEntry GenesisEntry
    {
        get
        {
            lock (_gate)
            {
                return _best[0];
            }
        }
    }

    /// <summary>The tip of the best chain.</summary>
    public ChainEntry Tip
    {
        get
        {
            lock (_gate)
            {
                return _best[^1];
            }
        }
    }

    /// <summary>The height of the best chain.</summary>
    public ulong Height => Tip.Height;

    /// <summary>The state after the tip.</summary>
    public LedgerState State => Tip.State;

    /// <summary>The highest final block on the best chain. Fork choice never leaves it.</summary>
    public ChainEntry LastFinal { get; private set; }

    /// <summary>Every finality event seen so far (time from sealing to finality per block).</summary>
    public IReadOnlyList<BlockFinalized> FinalityLog
    {
        get
        {
            lock (_gate)
            {
                return [.. _finalityLog];
            }
        }
    }

    /// <summary>Number of blocks in the tree (all branches, genesis included).</summary>
    public int BlockCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Number of orphans held.</summary>
    public int OrphanCount
    {
        get
        {
            lock (_gate)
            {
                return _orphanHashes.Count;
            }
        }
    }

    /// <summary>The entry with this hash on any branch, or null.</summary>
    public ChainEntry? GetEntry(Hash256 hash)
    {
        lock (_gate)
        {
            return _entries.GetValueOrDefault(hash);
        }
    }

    /// <summary>The best-chain entry at a height, or null.</summary>
    public ChainEntry? GetBestAt(ulong height)
    {
        lock (_gate)
        {
            return BestAt(height);
        }
    }

    /// <summary>True when the block is on the best chain.</summary>
    public bool IsOnBestChain(Hash256 hash)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(hash, out var e) && ReferenceEquals(BestAt(e.Height), e);
        }
    }

    /// <summary>True when the block is on the best chain at or below the last final block.</summary>
    public bool IsFinal(Hash256 hash)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(hash, out var e) && e.Height <= LastFinal.Height && ReferenceEquals(BestAt(e.Height), e);
        }
    }

    /// <summary>A chain view ending at the tip.</summary>
    public IChainView TipView
    {
        get
        {
            lock (_gate)
            {
                return View(_best[^1]);
            }
        }
    }

    /// <summary>The hashes of a block locator for sync: the tip, then exponentially spaced ancestors, then genesis.</summary>
    public IReadOnlyList<Hash256> GetLocator()
    {
        lock (_gate)
        {
            var result = new List<Hash256>();
            long step = 1;
            for (var h = (long)_best[^1].Height; h > 0; h -= step)
            {
                result.Add(_best[(int)h].Hash);
                if (result.Count > 10)
                {
                    step *= 2;
                }
            }

            result.Add(_best[0].Hash);
            return result;
        }
    }

    /// <summary>The genesis block of a configuration: height 0, no transactions, Merkle root = hash of the configuration.</summary>
    public static Block CreateGenesisBlock(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var header = new BlockHeader(
            BlockHeader.CurrentVersion, genesis.ChainId, 0, genesis.TimestampMs, Hash256.Zero, GenesisHash(genesis),
            genesis.Consensus.InitialTargetBits, genesis.MinThreshold, genesis.Engine, PublicKey.Empty, 0, Signature.Empty);
        return new Block(header, []);
    }

    /// <summary>SHA-256 over a fixed layout of the whole genesis configuration (see docs/format.md).</summary>
    public static Hash256 GenesisHash(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var w = new HashInputWriter(512);
        w.WriteBytes("HL-GENESIS"u8);
        w.WriteU32(genesis.ChainId);
        w.WriteI64(genesis.TimestampMs);
        w.WriteU8((byte)genesis.Engine);
        w.WriteU16(genesis.MinThreshold);
        w.WriteU16(genesis.MaxThreshold);
        w.WriteU32((uint)genesis.Authorities.Count);
        foreach (var a in genesis.Authorities)
        {
            w.Write(a);
        }

        w.WriteU32((uint)genesis.InitialNodes.Count);
        foreach (var n in genesis.InitialNodes)
        {
            w.Write(n.Key);
            w.WriteU8((byte)n.Roles);
            w.WriteString(n.Name);
        }

        var c = genesis.Consensus;
        w.WriteU32(c.InitialTargetBits);
        w.WriteU32(c.PowLimitBits);
        w.WriteI64(c.TargetBlockIntervalMs);
        w.WriteI64(c.RetargetHalfLifeMs);
        w.WriteI64(c.MaxFutureDriftMs);
        w.WriteU32((uint)c.MedianTimeSpan);
        w.WriteU8(c.FixedDifficulty ? (byte)1 : (byte)0);
        w.WriteU32((uint)genesis.Limits.MaxTransactionBytes);
        w.WriteU32((uint)genesis.Limits.MaxTransactionsPerBlock);
        w.WriteU32((uint)genesis.Limits.MaxBlockBytes);
        return Hash256.Sha256(w.WrittenSpan);
    }

    /// <summary>
    /// An unsealed header for a new block on the tip: the right height, parent, Merkle root, target bits and a
    /// timestamp after the median-time-past. The miner then finds a nonce (and signs, under ePoW).
    /// </summary>
    public BlockHeader CreateTemplate(PublicKey miner, IReadOnlyList<Transaction> transactions, ushort threshold)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        lock (_gate)
        {
            var tip = _best[^1];
            var timestamp = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), MedianTimePast(tip) + 1);
            var root = MerkleTree.ComputeRoot(transactions.Select(t => t.Id).ToArray());
            return new BlockHeader(
                BlockHeader.CurrentVersion, Genesis.ChainId, tip.Height + 1, timestamp, tip.Hash, root,
                Engine.GetNextTargetBits(View(tip)), threshold, Genesis.Engine, miner, 0, Signature.Empty);
        }
    }

    /// <summary>Offers a block from a peer, a miner or a user.</summary>
    public BlockAddResult AddBlock(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        lock (_gate)
        {
            return Process(block, trusted: false);
        }
    }

    /// <summary>
    /// Offers an encoded block from an untrusted source: bytes that are not a canonical block are rejected with
    /// <see cref="RejectionCode.MalformedEncoding"/> before anything else runs.
    /// </summary>
    public BlockAddResult AddEncodedBlock(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > Genesis.Limits.MaxBlockBytes)
        {
            return Invalid(ValidationResult.Reject(RejectionCode.TooLarge, $"block is {bytes.Length} bytes, limit {Genesis.Limits.MaxBlockBytes}", bytes.Length, Genesis.Limits.MaxBlockBytes));
        }

        Block block;
        try
        {
            block = Block.Decode(bytes);
        }
        catch (LedgerFormatException ex)
        {
            return Invalid(ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message));
        }

        return AddBlock(block);
    }

    /// <summary>Median of the timestamps of <paramref name="entry"/> and its ancestors (up to the configured span).</summary>
    public long MedianTimePast(ChainEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var times = new List<long>(Genesis.Consensus.MedianTimeSpan);
        for (var e = entry; e is not null && times.Count < Genesis.Consensus.MedianTimeSpan; e = e.Parent)
        {
            times.Add(e.Header.TimestampMs);
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>State-independent block checks: shape, sizes, engine, threshold bounds, transaction shapes, signatures, Merkle root.</summary>
    public ValidationResult ValidateStateless(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var shape = CheckBlockShape(block);
        if (!shape.IsValid)
        {
            return shape;
        }

        var sigs = CheckSignatures(block.Transactions);
        if (!sigs.IsValid)
        {
            return sigs;
        }

        return CheckMerkleRoot(block);
    }

    private ValidationResult CheckBlockShape(Block block)
    {
        var h = block.Header;
        if (h.Version != BlockHeader.CurrentVersion)
        {
            return ValidationResult.Reject(RejectionCode.UnsupportedVersion, $"header version {h.Version}", h.Version, BlockHeader.CurrentVersion);
        }

        if (h.ChainId != Genesis.ChainId)
        {
            return ValidationResult.Reject(RejectionCode.WrongChainId, $"block for chain {h.ChainId}, this is chain {Genesis.ChainId}", h.ChainId, Genesis.ChainId);
        }

        if (h.Height == 0)
        {
            return ValidationResult.Reject(RejectionCode.BadHeight, "only the configured genesis block has height 0", 0, 1);
        }

        if (h.Engine != Genesis.Engine)
        {
            return ValidationResult.Reject(RejectionCode.WrongConsensusEngine, $"block sealed by {h.Engine}, chain uses {Genesis.Engine}", (long)h.Engine, (long)Genesis.Engine);
        }

        if (h.Threshold < Genesis.MinThreshold || h.Threshold > Genesis.MaxThreshold)
        {
            return ValidationResult.Reject(RejectionCode.ThresholdOutOfBounds, $"threshold {h.Threshold} outside [{Genesis.MinThreshold}, {Genesis.MaxThreshold}]", h.Threshold, h.Threshold < Genesis.MinThreshold ? Genesis.MinThreshold : Genesis.MaxThreshold);
        }

        var count = block.Transactions.Count;
        if (count > Genesis.Limits.MaxTransactionsPerBlock)
        {
            return ValidationResult.Reject(RejectionCode.TooManyTransactions, $"{count} transactions, limit {Genesis.Limits.MaxTransactionsPerBlock}", count, Genesis.Limits.MaxTransactionsPerBlock);
        }

        var size = block.Encode().Length;
        if (size > Genesis.Limits.MaxBlockBytes)
        {
            return ValidationResult.Reject(RejectionCode.TooLarge, $"block is {size} bytes, limit {Genesis.Limits.MaxBlockBytes}", size, Genesis.Limits.MaxBlockBytes);
        }

        var seen = new HashSet<Hash256>(count);
        for (var i = 0; i < count; i++)
        {
            var tx = block.Transactions[i];
            if (!seen.Add(tx.Id))
            {
                return ValidationResult.Reject(RejectionCode.DuplicateTransaction, $"transaction {tx.Id.ToShortString()} appears twice (index {i})", i);
            }

            var r = TransactionValidator.CheckShape(tx);
            if (!r.IsValid)
            {
                return ValidationResult.Reject(r.Code, $"transaction {i}: {r.Message}", r.Actual, r.Limit);
            }
        }

        return ValidationResult.Ok;
    }

    private ValidationResult CheckSignatures(IReadOnlyList<Transaction> txs)
    {
        if (txs.Count < _options.ParallelSignatureThreshold)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                var r = TransactionValidator.CheckSignatures(txs[i]);
                if (!r.IsValid)
                {
                    return ValidationResult.Reject(r.Code, $"transaction {i}: {r.Message}");
                }
            }

            return ValidationResult.Ok;
        }

        var failures = new ValidationResult[txs.Count];
        var failed = 0;
        Parallel.For(0, txs.Count, (i, state) =>
        {
            var r = TransactionValidator.CheckSignatures(txs[i]);
            if (!r.IsValid)
            {
                failures[i] = r;
                Interlocked.Exchange(ref failed, 1);
                state.Stop();
            }
        });
        if (failed == 0)
        {
            return ValidationResult.Ok;
        }

        for (var i = 0; i < failures.Length; i++)
        {
            if (!failures[i].IsValid)
            {
                return ValidationResult.Reject(failures[i].Code, $"transaction {i}: {failures[i].Message}");
            }
        }

        return ValidationResult.Ok;
    }

    private static ValidationResult CheckMerkleRoot(Block block)
    {
        var root = block.ComputeMerkleRoot();
        return root == block.Header.MerkleRoot
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.BadMerkleRoot, $"header says {block.Header.MerkleRoot.ToShortString()}, transactions give {root.ToShortString()}");
    }

    private BlockAddResult Process(Block block, bool trusted)
    {
        var hash = block.Hash;
        if (_entries.ContainsKey(hash) || _orphanHashes.Contains(hash))
        {
            return new BlockAddResult(BlockStatus.AlreadyKnown, ValidationResult.Reject(RejectionCode.AlreadyKnown, $"block {hash.ToShortString()} is already known"));
        }

        if (_invalid.Contains(hash) || _invalid.Contains(block.Header.PreviousHash))
        {
            MarkInvalid(hash);
            return Invalid(ValidationResult.Reject(RejectionCode.KnownInvalid, $"block {hash.ToShortString()} is, or descends from, a known invalid block"));
        }

        // Replay trusts its own store: each record is CRC-32C framed and its header hash re-checked on read, so the body's
        // Merkle root and the signatures were verified when the block was first accepted and need not be again.
        var stateless = trusted ? ValidationResult.Ok : ValidateStateless(block);
        if (!stateless.IsValid)
        {
            // A body that does not match its header says nothing about the header: do not blacklist the hash.
            if (stateless.Code != RejectionCode.BadMerkleRoot && stateless.Code != RejectionCode.DuplicateTransaction && CheckMerkleRoot(block).IsValid)
            {
                MarkInvalid(hash);
            }

            return Invalid(stateless);
        }

        if (!_entries.TryGetValue(block.Header.PreviousHash, out var parent))
        {
            AddOrphan(block);
            return new BlockAddResult(BlockStatus.Orphan, ValidationResult.Reject(RejectionCode.UnknownParent, $"parent {block.Header.PreviousHash.ToShortString()} is unknown; held as an orphan"));
        }

        var result = Connect(block, parent, trusted);
        if (result.Status is BlockStatus.Connected or BlockStatus.SideBranch)
        {
            var connected = 1 + ReleaseOrphans(hash);
            UpdateFinality();
            return result with { ConnectedCount = connected };
        }

        return result;
    }

    private BlockAddResult Connect(Block block, ChainEntry parent, bool trusted)
    {
        var h = block.Header;
        if (h.Height != parent.Height + 1)
        {
            MarkInvalid(h.Hash);
            return Invalid(ValidationResult.Reject(RejectionCode.HeightMismatch, $"height {h.Height} after parent height {parent.Height}", (long)h.Height, (long)parent.Height + 1));
        }

        if (h.Height <= LastFinal.Height || !ReferenceEquals(AncestorOf(parent, LastFinal.Height), LastFinal))
        {
            return Invalid(ValidationResult.Reject(RejectionCode.ConflictsWithFinalizedBlock, $"block {h.Hash.ToShortString()} at height {h.Height} does not descend from final block #{LastFinal.Height} {LastFinal.Hash.ToShortString()}", (long)h.Height, (long)LastFinal.Height));
        }

        var mtp = MedianTimePast(parent);
        if (h.TimestampMs <= mtp)
        {
            MarkInvalid(h.Hash);
            return Invalid(ValidationResult.Reject(RejectionCode.TimestampTooOld, $"timestamp {h.TimestampMs} is not after the median time past {mtp}", h.TimestampMs, mtp));
        }

        var view = View(parent);
        if (!trusted)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var limit = now + Genesis.Consensus.MaxFutureDriftMs;
            if (h.TimestampMs > limit)
            {
                // Not blacklisted: the same block becomes valid later.
                return Invalid(ValidationResult.Reject(RejectionCode.TimestampTooFarInFuture, $"timestamp {h.TimestampMs} is more than {Genesis.Consensus.MaxFutureDriftMs} ms after now ({now})", h.TimestampMs, limit));
            }

            var seal = Engine.ValidateSeal(h, view);
            if (!seal.IsValid)
            {
                MarkInvalid(h.Hash);
                return Invalid(seal);
            }
        }

        var context = new BlockContext(h.Height, h.TimestampMs, Genesis.ChainId, height => AncestorOf(parent, height)?.Hash);
        var (state, applied) = parent.State.ApplyBlock(block, context);
        if (state is null)
        {
            MarkInvalid(h.Hash);
            return Invalid(applied);
        }

        if (!trusted)
        {
            _store.Append(h.Hash, block.Encode());
        }

        var entry = new ChainEntry(block, parent, parent.CumulativeWork + Engine.GetWork(h, view), state);
        _entries[h.Hash] = entry;
        var tip = _best[^1];

        // Fork choice: a branch that makes a block beyond our last final block final wins (finality first, as in
        // Casper FFG's "follow the highest justified checkpoint"); otherwise the branch with more cumulative work.
        if (entry.CumulativeWork > tip.CumulativeWork || (!ReferenceEquals(entry.Parent, tip) && AffectsFinality(block) && FindFinal(entry).Final is not null))
        {
            SwitchTo(entry);
            return new BlockAddResult(BlockStatus.Connected, ValidationResult.Ok);
        }

        return new BlockAddResult(BlockStatus.SideBranch, ValidationResult.Ok);
    }

    private void SwitchTo(ChainEntry newTip)
    {
        var oldTip = _best[^1];
        var connected = new List<Block>();
        var e = newTip;
        while (!ReferenceEquals(BestAt(e.Height), e))
        {
            connected.Add(e.Block);
            e = e.Parent!;
        }

        var fork = e;
        connected.Reverse();
        var disconnected = new List<Block>();
        for (var h = oldTip.Height; h > fork.Height; h--)
        {
            disconnected.Add(_best[(int)h].Block);
        }

        _best.RemoveRange((int)fork.Height + 1, _best.Count - (int)fork.Height - 1);
        foreach (var b in connected)
        {
            _best.Add(_entries[b.Hash]);
        }

        if (disconnected.Count > 0)
        {
            _logger.LogInformation("Reorganised: {Disconnected} blocks out, {Connected} in, fork at #{Fork}", disconnected.Count, connected.Count, fork.Height);
        }

        _finalityDirty |= disconnected.Count > 0 || connected.Exists(AffectsFinality);
        TipChanged?.Invoke(new ChainUpdate(disconnected, connected));
    }

    /// <summary>
    /// The highest block on <paramref name="branchTip"/>'s branch, above the last final block, that k distinct active
    /// validators attested (it or a descendant on that branch), judged by the branch tip's state; null if none.
    /// The scan is bounded by <see cref="ChainOptions.MaxFinalityScanDepth"/>.
    /// </summary>
    private (ChainEntry? Final, int Attesters) FindFinal(ChainEntry branchTip)
    {
        var state = branchTip.State;
        var validators = state.ActiveValidators.Select(v => v.Id).ToHashSet();
        var union = new HashSet<Address>();
        var scanned = 0;
        for (var e = branchTip; e is not null && e.Height > LastFinal.Height && scanned < _options.MaxFinalityScanDepth; e = e.Parent, scanned++)
        {
            foreach (var a in state.GetAttesters(e.Hash))
            {
                if (validators.Contains(a))
                {
                    union.Add(a);
                }
            }

            if (union.Count >= e.Header.Threshold)
            {
                return (e, union.Count);
            }
        }

        return (null, 0);
    }

    private void UpdateFinality()
    {
        if (!_finalityDirty)
        {
            return;
        }

        _finalityDirty = false;
        var tip = _best[^1];
        var (newFinal, attesters) = FindFinal(tip);
        if (newFinal is null)
        {
            return;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var newly = new List<ChainEntry>();
        for (var e = newFinal; e.Height > LastFinal.Height; e = e.Parent!)
        {
            newly.Add(e);
        }

        LastFinal = newFinal;
        newly.Reverse();
        foreach (var e in newly)
        {
            var evt = new BlockFinalized(e.Header, ReferenceEquals(e, newFinal) ? attesters : tip.State.GetAttesters(e.Hash).Count, now, now - e.Header.TimestampMs);
            _finalityLog.Add(evt);
            Finalized?.Invoke(evt);
        }
    }

    private void AddOrphan(Block block)
    {
        while (_orphanHashes.Count >= _options.MaxOrphans && _orphanOrder.TryDequeue(out var old))
        {
            if (_orphansByParent.TryGetValue(old.Parent, out var list))
            {
                list.RemoveAll(b => b.Hash == old.Hash);
                if (list.Count == 0)
                {
                    _orphansByParent.Remove(old.Parent);
                }
            }

            _orphanHashes.Remove(old.Hash);
        }

        var parent = block.Header.PreviousHash;
        if (!_orphansByParent.TryGetValue(parent, out var children))
        {
            children = [];
            _orphansByParent[parent] = children;
        }

        children.Add(block);
        _orphanHashes.Add(block.Hash);
        _orphanOrder.Enqueue((parent, block.Hash));
    }

    private int ReleaseOrphans(Hash256 parentHash)
    {
        var connected = 0;
        var queue = new Queue<Hash256>();
        queue.Enqueue(parentHash);
        while (queue.TryDequeue(out var p))
        {
            if (!_orphansByParent.Remove(p, out var children))
            {
                continue;
            }

            foreach (var child in children)
            {
                _orphanHashes.Remove(child.Hash);
                if (_entries.TryGetValue(p, out var parent))
                {
                    var r = Connect(child, parent, trusted: false);
                    if (r.Status is BlockStatus.Connected or BlockStatus.SideBranch)
                    {
                        connected++;
                        queue.Enqueue(child.Hash);
                    }
                }
            }
        }

        return connected;
    }

    private ReplayReport Replay()
    {
        var sw = Stopwatch.StartNew();
        long count = 0;
        lock (_gate)
        {
            foreach (var stored in _store.ReadAll())
            {
                Block block;
                try
                {
                    block = Block.DecodeTrusted(stored.Encoded);
                }
                catch (LedgerFormatException ex)
                {
                    throw new InvalidDataException($"Stored block #{stored.Sequence} ({stored.Hash.ToShortString()}) does not decode: {ex.Message}", ex);
                }

                if (block.Hash != stored.Hash)
                {
                    throw new InvalidDataException($"Stored block #{stored.Sequence} hashes to {block.Hash.ToShortString()}, the store recorded {stored.Hash.ToShortString()}.");
                }

                var r = Process(block, trusted: true);
                if (r.Status == BlockStatus.Invalid)
                {
                    throw new InvalidDataException($"Stored block #{stored.Sequence} ({stored.Hash.ToShortString()}) is not valid on this chain: {r.Validation}");
                }

                count++;
            }
        }

        return new ReplayReport(count, sw.Elapsed);
    }

    /// <summary>
    /// Only attestations and changes to the validator set can move finality; blocks without them leave it as it was
    /// (the new block itself cannot be attested inside itself).
    /// </summary>
    private static bool AffectsFinality(Block block) =>
        block.Transactions.Any(t => t.Kind is TransactionKind.Attestation or TransactionKind.NodeRegistration or TransactionKind.NodeRevocation);

    /// <summary>The ancestor of <paramref name="entry"/> at <paramref name="height"/>: walks parents only until it meets the best chain, then indexes it.</summary>
    private ChainEntry? AncestorOf(ChainEntry entry, ulong height)
    {
        if (height > entry.Height)
        {
            return null;
        }

        var e = entry;
        while (e.Height > height)
        {
            if (ReferenceEquals(BestAt(e.Height), e))
            {
                return BestAt(height);
            }

            e = e.Parent!;
        }

        return e;
    }

    private ChainEntry? BestAt(ulong height) => height < (ulong)_best.Count ? _best[(int)height] : null;

    private ChainEntryView View(ChainEntry tip) => new(tip, Genesis, AncestorOf);

    private void MarkInvalid(Hash256 hash)
    {
        if (_invalid.Add(hash))
        {
            _invalidOrder.Enqueue(hash);
            while (_invalidOrder.Count > _options.MaxKnownInvalid && _invalidOrder.TryDequeue(out var old))
            {
                _invalid.Remove(old);
            }
        }
    }

    private BlockAddResult Invalid(ValidationResult result)
    {
        _logger.LogDebug("Block rejected: {Result}", result);
        return new BlockAddResult(BlockStatus.Invalid, result);
    }
}

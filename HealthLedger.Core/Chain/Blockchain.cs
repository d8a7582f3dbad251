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

    /// <summary>Most encoded bytes of blocks held while their parent is unknown (the oldest is dropped first).</summary>
    public long MaxOrphanBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Most hashes remembered as invalid.</summary>
    public int MaxKnownInvalid { get; init; } = 10_000;

    /// <summary>Blocks with at least this many transactions verify signatures on all cores.</summary>
    public int ParallelSignatureThreshold { get; init; } = 16;

    /// <summary>
    /// How far below the last final block a justified block still counts as the source of a vote (a validator whose
    /// view lags may vote from an older justified block); older sources are forgotten.
    /// </summary>
    public int JustifiedRetentionDepth { get; init; } = 256;

    /// <summary>How many finality events <see cref="Blockchain.FinalityLog"/> keeps (the newest).</summary>
    public int FinalityLogCapacity { get; init; } = 4_096;

    /// <summary>
    /// With a chain state store: how many final best-chain blocks below the last final block keep a header in memory
    /// (median time past reads 11, the ePoW credit window up to 512); older ones are read from the stores on demand, more slowly. At least 1.
    /// </summary>
    public int RetainedFinalHeaders { get; init; } = 1_024;

    /// <summary>
    /// Pruning (needs a chain state store): when set, the block store may delete the bodies of blocks below
    /// min(last final, tip − this many) (whole segment files at a time; every header stays in the state store). A pruned
    /// node cannot serve old bodies (<see cref="Storage.BlockPrunedException"/>), rebuild its state from genesis or run
    /// <c>chain verify</c> (docs/storage.md, "Pruning"). Null (the default) keeps every body. At least 1 when set.
    /// </summary>
    public long? KeepRecentBodies { get; init; }
}

/// <summary>What replaying the block store on open did.</summary>
/// <param name="Blocks">Blocks replayed.</param>
/// <param name="Elapsed">Time taken.</param>
public sealed record ReplayReport(long Blocks, TimeSpan Elapsed)
{
    /// <summary>The height of the final block the chain state store held, above which blocks were replayed (0: from genesis).</summary>
    public ulong FromHeight { get; init; }

    /// <summary>True when the chain state store was ahead of the block store (or damaged) and was rebuilt from genesis.</summary>
    public bool StateRebuilt { get; init; }
}

/// <summary>
/// The chain: coordinates the <see cref="BlockTree"/>, the <see cref="OrphanPool"/>, the invalid-hash cache, the
/// <see cref="BlockValidator"/>, state application, the <see cref="FinalityTracker"/> and fork choice. Validation runs
/// cheapest first: header shape, the engine's context-free header check (work, then seal), body shape, Merkle root,
/// signatures (all cores, cached), then parent, height, finality conflict, timestamps, the engine's contextual check
/// and state. Fork choice: never leave the last final block; prefer the branch with the highest justified block,
/// then the most cumulative base work, then the lower block hash. Every valid block is appended to the
/// <see cref="IBlockStore"/> before it joins the tree; on open the store is replayed with the header checks (linkage,
/// proof of work, identity) and the signatures of validator-set changes re-run.
/// Thread-safe: one block is processed at a time, and events are raised after the chain's lock is released, in order.
/// </summary>
public sealed class Blockchain
{
    private readonly object _gate = new();
    private readonly object _dispatchGate = new();
    private readonly Queue<Action> _events = new();
    private readonly BlockTree _tree;
    private readonly OrphanPool _orphans;
    private readonly InvalidBlockCache _invalid;
    private readonly FinalityTracker _finality;
    private readonly BlockValidator _validator;
    private readonly Queue<BlockFinalized> _finalityLog = new();
    private readonly IBlockStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ChainOptions _options;
    private readonly HealthLedger.Core.State.ChainStateStore? _stateStore;
    private volatile LedgerState? _finalState;

    /// <summary>
    /// Opens a chain: creates genesis, then replays every block in <paramref name="store"/>; or, given a
    /// <c>stateStore</c> (docs/storage.md, "Chain state"), loads the state after the last final block from it and
    /// replays only the blocks stored after that block (a state the block store no longer supports is rebuilt).
    /// </summary>
    /// <exception cref="ArgumentException">The genesis threshold bounds are not 1 ≤ min ≤ max, or the engine is not the genesis engine.</exception>
    /// <exception cref="BlockStoreGenesisMismatchException">The store records another genesis (<see cref="IBlockStore.GenesisHash"/>).</exception>
    /// <exception cref="InvalidDataException">A stored block no longer decodes, links or validates (the store is not from this chain).</exception>
    /// <exception cref="HealthLedger.Core.State.ChainStateMismatchException">The state store belongs to another genesis or format, holds foreign keys, or is damaged.</exception>
    public Blockchain(
        GenesisConfig genesis,
        IConsensusEngine engine,
        IBlockStore store,
        TimeProvider? time = null,
        ISignatureScheme? scheme = null,
        SignatureCache? signatureCache = null,
        ILogger<Blockchain>? logger = null,
        ChainOptions? options = null,
        HealthLedger.Core.State.IKeyValueStore? stateStore = null)
    {
        Genesis = genesis ?? throw new ArgumentNullException(nameof(genesis));
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _options = options ?? new ChainOptions();
        if (engine.Id != genesis.Engine)
        {
            throw new ArgumentException($"Engine {engine.Id} does not match the genesis engine {genesis.Engine}.", nameof(engine));
        }

        if (genesis.MinThreshold < 1 || genesis.MinThreshold > genesis.MaxThreshold)
        {
            throw new ArgumentException($"Genesis threshold bounds [{genesis.MinThreshold}, {genesis.MaxThreshold}] must satisfy 1 <= min <= max.", nameof(genesis));
        }

        var genesisHash = GenesisHash(genesis);
        if (store.GenesisHash is { } stored && stored != genesisHash)
        {
            throw new BlockStoreGenesisMismatchException($"The block store belongs to genesis {stored}, this chain's genesis is {genesisHash}.");
        }

        TransactionValidator = new TransactionValidator(genesis, scheme ?? Ed25519.Instance, signatureCache);
        _validator = new BlockValidator(genesis, engine, TransactionValidator, _options.ParallelSignatureThreshold);
        _orphans = new OrphanPool(_options.MaxOrphans, _options.MaxOrphanBytes);
        _invalid = new InvalidBlockCache(_options.MaxKnownInvalid);
        var genesisBlock = CreateGenesisBlock(genesis);
        var retention = (ulong)Math.Max(0, _options.JustifiedRetentionDepth);
        if (_options.KeepRecentBodies is { } keep && (keep < 1 || stateStore is null))
        {
            throw new ArgumentException("KeepRecentBodies needs a chain state store and must be at least 1.", nameof(options));
        }

        if (stateStore is null)
        {
            var root = new ChainEntry(genesisBlock, null, BigInteger.Zero, LedgerState.CreateGenesis(genesis));
            _tree = new BlockTree(root);
            _finality = new FinalityTracker(_tree, root, retention);
            LastReplay = Replay(0, fromMarker: false);
            return;
        }

        _stateStore = HealthLedger.Core.State.ChainStateStore.Open(stateStore, genesisHash);
        _stateStore.BodyLoader = hash => hash == genesisBlock.Hash ? genesisBlock : LoadBody(hash);
        _stateStore.ParentResolver = ResolveParent;
        _stateStore.FinalState = () => _finalState!;
        var marker = _stateStore.Marker;
        var markerSequence = marker is null ? null : store.GetSequence(marker.Hash);
        var rebuilt = false;
        if (marker is not null && marker.Height > 0 && (markerSequence is null || store.Count < marker.StoredBlocks))
        {
            // The state is ahead of the blocks: the block store lost its tail (a power loss under batched fsync), so it
            // may no longer hold the marker's block or the votes that made it final. Rebuild the state from genesis.
            _logger.LogWarning("Chain state is at #{Height} {Hash} written over {Stored} stored blocks; the block store holds {Count}: rebuilding the state from genesis", marker.Height, marker.Hash.ToShortString(), marker.StoredBlocks, store.Count);
            _stateStore.Wipe();
            marker = null;
            rebuilt = true;
        }

        if (marker is null || marker.Height == 0)
        {
            var state = LedgerState.CreateGenesis(genesis).WithBase(_stateStore);
            var root = new ChainEntry(genesisBlock, null, BigInteger.Zero, state);
            _finalState = state;
            _tree = new BlockTree([root], _stateStore);
            _finality = new FinalityTracker(_tree, root, retention);
            _stateStore.Flush(root, [root], [], 0);
            LastReplay = Replay(0, fromMarker: false) with { StateRebuilt = rebuilt };
            return;
        }

        var finalState = LedgerState.ForBase(genesis, marker.Height, _stateStore.LoadNodes(), _stateStore, marker.RecordTotal);
        _finalState = finalState;
        var window = new List<ChainEntry>();
        var floor = marker.Height > (ulong)RetainedHeaders ? marker.Height - (ulong)RetainedHeaders : 0;
        for (var h = floor; h <= marker.Height; h++)
        {
            var (header, work) = _stateStore.ReadBest(h);
            if (header is null)
            {
                throw new InvalidDataException($"The chain state store lacks the final block at height {h} (marker #{marker.Height}).");
            }

            var parent = window.Count > 0 ? window[^1] : null;
            window.Add(new ChainEntry(header, parent, work, finalState, _stateStore.BodyLoader, parent is null ? ResolveParent : null));
        }

        if (window[^1].Hash != marker.Hash)
        {
            throw new InvalidDataException($"The chain state store's marker {marker.Hash.ToShortString()} does not match its best chain at #{marker.Height}.");
        }

        _tree = new BlockTree(window, _stateStore);
        _finality = new FinalityTracker(_tree, window[^1], retention);
        foreach (var (_, hash) in _stateStore.ReadJustified())
        {
            if (_tree.Get(hash) is { } justified)
            {
                _finality.SeedJustified(justified);
            }
        }

        LastReplay = Replay(markerSequence!.Value + 1, fromMarker: true) with { FromHeight = marker.Height };
    }

    private int RetainedHeaders => Math.Max(1, _options.RetainedFinalHeaders);

    /// <summary>The genesis configuration.</summary>
    public GenesisConfig Genesis { get; }

    /// <summary>The consensus engine.</summary>
    public IConsensusEngine Engine { get; }

    /// <summary>The transaction validator (shared with the mempool, so signature results are shared too).</summary>
    public TransactionValidator TransactionValidator { get; }

    /// <summary>What replaying the store did when the chain was opened.</summary>
    public ReplayReport LastReplay { get; }

    /// <summary>Raised when the best chain changes, after the chain's lock is released, in the order of the changes.</summary>
    public event Action<ChainUpdate>? TipChanged;

    /// <summary>
    /// Raised for every block added to the tree, on the best chain or a side branch, after the chain's lock is released.
    /// The mempool uses it to take up the finality votes of side blocks, so that they reach the best chain too.
    /// </summary>
    public event Action<ChainEntry>? BlockConnected;

    /// <summary>Raised when a block becomes final, after the chain's lock is released, oldest first.</summary>
    public event Action<BlockFinalized>? Finalized;

    /// <summary>The genesis block entry.</summary>
    public ChainEntry GenesisEntry
    {
        get
        {
            lock (_gate)
            {
                return _tree.Genesis;
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
                return _tree.Tip;
            }
        }
    }

    /// <summary>The height of the best chain.</summary>
    public ulong Height => Tip.Height;

    /// <summary>The state after the tip.</summary>
    public LedgerState State => Tip.State;

    /// <summary>The highest final block. Fork choice never leaves it; it only moves to its descendants.</summary>
    public ChainEntry LastFinal
    {
        get
        {
            lock (_gate)
            {
                return _finality.LastFinal;
            }
        }
    }

    /// <summary>The highest justified block on any branch that descends from <see cref="LastFinal"/>.</summary>
    public ChainEntry HighestJustified
    {
        get
        {
            lock (_gate)
            {
                return _finality.HighestJustified;
            }
        }
    }

    /// <summary>The newest finality events (time from sealing to finality per block), at most <see cref="ChainOptions.FinalityLogCapacity"/>.</summary>
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

    /// <summary>
    /// Number of blocks in the tree held in memory (all branches; genesis included). With a chain state store: the
    /// retained window below the last final block and everything above it.
    /// </summary>
    public int BlockCount
    {
        get
        {
            lock (_gate)
            {
                return _tree.Count;
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
                return _orphans.Count;
            }
        }
    }

    /// <summary>Encoded bytes of the orphans held.</summary>
    public long OrphanBytes
    {
        get
        {
            lock (_gate)
            {
                return _orphans.Bytes;
            }
        }
    }

    /// <summary>The entry with this hash on any branch, or null.</summary>
    public ChainEntry? GetEntry(Hash256 hash)
    {
        lock (_gate)
        {
            return _tree.Get(hash);
        }
    }

    /// <summary>The best-chain entry at a height, or null.</summary>
    public ChainEntry? GetBestAt(ulong height)
    {
        lock (_gate)
        {
            return _tree.BestAt(height);
        }
    }

    /// <summary>True when the block is on the best chain.</summary>
    public bool IsOnBestChain(Hash256 hash)
    {
        lock (_gate)
        {
            return _tree.Get(hash) is { } e && _tree.IsOnBestChain(e);
        }
    }

    /// <summary>True when the block is on the best chain at or below the last final block.</summary>
    public bool IsFinal(Hash256 hash)
    {
        lock (_gate)
        {
            return _tree.Get(hash) is { } e && e.Height <= _finality.LastFinal.Height && _tree.IsOnBestChain(e);
        }
    }

    /// <summary>True when the block is justified (and above the retention depth below the last final block).</summary>
    public bool IsJustified(Hash256 hash)
    {
        lock (_gate)
        {
            return _finality.IsJustified(hash);
        }
    }

    /// <summary>A chain view ending at the tip.</summary>
    public IChainView TipView
    {
        get
        {
            lock (_gate)
            {
                return View(_tree.Tip);
            }
        }
    }

    /// <summary>A chain view ending at <paramref name="entry"/> (a miner's parent, which may no longer be the tip).</summary>
    public IChainView GetView(ChainEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            return View(entry);
        }
    }

    /// <summary>The hashes of a block locator for sync: the tip, then exponentially spaced ancestors, then genesis.</summary>
    public IReadOnlyList<Hash256> GetLocator()
    {
        lock (_gate)
        {
            return _tree.GetLocator();
        }
    }

    /// <summary>
    /// The finality vote for the best-chain block <paramref name="depth"/> blocks below the tip (0: the tip, as
    /// <see cref="CreateVote()"/>), with the highest justified block below that target as source; null when there is no
    /// such block above the last final block. Voting a little below the tip lets competing blocks at the tip's height
    /// be settled by the next block before validators commit to one of them (a validator votes once per height, so
    /// votes cast for siblings split and that height is never justified).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="depth"/> is negative.</exception>
    public Attestation? CreateVote(int depth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        if (depth == 0)
        {
            return CreateVote();
        }

        lock (_gate)
        {
            var tip = _tree.Tip;
            return tip.Height <= (ulong)depth ? null : VoteAt(tip, tip.Height - (ulong)depth);
        }
    }

    /// <summary>
    /// The finality vote for the best-chain block at <paramref name="height"/>, with the highest justified block below it
    /// as source; null when that height is above the tip or not above the last final block. A validator that votes each
    /// height a short while after it first saw a block there (<c>LedgerNodeOptions.VoteDelay</c>) calls this.
    /// </summary>
    public Attestation? CreateVoteAt(ulong height)
    {
        lock (_gate)
        {
            var tip = _tree.Tip;
            return height > tip.Height ? null : VoteAt(tip, height);
        }
    }

    private Attestation? VoteAt(ChainEntry tip, ulong height)
    {
        var target = _tree.AncestorOf(tip, height);
        if (target?.Parent is null || target.Height <= _finality.LastFinal.Height)
        {
            return null;
        }

        var source = _finality.HighestJustifiedOn(target.Parent);
        return new Attestation(target.Hash, target.Height, source.Hash, source.Height);
    }

    /// <summary>
    /// The finality vote an honest validator casts now: the tip as target, the highest justified block below it on the
    /// best chain as source; null at genesis. Casting it is the validator's decision: it must never sign two votes for
    /// one target height nor a vote that surrounds another of its own (see <see cref="VoteGuard"/>).
    /// </summary>
    public Attestation? CreateVote()
    {
        lock (_gate)
        {
            var tip = _tree.Tip;
            if (tip.Parent is null)
            {
                return null;
            }

            var source = _finality.HighestJustifiedOn(tip.Parent);
            return new Attestation(tip.Hash, tip.Height, source.Hash, source.Height);
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
            var tip = _tree.Tip;
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
        BlockAddResult result;
        lock (_gate)
        {
            result = Process(block, trusted: false);
        }

        DispatchEvents();
        return result;
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

    /// <summary>
    /// Context-free block checks: header shape, the engine's header check (proof of work against the easiest legal
    /// target, the seal), body shape, Merkle root, signatures.
    /// </summary>
    public ValidationResult ValidateStateless(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        return _validator.Validate(block).Result;
    }

    private BlockAddResult Process(Block block, bool trusted)
    {
        var hash = block.Hash;
        if (_tree.Contains(hash) || _orphans.Contains(hash))
        {
            return new BlockAddResult(BlockStatus.AlreadyKnown, ValidationResult.Reject(RejectionCode.AlreadyKnown, $"block {hash.ToShortString()} is already known"));
        }

        if (_invalid.Contains(hash) || _invalid.Contains(block.Header.PreviousHash))
        {
            _invalid.Add(hash);
            return Invalid(ValidationResult.Reject(RejectionCode.KnownInvalid, $"block {hash.ToShortString()} is, or descends from, a known invalid block"));
        }

        if (!trusted)
        {
            var verdict = _validator.Validate(block);
            if (!verdict.Result.IsValid)
            {
                if (verdict.HashIsInvalid)
                {
                    _invalid.Add(hash);
                }

                return Invalid(verdict.Result);
            }
        }
        else
        {
            // Replay: the header's shape and the signatures of validator-set changes are checked again; linkage and
            // proof of work follow in Connect. The rest of the body was verified when the block was first accepted.
            var shape = _validator.CheckHeaderShape(block.Header);
            var privileged = shape.IsValid ? _validator.CheckPrivilegedSignatures(block.Transactions) : shape;
            if (!privileged.IsValid)
            {
                return Invalid(privileged);
            }
        }

        var parent = _tree.Get(block.Header.PreviousHash);
        if (parent is null)
        {
            if (trusted)
            {
                return Invalid(ValidationResult.Reject(RejectionCode.UnknownParent, $"stored block {hash.ToShortString()} does not follow a block stored before it"));
            }

            _orphans.Add(block);
            return new BlockAddResult(BlockStatus.Orphan, ValidationResult.Reject(RejectionCode.UnknownParent, $"parent {block.Header.PreviousHash.ToShortString()} is unknown; held as an orphan"));
        }

        var result = Connect(block, parent, trusted);
        if (result.Status is BlockStatus.Connected or BlockStatus.SideBranch)
        {
            var connected = 1 + ReleaseOrphans(hash);
            return result with { ConnectedCount = connected, Status = _tree.IsOnBestChain(_tree.Get(hash)!) ? BlockStatus.Connected : BlockStatus.SideBranch };
        }

        return result;
    }

    private BlockAddResult Connect(Block block, ChainEntry parent, bool trusted)
    {
        var h = block.Header;
        if (h.Height != parent.Height + 1)
        {
            _invalid.Add(h.Hash);
            return Invalid(ValidationResult.Reject(RejectionCode.HeightMismatch, $"height {h.Height} after parent height {parent.Height}", (long)h.Height, (long)parent.Height + 1));
        }

        var lastFinal = _finality.LastFinal;
        if (!_tree.Descends(parent, lastFinal))
        {
            return Invalid(ValidationResult.Reject(RejectionCode.ConflictsWithFinalizedBlock, $"block {h.Hash.ToShortString()} at height {h.Height} does not descend from final block #{lastFinal.Height} {lastFinal.Hash.ToShortString()}", (long)h.Height, (long)lastFinal.Height));
        }

        var mtp = MedianTimePast(parent);
        if (h.TimestampMs <= mtp)
        {
            _invalid.Add(h.Hash);
            return Invalid(ValidationResult.Reject(RejectionCode.TimestampTooOld, $"timestamp {h.TimestampMs} is not after the median time past {mtp}", h.TimestampMs, mtp));
        }

        var view = View(parent);
        var seal = Engine.ValidateContext(h, view);
        if (!seal.IsValid)
        {
            if (!trusted)
            {
                _invalid.Add(h.Hash);
            }

            return Invalid(seal);
        }

        if (!trusted)
        {
            // After the work check, so a block from the future costs its sender a proof of work; not blacklisted,
            // since the same block becomes valid later.
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var limit = now + Genesis.Consensus.MaxFutureDriftMs;
            if (h.TimestampMs > limit)
            {
                return Invalid(ValidationResult.Reject(RejectionCode.TimestampTooFarInFuture, $"timestamp {h.TimestampMs} is more than {Genesis.Consensus.MaxFutureDriftMs} ms after now ({now})", h.TimestampMs, limit));
            }
        }

        var context = new BlockContext(h.Height, h.TimestampMs, Genesis.ChainId, height => _tree.AncestorHashOf(parent, height));
        var (state, applied) = parent.State.ApplyBlock(block, context);
        if (state is null)
        {
            if (!trusted)
            {
                _invalid.Add(h.Hash);
            }

            return Invalid(applied);
        }

        if (!trusted)
        {
            _store.Append(h.Hash, block.Encode().Span);
        }

        var entry = new ChainEntry(block, parent, parent.CumulativeWork + Engine.GetWork(h, view), state);
        _tree.Add(entry);
        if (BlockConnected is { } connectedHandler)
        {
            _events.Enqueue(() => connectedHandler(entry));
        }

        if (IsBetter(entry, _tree.Tip))
        {
            SwitchTo(entry);
        }

        _finality.AddVotes(entry);
        UpdateFinality();
        return new BlockAddResult(_tree.IsOnBestChain(entry) ? BlockStatus.Connected : BlockStatus.SideBranch, ValidationResult.Ok);
    }

    /// <summary>
    /// Fork choice: the branch with the higher justified block wins, then the one with more cumulative base work, then
    /// the lower block hash. The last rule makes every node that holds the same leaves choose the same one, whatever
    /// order they arrived in: siblings raced at a height agree once both are seen, so validators that vote a little
    /// after a height first appears (<c>LedgerNodeOptions.VoteDelay</c>) vote for the same block instead of each for the
    /// one it saw first, which split the votes of that height (docs/consensus.md §5.4, §5.6).
    /// </summary>
    private bool IsBetter(ChainEntry candidate, ChainEntry current)
    {
        if (ReferenceEquals(candidate, current))
        {
            return false;
        }

        var jc = _finality.HighestJustifiedOn(candidate).Height;
        var jt = _finality.HighestJustifiedOn(current).Height;
        if (jc != jt)
        {
            return jc > jt;
        }

        return candidate.CumulativeWork != current.CumulativeWork
            ? candidate.CumulativeWork > current.CumulativeWork
            : candidate.Hash < current.Hash;
    }

    private void SwitchTo(ChainEntry newTip)
    {
        var update = _tree.SwitchTo(newTip);
        if (update.IsReorg)
        {
            _logger.LogInformation("Reorganised: {Disconnected} blocks out, {Connected} in, new tip #{Height}", update.Disconnected.Count, update.Connected.Count, newTip.Height);
        }

        var handler = TipChanged;
        if (handler is not null)
        {
            _events.Enqueue(() => handler(update));
        }
    }

    /// <summary>Recomputes justification and finality after new votes; moves the tip if fork choice now prefers another leaf.</summary>
    private void UpdateFinality()
    {
        var newly = _finality.Update();
        var final = _finality.LastFinal;
        if (newly.Count > 0)
        {
            _tree.PruneLeavesConflictingWith(final);
            if (_stateStore is not null)
            {
                PersistFinal([.. newly.Select(n => n.Block)]);
            }

            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (var (e, votes) in newly)
            {
                var evt = new BlockFinalized(e.Header, votes, now, now - e.Header.TimestampMs);
                _finalityLog.Enqueue(evt);
                while (_finalityLog.Count > Math.Max(0, _options.FinalityLogCapacity))
                {
                    _finalityLog.Dequeue();
                }

                var handler = Finalized;
                if (handler is not null)
                {
                    _events.Enqueue(() => handler(evt));
                }
            }
        }

        // Justification may have moved: the best leaf may now be another one (and must descend from the last final block).
        var tip = _tree.Tip;
        if (!_finality.JustificationChanged && _tree.Descends(tip, final))
        {
            return;
        }

        var best = _tree.Descends(tip, final) ? tip : null;
        foreach (var leaf in _tree.Leaves)
        {
            if (best is null ? _tree.Descends(leaf, final) : IsBetter(leaf, best))
            {
                best = leaf;
            }
        }

        if (best is not null && !ReferenceEquals(best, tip))
        {
            SwitchTo(best);
        }
    }

    private int ReleaseOrphans(Hash256 parentHash)
    {
        var connected = 0;
        var queue = new Queue<Hash256>();
        queue.Enqueue(parentHash);
        while (queue.TryDequeue(out var p))
        {
            foreach (var child in _orphans.TakeChildren(p))
            {
                if (_tree.Get(p) is { } parent)
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

    private ReplayReport Replay(long fromSequence, bool fromMarker)
    {
        var sw = Stopwatch.StartNew();
        long count = 0;
        lock (_gate)
        {
            foreach (var stored in fromSequence == 0 ? _store.ReadAll() : _store.ReadFrom(fromSequence))
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

                if (fromMarker && !_tree.Contains(block.Header.PreviousHash))
                {
                    continue; // stored after the state's final block but on a branch that left the final chain below the window
                }

                var r = Process(block, trusted: true);
                if (r.Validation.Code is RejectionCode.AlreadyKnown or RejectionCode.ConflictsWithFinalizedBlock)
                {
                    continue; // a duplicate record, or a side block that finality has since ruled out: nothing to rebuild
                }

                if (r.Status == BlockStatus.Invalid)
                {
                    throw new InvalidDataException($"Stored block #{stored.Sequence} ({stored.Hash.ToShortString()}) is not valid on this chain: {r.Validation}");
                }

                count++;
            }
        }

        DispatchEvents();
        return new ReplayReport(count, sw.Elapsed);
    }

    /// <summary>Raises the queued events outside the chain's lock; one dispatcher at a time keeps them in order.</summary>
    private void DispatchEvents()
    {
        lock (_dispatchGate)
        {
            while (true)
            {
                Action? next;
                lock (_gate)
                {
                    if (!_events.TryDequeue(out next))
                    {
                        return;
                    }
                }

                next();
            }
        }
    }

    /// <summary>
    /// Writes the state after the new last final block to the state store (one batch with the marker), puts every
    /// state above it on the new base, and lets the entries at or below it go: bodies dropped, states shared, headers
    /// below the retained window forgotten, side branches that left the final chain forgotten.
    /// </summary>
    private void PersistFinal(IReadOnlyList<ChainEntry> newlyFinal)
    {
        var final = _finality.LastFinal;
        _stateStore!.Flush(final, newlyFinal, _finality.JustifiedAtOrBelowFinal, _store.Count);
        var baseState = final.State.WithBase(_stateStore);
        var floor = final.Height > (ulong)RetainedHeaders ? final.Height - (ulong)RetainedHeaders : 0;
        _tree.PruneBelow(final, floor, ResolveParent);
        final.SetState(baseState);
        _finalState = baseState;
        foreach (var e in _tree.EntriesAbove(final.Height))
        {
            e.SetState(e.State.RebaseOn(e.Parent!.State));
        }

        foreach (var e in newlyFinal)
        {
            if (e.Height > 0)
            {
                e.SetState(baseState);
                e.DropBody(_stateStore.BodyLoader!);
            }
        }

        Prune(final);
    }

    // Lets the block store delete what was appended before the best block at min(final, tip − keep). Every block on the
    // best chain above that block descends from it and was appended after it (parents are appended first), so no body
    // above the prune point is ever removed; everything appended before it is final history or a branch that left the
    // final chain.
    private void Prune(ChainEntry final)
    {
        if (_options.KeepRecentBodies is not { } keep)
        {
            return;
        }

        var tip = _tree.Tip.Height;
        if (tip <= (ulong)keep)
        {
            return;
        }

        var height = Math.Min(final.Height, tip - (ulong)keep);
        if (height == 0 || _tree.BestAt(height) is not { } point || _store.GetSequence(point.Hash) is not { } sequence)
        {
            return;
        }

        var removed = _store.PruneBefore(sequence);
        if (removed > 0)
        {
            _logger.LogInformation("Pruned {Files} block files below #{Height} (block number {Sequence})", removed, height, sequence);
        }
    }

    private Block LoadBody(Hash256 hash)
    {
        var bytes = _store.TryGet(hash) ?? throw (_store.FirstRetainedSequence > 0
            ? new Storage.BlockPrunedException(hash, $"Block {hash.ToShortString()} was pruned: this node keeps only recent block bodies.")
            : new InvalidOperationException($"Block {hash.ToShortString()} is final but not in the block store."));
        return Block.DecodeTrusted(bytes);
    }

    private ChainEntry? ResolveParent(ChainEntry entry)
    {
        lock (_gate)
        {
            return entry.Height == 0 ? null : _tree.BestAt(entry.Height - 1);
        }
    }

    private ChainEntryView View(ChainEntry tip) => new(tip, Genesis, _tree.AncestorOf);

    private BlockAddResult Invalid(ValidationResult result)
    {
        _logger.LogDebug("Block rejected: {Result}", result);
        return new BlockAddResult(BlockStatus.Invalid, result);
    }
}

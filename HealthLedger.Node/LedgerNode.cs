using System.Net;
using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Network.Hosting;
using HealthLedger.Network.Transport.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Node;

/// <summary>
/// A HealthLedger node assembled from <see cref="LedgerNodeOptions"/>: the chain on a crash-safe file store, the
/// mempool, authenticated TLS peers driven by a <see cref="PeerHost"/>, the miner (multi-lane SIMD nonce search,
/// restarted whenever the tip changes), and the validator's duties — a finality vote for every new tip (guarded and
/// recorded on disk, so a restart never makes it equivocate) and evidence for every double or surround vote it sees.
/// Start with <see cref="StartAsync"/>, stop with <see cref="DisposeAsync"/>. Thread-safe: the chain and the pool are
/// thread-safe, and everything that touches the gossip layer runs on the peer host's loop.
/// </summary>
public sealed partial class LedgerNode : IAsyncDisposable
{
    /// <summary>
    /// The name of the node's <see cref="System.Diagnostics.Metrics.Meter"/> (head height, finality lag, peers, mempool
    /// size, admissions and refusals by outcome, blocks mined): subscribe to it with OpenTelemetry or a MeterListener.
    /// </summary>
    public const string MeterName = NodeMetrics.MeterName;

    private readonly LedgerNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FileBlockStore _store;
    private readonly IMiningEngine _engine;
    private readonly GossipNode _gossip;
    private readonly PeerHost _host;
    private readonly VoteRecord _votes;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _miningGate = new();
    private long _tipChangedAt;
    private readonly NodeMetrics _metrics;
    private readonly Storage.RocksDb.RocksDbKeyValueStore? _indexStore;
    private readonly Storage.RocksDb.RocksDbKeyValueStore? _stateStore;
    private readonly Core.State.LedgerIndexFollower? _indexFollower;
    private CancellationTokenSource _tipChanged = new();
    private Task? _miner;
    private Task? _voter;
    private readonly VoteSchedule _voteSchedule;
    private readonly SemaphoreSlim _voteSignal = new(0);
    private int _disposed;

    private LedgerNode(LedgerNodeOptions options, TimeProvider time, ILoggerFactory loggers, System.Diagnostics.Metrics.IMeterFactory? meters)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.VoteDepth, nameof(options));
        if (options.VoteDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.VoteDelay, "VoteDelay must not be negative.");
        }
        _options = options;
        _time = time;
        _logger = loggers.CreateLogger<LedgerNode>();
        Directory.CreateDirectory(options.DataDirectory);
        _votes = VoteRecord.Open(options.DataDirectory);
        _voteSchedule = new VoteSchedule(time, options.VoteDelay);
        _store = FileBlockStore.Open(Path.Combine(options.DataDirectory, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(options.Genesis) });
        try
        {
            _engine = ConsensusEngines.Create(options.Genesis);
            _stateStore = options.PersistState ? Storage.RocksDb.RocksDbKeyValueStore.Open(Path.Combine(options.DataDirectory, "state")) : null;
            Chain = new Blockchain(options.Genesis, _engine, _store, time, logger: loggers.CreateLogger<Blockchain>(), options: options.Chain, stateStore: _stateStore);
            Pool = new TransactionPool(Chain, time, options.Mempool);
            foreach (var gate in options.Gates)
            {
                Pool.AddGate(gate);
            }

            _gossip = new GossipNode(options.NodeKey.Address.ToString(), Chain, Pool, logger: loggers.CreateLogger<GossipNode>(), time: time);
            var transport = new TlsTransport(new TlsTransportOptions
            {
                NodeKey = options.NodeKey,
                ChainId = options.Genesis.ChainId,
                AdmitPeer = Admit,
                Time = time,
            });
            _host = new PeerHost(_gossip, transport, options.PeerHost with { ListenOn = options.ListenOn, Peers = options.Peers }, time, loggers.CreateLogger<PeerHost>());
        }
        catch
        {
            _stateStore?.Dispose();
            _store.Dispose();
            throw;
        }

        Chain.TipChanged += OnTipChanged;
        _tipChangedAt = time.GetTimestamp();
        _gossip.EquivocationDetected += OnEquivocation;
        if (options.Records is { } records)
        {
            Records = new Records.NodeRecords(
                records,
                options.Genesis.ChainId,
                options.NodeKey,
                options.DataDirectory,
                Chain,
                Pool,
                (tx, attachment, ct) => SubmitAsync(tx, attachment, ct),
                PublishWithNextSequenceAsync,
                time);
        }

        _metrics = new NodeMetrics(this, meters);
        if (options.Index)
        {
            // Opened after the chain replayed its store: the follower subscribes first, then the index catches up.
            try
            {
                _indexStore = Storage.RocksDb.RocksDbKeyValueStore.Open(Path.Combine(options.DataDirectory, "index"));
                Index = Core.State.LedgerIndex.Open(_indexStore, new Core.State.BlockchainIndexSource(Chain), logger: loggers.CreateLogger<Core.State.LedgerIndex>());
                _indexFollower = new Core.State.LedgerIndexFollower(Chain, Index, loggers.CreateLogger<Core.State.LedgerIndexFollower>());
            }
            catch
            {
                _indexStore?.Dispose();
                _stateStore?.Dispose();
                _store.Dispose();
                _metrics.Dispose();
                throw;
            }
        }
    }

    /// <summary>The chain (thread-safe).</summary>
    public Blockchain Chain { get; }

    /// <summary>The persistent record and grant index, or null when <see cref="LedgerNodeOptions.Index"/> is off.</summary>
    public Core.State.LedgerIndex? Index { get; }

    /// <summary>The node's health records (ingestion and key release), or null when <see cref="LedgerNodeOptions.Records"/> is not set.</summary>
    public Records.NodeRecords? Records { get; }

    /// <summary>The mempool (thread-safe).</summary>
    public TransactionPool Pool { get; }

    /// <summary>This node's identity.</summary>
    public PublicKey NodeKey => _options.NodeKey.PublicKey;

    /// <summary>Where the node listens for peers, once started.</summary>
    public IPEndPoint? ListenEndPoint => _host.LocalEndPoint;

    /// <summary>Node keys of the peers connected now.</summary>
    public IReadOnlyCollection<PublicKey> ConnectedPeers => _host.ConnectedPeers;

    /// <summary>Opens the store (replaying it) and builds the node; nothing runs until <see cref="StartAsync"/>.</summary>
    /// <exception cref="BlockStoreGenesisMismatchException">The data directory belongs to another chain.</exception>
    /// <param name="options">What the node is.</param>
    /// <param name="time">The clock (the system clock when null).</param>
    /// <param name="loggers">Where logs go (nowhere when null).</param>
    /// <param name="meters">Where metrics go (meter <c>HealthLedger.Node</c>; a standalone meter when null).</param>
    public static LedgerNode Create(LedgerNodeOptions options, TimeProvider? time = null, ILoggerFactory? loggers = null, System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LedgerNode(options, time ?? TimeProvider.System, loggers ?? NullLoggerFactory.Instance, meters);
    }

    /// <summary>Starts the peer host, asks peers for what they have, and starts mining when configured.</summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _host.Start();
        await _host.InvokeAsync(
            g =>
            {
                g.RequestSync();
                return 0;
            },
            cancellationToken).ConfigureAwait(false);
        if (_options.Vote)
        {
            _voter = Task.Run(VoteLoopAsync, CancellationToken.None);
        }

        if (_options.Mine)
        {
            _miner = Task.Run(MineLoopAsync, CancellationToken.None);
        }

        LogStarted(_logger, NodeKey.ToAddress().ToString(), ListenEndPoint?.ToString() ?? "?", Chain.Height);
    }

    /// <summary>
    /// Submits a signed transaction locally and relays it when admitted. An <paramref name="attachment"/> (for example
    /// the device submission a record anchor stands for) is shown to the mempool's gates and never leaves this node.
    /// </summary>
    public async Task<AdmissionResult> SubmitAsync(Transaction transaction, object? attachment = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var result = await _host.InvokeAsync(g => g.PublishTransaction(transaction, attachment), cancellationToken).ConfigureAwait(false);
        _metrics.Submitted(result.Accepted ? "admitted" : result.Validation.Code.ToString());
        return result;
    }

    /// <summary>Stops mining and the peer host, then closes the store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        lock (_miningGate)
        {
            _tipChanged.Cancel();
        }

        if (_voter is not null)
        {
            await _voter.ConfigureAwait(false);
        }

        if (_miner is not null)
        {
            try
            {
                await _miner.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // stopping
            }
        }

        await _host.DisposeAsync().ConfigureAwait(false);
        Chain.TipChanged -= OnTipChanged;
        _indexFollower?.Dispose();
        _indexStore?.Dispose();
        Records?.Dispose();
        _stateStore?.Dispose();
        _store.Dispose();
        _metrics.Dispose();
        _stop.Dispose();
        _tipChanged.Dispose();
        _voteSignal.Dispose();
    }

    private bool Admit(PublicKey key) =>
        _options.AllowUnregisteredPeers || Chain.State.GetNode(key.ToAddress()) is { Revoked: false };

    private bool IsActiveValidator(LedgerState state) =>
        state.GetNode(_options.NodeKey.Address) is { Revoked: false } node && (node.Roles & NodeRoles.Validator) != 0 && node.Key == NodeKey;

    private void OnTipChanged(ChainUpdate update)
    {
        Volatile.Write(ref _tipChangedAt, _time.GetTimestamp());
        lock (_miningGate)
        {
            // The miner's search is for a stale parent now: cancel it; the loop starts again on the new tip.
            var old = _tipChanged;
            _tipChanged = new CancellationTokenSource();
            old.Cancel();
            old.Dispose();
        }

        if (_options.Vote && update.Connected.Count > 0)
        {
            _voteSchedule.Seen(update.Connected[^1].Header.Height);
            if (_voteSignal.CurrentCount == 0)
            {
                _voteSignal.Release();
            }
        }
    }

    /// <summary>Votes each height <see cref="LedgerNodeOptions.VoteDelay"/> after it first appeared (see <see cref="VoteSchedule"/>).</summary>
    private async Task VoteLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            if (_voteSchedule.TakeDue(out var wait) is { } due)
            {
                VoteFor(due.From, due.To);
            }

            try
            {
                await _voteSignal.WaitAsync(wait, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Signs and publishes this validator's vote for each height in [<paramref name="from"/>, <paramref name="to"/>]
    /// (each aimed <see cref="LedgerNodeOptions.VoteDepth"/> lower) that is above the last final block: at most the
    /// highest <see cref="MaxVotesPerWake"/> of them, since after a catch-up the older ones are final already.
    /// </summary>
    private void VoteFor(ulong from, ulong to)
    {
        if (!IsActiveValidator(Chain.State))
        {
            return;
        }

        var depth = (ulong)_options.VoteDepth;
        var start = Math.Max(from, Chain.LastFinal.Height + 1 + depth);
        start = Math.Max(start, to >= MaxVotesPerWake ? to - MaxVotesPerWake + 1 : 0);
        for (var height = start; height <= to && !_stop.IsCancellationRequested; height++)
        {
            if (Chain.CreateVoteAt(height - depth) is { } vote && _votes.TryAllow(vote))
            {
                var tx = Transaction.Create(_options.NodeKey, _options.Genesis.ChainId, 0, _time.GetUtcNow().ToUnixTimeMilliseconds(), vote);
                _ = Publish(tx);
            }
        }
    }

    /// <summary>The most heights one wake of the vote loop signs votes for.</summary>
    internal const ulong MaxVotesPerWake = 16;

    private void OnEquivocation(MisbehaviourEvidence evidence)
    {
        // Raised on the peer host's loop: sign with the next free sequence and publish right here.
        if (!_options.Vote || !IsActiveValidator(Chain.State))
        {
            return;
        }

        var sequence = Pool.PendingState.GetNextSequence(_options.NodeKey.Address);
        var tx = Transaction.Create(_options.NodeKey, _options.Genesis.ChainId, sequence, _time.GetUtcNow().ToUnixTimeMilliseconds(), evidence);
        var r = _gossip.PublishTransaction(tx);
        LogEvidence(_logger, r.Accepted, r.Validation.ToString());
    }

    // Signs with this node's next free sequence and publishes, on the peer host's loop (so no other local transaction
    // takes the same sequence in between).
    private Task<(Transaction, AdmissionResult)> PublishWithNextSequenceAsync(Func<ulong, Transaction> make, CancellationToken cancellationToken) =>
        _host.InvokeAsync(
            g =>
            {
                var tx = make(Pool.PendingState.GetNextSequence(_options.NodeKey.Address));
                var result = g.PublishTransaction(tx);
                _metrics.Submitted(result.Accepted ? "admitted" : result.Validation.Code.ToString());
                return (tx, result);
            },
            cancellationToken);

    private async Task Publish(Transaction tx)
    {
        try
        {
            await _host.InvokeAsync(g => g.PublishTransaction(tx), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Threading.Channels.ChannelClosedException or ObjectDisposedException)
        {
            // stopping
        }
    }

    /// <summary>
    /// Whether to hold off sealing: the node is fetching a longer chain (<see cref="GossipNode.IsCatchingUp"/>) and its
    /// tip moved within <see cref="MaxCatchUpPause"/>. A node that mined on a stale tip after a restart built a branch of
    /// its own, at full speed since nothing interrupted it, and its blocks took CPU from the sync that would have ended
    /// it. The pause ends when the tip has not moved for that long, so headers that are never served (or a peer that
    /// keeps announcing work it does not deliver) cannot stop this node mining for longer.
    /// </summary>
    private async Task<bool> CatchingUpAsync(CancellationToken cancellationToken)
    {
        if (_time.GetElapsedTime(Volatile.Read(ref _tipChangedAt)) > MaxCatchUpPause)
        {
            return false;
        }

        return await _host.InvokeAsync(g => g.IsCatchingUp, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The longest a miner holds off while catching up and its tip does not move.</summary>
    internal static readonly TimeSpan MaxCatchUpPause = TimeSpan.FromSeconds(10);

    private async Task MineLoopAsync()
    {
        var sealer = _engine.CreateSealer(SimdNonceSearcher.Instance);
        while (!_stop.IsCancellationRequested)
        {
            CancellationToken tipToken;
            lock (_miningGate)
            {
                tipToken = _tipChanged.Token;
            }

            using var both = CancellationTokenSource.CreateLinkedTokenSource(tipToken, _stop.Token);
            try
            {
                var tip = Chain.Tip;
                if (!IsActiveValidator(tip.State) && _options.Genesis.Engine == ConsensusEngineId.EnhancedProofOfWork)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), _time, both.Token).ConfigureAwait(false);
                    continue;
                }

                if (await CatchingUpAsync(both.Token).ConfigureAwait(false))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200), _time, both.Token).ConfigureAwait(false);
                    continue;
                }

                var wait = TimeSpan.FromMilliseconds(tip.Header.TimestampMs) + _options.MinBlockInterval - TimeSpan.FromMilliseconds(_time.GetUtcNow().ToUnixTimeMilliseconds());
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, both.Token).ConfigureAwait(false);
                }

                var txs = Pool.SelectForBlock(_options.MaxBlockTransactions, _options.Genesis.Limits.MaxBlockBytes - 1024);
                var template = Chain.CreateTemplate(NodeKey, txs, _options.Threshold);
                if (template.PreviousHash != tip.Hash)
                {
                    continue; // the tip moved while the template was built
                }

                var target = _engine.GetEffectiveTarget(NodeKey, Chain.GetView(tip));
                var result = await Task.Run(() => sealer.Seal(template, target, _options.NodeKey, both.Token), both.Token).ConfigureAwait(false);
                if (result.Header is null)
                {
                    continue;
                }

                var block = new Block(result.Header, txs);
                var added = await _host.InvokeAsync(g => g.PublishBlock(block), _stop.Token).ConfigureAwait(false);
                if (added.IsAccepted)
                {
                    _metrics.BlockMined();
                }

                LogMined(_logger, block.Header.Height, block.Hash.ToShortString(), txs.Count, added.Status.ToString());
            }
            catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
            {
                // the tip changed: start again on the new one
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} started, listening on {EndPoint}, height {Height}")]
    private static partial void LogStarted(ILogger logger, string node, string endPoint, ulong height);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mined #{Height} {Hash} with {Transactions} transactions: {Status}")]
    private static partial void LogMined(ILogger logger, ulong height, string hash, int transactions, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Equivocation seen; evidence submitted: {Accepted} ({Result})")]
    private static partial void LogEvidence(ILogger logger, bool accepted, string result);
}

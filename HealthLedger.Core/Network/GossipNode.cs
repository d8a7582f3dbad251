using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network.Behaviours;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Core.Network;

/// <summary>
/// A node's peer-to-peer behaviours over any <see cref="IPeerLink"/>, each a small class in <c>Behaviours/</c> that this
/// type dispatches to: a mandatory handshake (same protocol version, chain id and genesis; nothing else is processed
/// before it), block and transaction gossip (relay what this node accepted, to every other peer), catch-up sync by
/// block locator with responses capped in bytes, orphan resolution, ping, per-peer budgets over an injected clock,
/// misbehaviour scoring by what an offence costs the sender (<see cref="BlockPenaltyPolicy"/>), and a ban list that
/// refuses a banned peer's reconnection. Driven from one thread per node (the in-memory transport's pump delivers
/// one chunk at a time); the TCP transport will have to serialise each session's callbacks the same way.
/// </summary>
public sealed class GossipNode
{
    private readonly object _gate = new();
    private readonly List<PeerSession> _peers = [];
    private readonly GossipOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly HandshakeBehaviour _handshake;
    private readonly SyncBehaviour _sync;
    private readonly BlockGossipBehaviour _blocks;
    private readonly TransactionGossipBehaviour _transactions;
    private readonly PingBehaviour _ping;
    private readonly HeaderSyncBehaviour _headers;
    private readonly BlockDownloadBehaviour _download;
    private readonly PendingHeaders _pending;

    /// <summary>Creates the behaviours for a chain and its mempool.</summary>
    /// <exception cref="ArgumentException">The options cannot carry the chain's largest block in one frame, or cannot serve one response per window.</exception>
    public GossipNode(string name, Blockchain chain, TransactionPool pool, GossipOptions? options = null, ILogger<GossipNode>? logger = null, TimeProvider? time = null, Random? random = null, BanList? bans = null)
    {
        Name = name;
        Chain = chain ?? throw new ArgumentNullException(nameof(chain));
        Pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _options = options ?? new GossipOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
        Bans = bans ?? new BanList(_time);
        var maxBlock = chain.Genesis.Limits.MaxBlockBytes;
        if ((long)maxBlock + MessageCodec.MaxBlockMessageOverhead > MessageCodec.MaxBodyBytes)
        {
            throw new ArgumentException($"the genesis block limit of {maxBlock} bytes plus {MessageCodec.MaxBlockMessageOverhead} bytes of message overhead exceeds the frame limit of {MessageCodec.MaxBodyBytes}", nameof(chain));
        }

        if (_options.SyncResponseBytes < 1 || (long)_options.SyncResponseBytes + MessageCodec.MaxBlockMessageOverhead > MessageCodec.MaxBodyBytes)
        {
            throw new ArgumentException($"SyncResponseBytes must be 1..{MessageCodec.MaxBodyBytes - MessageCodec.MaxBlockMessageOverhead}", nameof(options));
        }

        if (_options.MaxServedBytesPerWindow < MaxResponseBytes)
        {
            throw new ArgumentException($"MaxServedBytesPerWindow ({_options.MaxServedBytesPerWindow}) is below one maximal response ({MaxResponseBytes})", nameof(options));
        }

        if (_options.SyncBatch is < 1 or > BlocksMessage.MaxBlocks)
        {
            throw new ArgumentException($"SyncBatch must be 1..{BlocksMessage.MaxBlocks}", nameof(options));
        }

        if (_options.HeadersBatch is < 1 or > HeadersMessage.MaxHeaders || _options.MaxPendingHeaders < _options.HeadersBatch
            || _options.MaxBlocksInFlightPerPeer is < 1 or > GetBlockDataMessage.MaxHashes || _options.DownloadWindow < 1 || _options.MaxBufferedBlockBytes < 1)
        {
            throw new ArgumentException($"HeadersBatch must be 1..{HeadersMessage.MaxHeaders} and at most MaxPendingHeaders, MaxBlocksInFlightPerPeer 1..{GetBlockDataMessage.MaxHashes}, DownloadWindow and MaxBufferedBlockBytes positive", nameof(options));
        }

        _sync = new SyncBehaviour(this, _options, _time);
        _pending = new PendingHeaders(_options.MaxPendingHeaders);
        _headers = new HeaderSyncBehaviour(this, _options, _time, _pending, _sync);
        _download = new BlockDownloadBehaviour(this, _options, _time, _pending, _headers, _sync);
        _headers.Download = _download;
        _blocks = new BlockGossipBehaviour(this, _options, this);
        _sync.Intake = _blocks;
        _handshake = new HandshakeBehaviour(this, _options, this);
        _transactions = new TransactionGossipBehaviour(this, _options);
        _ping = new PingBehaviour(_time, _options);
    }

    internal int BanThreshold => _options.BanThreshold;

    /// <summary>This node's name (for logs).</summary>
    public string Name { get; }

    /// <summary>The chain.</summary>
    public Blockchain Chain { get; }

    /// <summary>The mempool.</summary>
    public TransactionPool Pool { get; }

    /// <summary>Peers refused until their ban expires.</summary>
    public BanList Bans { get; }

    /// <summary>
    /// The largest sync response body this node sends: max(<see cref="GossipOptions.SyncResponseBytes"/>, the genesis
    /// block limit) + <see cref="MessageCodec.MaxBlockMessageOverhead"/>.
    /// </summary>
    public long MaxResponseBytes => (long)Math.Max(_options.SyncResponseBytes, Chain.Genesis.Limits.MaxBlockBytes) + MessageCodec.MaxBlockMessageOverhead;

    /// <summary>Connected peers (handshake complete or not).</summary>
    public IReadOnlyList<PeerSession> Peers
    {
        get
        {
            lock (_gate)
            {
                return [.. _peers.Where(p => p.Link.IsOpen)];
            }
        }
    }

    /// <summary>
    /// Starts a session over a link and sends the hello. A banned peer, or one over <see cref="GossipOptions.MaxPeers"/>,
    /// is refused with a typed reject and the returned session is already closed.
    /// </summary>
    public PeerSession Attach(IPeerLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var session = new PeerSession(this, link, _options, _time, NextNonce());
        if (Bans.IsBanned(link.RemoteName, out var until))
        {
            session.Refuse(NetworkRejectCode.Banned, $"banned until {until:O}");
            return session;
        }

        lock (_gate)
        {
            _peers.RemoveAll(p => !p.Link.IsOpen);
            if (_peers.Count >= _options.MaxPeers)
            {
                session.Refuse(NetworkRejectCode.TooManyPeers, $"{_peers.Count} peers, limit {_options.MaxPeers}");
                return session;
            }

            _peers.Add(session);
        }

        link.Closed += () =>
        {
            lock (_gate)
            {
                _peers.Remove(session);
            }

            _download.OnClosed(session);
        };
        session.Start();
        session.Send(_handshake.MakeHello(session.LocalNonce));
        return session;
    }

    /// <summary>Adds a locally mined block and announces it.</summary>
    public BlockAddResult PublishBlock(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var r = Chain.AddBlock(block);
        if (r.Status is BlockStatus.Connected or BlockStatus.SideBranch)
        {
            Relay(new NewBlockMessage(block.EncodedArray()), except: null);
        }

        return r;
    }

    /// <summary>Submits a local transaction and announces it when admitted.</summary>
    public AdmissionResult PublishTransaction(Transaction tx, object? attachment = null)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var r = Pool.Submit(tx, TransactionOrigin.Local, attachment);
        if (r.Accepted)
        {
            Relay(new NewTransactionMessage(tx.EncodedArray()), except: null);
        }

        return r;
    }

    /// <summary>Asks every peer past its handshake for what it has beyond our tip (used after a reconnect).</summary>
    public void RequestSync()
    {
        foreach (var p in Peers)
        {
            if (p.HandshakeComplete)
            {
                p.SyncRetryAt = null;
                p.HeadersRetryAt = null;
                CatchUp(p);
            }
        }
    }

    /// <summary>
    /// Periodic housekeeping (call every few seconds): closes peers that did not complete the handshake within
    /// <see cref="GossipOptions.HandshakeTimeout"/>, asks again peers that refused a request for budget reasons once
    /// their window has passed, and forgets requests unanswered after <see cref="GossipOptions.SyncTimeout"/>.
    /// </summary>
    public void Maintain()
    {
        var now = _time.GetUtcNow();
        foreach (var p in Peers)
        {
            _handshake.Maintain(p, now);
            _sync.Maintain(p, now);
            _headers.Maintain(p, now);
            _download.Maintain(p, now);
            _ping.Maintain(p, now);
        }
    }

    /// <summary>Blocks fetched by headers-first sync, by the node name of the peer that served them (for monitoring and tests).</summary>
    public IReadOnlyDictionary<string, long> BlocksDownloadedFrom => _download.DownloadedFrom;

    /// <summary>Headers checked and waiting for their block bodies.</summary>
    public int PendingHeaderCount => _pending.Count;

    /// <summary>
    /// True while headers-first sync holds checked headers (linked to our chain, with their work) above our tip: this
    /// node is fetching a longer chain from its peers. A miner should not seal on its tip meanwhile: such a block is
    /// stale before it is sealed and only adds a branch (and splits votes) that everyone abandons. Like every member
    /// of this type, read it on the thread that drives the node.
    /// </summary>
    public bool IsCatchingUp => _pending.Highest is { } highest && highest.Height > Chain.Height;

    /// <summary>Asks a peer for what it has beyond our tip: its headers (headers-first) or its blocks (locator sync).</summary>
    internal void CatchUp(PeerSession peer)
    {
        if (_options.HeadersFirstSync)
        {
            _headers.Request(peer);
            _download.Schedule();
        }
        else
        {
            _sync.Request(peer);
        }
    }

    /// <summary>
    /// Finality votes seen from peers (admitted or not: a conflicting vote for a block this node refuses still counts),
    /// checked for double and surround votes. Signatures and validator status are checked before a vote is recorded.
    /// </summary>
    public EquivocationWatch Equivocations { get; } = new();

    /// <summary>
    /// Raised (on the thread that drives this node) when two votes of one validator conflict: the host signs the
    /// evidence into a <see cref="Transactions.MisbehaviourEvidence"/> transaction and submits it, so the offence lands
    /// on-chain (accountable safety, docs/consensus.md §5.5).
    /// </summary>
    public event Action<Transactions.MisbehaviourEvidence>? EquivocationDetected;

    internal void ObserveVote(Transactions.Transaction tx)
    {
        if (tx.Payload is not Transactions.Attestation
            || Chain.State.GetNode(tx.SenderAddress) is not { Revoked: false } node
            || (node.Roles & HealthLedger.Core.Chain.NodeRoles.Validator) == 0
            || !Chain.TransactionValidator.CheckSignatures(tx).IsValid)
        {
            return;
        }

        if (Equivocations.Observe(tx) is { } evidence)
        {
            EquivocationDetected?.Invoke(evidence);
        }
    }

    internal void Relay(NetworkMessage message, PeerSession? except)
    {
        var frame = MessageCodec.EncodeFrame(message);
        foreach (var p in Peers)
        {
            if (!ReferenceEquals(p, except) && p.HandshakeComplete)
            {
                p.SendFrame(frame);
            }
        }
    }

    internal void LogParentless(PeerSession from, BlockHeader header) =>
        _logger.LogDebug("{Node}: parentless #{Height} {Hash} (parent {Parent}) from {Peer}; our tip #{Tip}", Name, header.Height, header.Hash, header.PreviousHash, from.Link.RemoteName, Chain.Height);

    internal void Ban(PeerSession session, string reason)
    {
        var duration = Bans.BanEscalating(session.Link.RemoteName, _options.BanDuration, _options.MaxBanDuration);
        _logger.LogInformation("{Node}: banned {Peer} for {Duration} (offence {Count}): {Reason}", Name, session.Link.RemoteName, duration, Bans.OffenceCount(session.Link.RemoteName), reason);
        session.Refuse(NetworkRejectCode.Misbehaviour, reason);
    }

    internal bool IsOwnNonce(ulong nonce)
    {
        lock (_gate)
        {
            return _peers.Any(p => p.LocalNonce == nonce);
        }
    }

    /// <summary>Dispatches one message: before the handshake only a hello (or a reject) is processed.</summary>
    internal void Handle(PeerSession from, NetworkMessage message)
    {
        if (!from.HandshakeComplete && message is not (HelloMessage or RejectMessage))
        {
            _handshake.OnEarlyMessage(from, message);
            return;
        }

        switch (message)
        {
            case HelloMessage hello:
                _handshake.OnHello(from, hello);
                break;
            case PingMessage or PongMessage or RejectMessage when !from.Control.TryTake(1):
                from.Penalise(PeerOffence.ControlFlood, _options.FloodPenalty, RejectionCode.None, $"more than {from.Control.Limit} pings, pongs and rejects in {_options.BudgetWindow.TotalSeconds} s (dropped)");
                break;
            case PingMessage ping:
                PingBehaviour.OnPing(from, ping);
                break;
            case PongMessage:
                _ping.OnPong(from);
                break;
            case GetBlocksMessage get:
                _sync.OnGetBlocks(from, get);
                break;
            case BlocksMessage batch:
                _sync.OnBlocks(from, batch);
                break;
            case GetHeadersMessage get:
                _headers.OnGetHeaders(from, get);
                break;
            case HeadersMessage headers:
                _headers.OnHeaders(from, headers);
                break;
            case GetBlockDataMessage get:
                _download.OnGetBlockData(from, get);
                break;
            case BlockDataMessage data:
                _download.OnBlockData(from, data);
                break;
            case NewBlockMessage block:
                _blocks.OnNewBlock(from, block);
                break;
            case NewTransactionMessage tx:
                _transactions.OnTransaction(from, tx);
                break;
            case RejectMessage reject:
                // Before the handshake this is the peer refusing our hello before it closes the link.
                LogReject(from, reject);
                if (from.HandshakeComplete)
                {
                    _sync.OnReject(from, reject);
                    if (reject.Code == (ushort)NetworkRejectCode.RateLimited)
                    {
                        _headers.OnRateLimited(from);
                        _download.OnRateLimited(from);
                    }
                }

                break;
        }
    }

    private ulong NextNonce()
    {
        lock (_gate)
        {
            return (ulong)_random.NextInt64(long.MinValue, long.MaxValue);
        }
    }

    private void LogReject(PeerSession from, RejectMessage reject) =>
        _logger.LogDebug("{Node}: {Peer} rejected {Subject}: {Code} {Reason}", Name, from.Link.RemoteName, reject.Subject, reject.Code, reject.Reason);

    /// <summary>Cuts a reason to fit <see cref="MessageCodec.MaxReasonBytes"/> UTF-8 bytes.</summary>
    internal static string Truncate(string s)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(s) <= MessageCodec.MaxReasonBytes)
        {
            return s;
        }

        var cut = Math.Min(s.Length, MessageCodec.MaxReasonBytes / 4);
        while (cut < s.Length && System.Text.Encoding.UTF8.GetByteCount(s.AsSpan(0, cut + 1)) <= MessageCodec.MaxReasonBytes)
        {
            cut++;
        }

        if (cut > 0 && char.IsHighSurrogate(s[cut - 1]))
        {
            cut--;
        }

        return s[..cut];
    }
}

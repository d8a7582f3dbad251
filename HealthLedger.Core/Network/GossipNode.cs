using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Core.Network;

/// <summary>Gossip and sync policy.</summary>
public sealed record GossipOptions
{
    /// <summary>Protocol version sent in the handshake.</summary>
    public uint ProtocolVersion { get; init; } = 1;

    /// <summary>Misbehaviour score at which a peer is disconnected.</summary>
    public int BanThreshold { get; init; } = 100;

    /// <summary>Score added for an invalid block.</summary>
    public int InvalidBlockPenalty { get; init; } = 50;

    /// <summary>Score added for bytes that do not decode (also closes the link at once).</summary>
    public int MalformedPenalty { get; init; } = 100;

    /// <summary>Blocks per sync batch.</summary>
    public int SyncBatch { get; init; } = 200;
}

/// <summary>
/// A node's peer-to-peer behaviours over any <see cref="IPeerLink"/>: handshake (same chain and genesis), block and
/// transaction gossip (relay what this node accepted, to every other peer), catch-up sync by block locator, orphan
/// resolution, ping, and misbehaviour scoring (malformed frames disconnect at once; invalid blocks add to a score).
/// </summary>
public sealed class GossipNode
{
    private readonly object _gate = new();
    private readonly List<PeerSession> _peers = [];
    private readonly GossipOptions _options;
    private readonly ILogger _logger;

    /// <summary>Creates the behaviours for a chain and its mempool.</summary>
    public GossipNode(string name, Blockchain chain, TransactionPool pool, GossipOptions? options = null, ILogger<GossipNode>? logger = null)
    {
        Name = name;
        Chain = chain ?? throw new ArgumentNullException(nameof(chain));
        Pool = pool ?? throw new ArgumentNullException(nameof(pool));
        _options = options ?? new GossipOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    internal int BanThreshold => _options.BanThreshold;

    /// <summary>This node's name (for logs).</summary>
    public string Name { get; }

    /// <summary>The chain.</summary>
    public Blockchain Chain { get; }

    /// <summary>The mempool.</summary>
    public TransactionPool Pool { get; }

    /// <summary>Connected peers.</summary>
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

    /// <summary>Starts a session over a link and sends the handshake.</summary>
    public PeerSession Attach(IPeerLink link)
    {
        ArgumentNullException.ThrowIfNull(link);
        var session = new PeerSession(this, link);
        lock (_gate)
        {
            _peers.RemoveAll(p => !p.Link.IsOpen);
            _peers.Add(session);
        }

        link.Closed += () =>
        {
            lock (_gate)
            {
                _peers.Remove(session);
            }
        };
        session.Send(MakeHello());
        return session;
    }

    /// <summary>Adds a locally mined block and announces it.</summary>
    public BlockAddResult PublishBlock(Block block)
    {
        ArgumentNullException.ThrowIfNull(block);
        var r = Chain.AddBlock(block);
        if (r.Status is BlockStatus.Connected or BlockStatus.SideBranch)
        {
            Relay(new NewBlockMessage(block.Encode()), except: null);
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
            Relay(new NewTransactionMessage(tx.Encode()), except: null);
        }

        return r;
    }

    /// <summary>Asks every peer for what it has beyond our tip (used after a reconnect).</summary>
    public void RequestSync()
    {
        foreach (var p in Peers)
        {
            p.Send(new GetBlocksMessage(Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), _options.SyncBatch));
        }
    }

    internal HelloMessage MakeHello()
    {
        var tip = Chain.Tip;
        return new HelloMessage(_options.ProtocolVersion, Chain.Genesis.ChainId, Chain.GenesisEntry.Hash, tip.Height, tip.Hash);
    }

    internal void Relay(NetworkMessage message, PeerSession? except)
    {
        var frame = MessageCodec.EncodeFrame(message);
        foreach (var p in Peers)
        {
            if (!ReferenceEquals(p, except))
            {
                p.SendFrame(frame);
            }
        }
    }

    internal void Handle(PeerSession from, NetworkMessage message)
    {
        switch (message)
        {
            case HelloMessage hello:
                if (hello.ChainId != Chain.Genesis.ChainId || hello.GenesisHash != Chain.GenesisEntry.Hash || hello.ProtocolVersion != _options.ProtocolVersion)
                {
                    from.Send(new RejectMessage((ushort)RejectionCode.WrongChainId, hello.GenesisHash, "different chain, genesis or protocol"));
                    from.Link.Close();
                    return;
                }

                from.RemoteHeight = hello.Height;
                if (hello.Height > Chain.Height || Chain.GetEntry(hello.TipHash) is null)
                {
                    from.Send(new GetBlocksMessage(Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), _options.SyncBatch));
                }

                break;
            case PingMessage ping:
                from.Send(new PongMessage(ping.Nonce));
                break;
            case PongMessage:
                from.LastPong = DateTimeOffset.UtcNow;
                break;
            case GetBlocksMessage get:
                from.Send(new BlocksMessage(BlocksAfter(get.Locator, Math.Min(get.MaxBlocks, BlocksMessage.MaxBlocks))));
                break;
            case BlocksMessage batch:
                var lastConnected = false;
                foreach (var bytes in batch.EncodedBlocks)
                {
                    lastConnected = AcceptBlock(from, bytes, relay: false);
                    if (!from.Link.IsOpen)
                    {
                        return;
                    }
                }

                if (batch.EncodedBlocks.Count >= _options.SyncBatch && lastConnected)
                {
                    from.Send(new GetBlocksMessage(Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), _options.SyncBatch));
                }

                break;
            case NewBlockMessage nb:
                AcceptBlock(from, nb.EncodedBlock, relay: true);
                break;
            case NewTransactionMessage nt:
                var r = Pool.SubmitEncoded(nt.EncodedTransaction);
                if (r.Accepted)
                {
                    Relay(nt, except: from);
                }
                else if (r.Validation.Code is RejectionCode.MalformedEncoding or RejectionCode.InvalidSignature)
                {
                    from.Penalise(_options.InvalidBlockPenalty, r.Validation.ToString());
                }

                break;
            case RejectMessage reject:
                _logger.LogDebug("{Node}: {Peer} rejected {Subject}: {Code} {Reason}", Name, from.Link.RemoteName, reject.Subject, reject.Code, reject.Reason);
                break;
        }
    }

    private bool AcceptBlock(PeerSession from, byte[] bytes, bool relay)
    {
        var r = Chain.AddEncodedBlock(bytes);
        switch (r.Status)
        {
            case BlockStatus.Connected:
            case BlockStatus.SideBranch:
                if (relay)
                {
                    Relay(new NewBlockMessage(bytes), except: from);
                }

                return true;
            case BlockStatus.Orphan:
                from.Send(new GetBlocksMessage(Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), _options.SyncBatch));
                return false;
            case BlockStatus.Invalid:
                // Refusals that say nothing about the sender's honesty: clock skew, a block below our finality.
                if (r.Validation.Code is not (RejectionCode.TimestampTooFarInFuture or RejectionCode.ConflictsWithFinalizedBlock or RejectionCode.KnownInvalid))
                {
                    from.Send(new RejectMessage((ushort)r.Validation.Code, Hash256.Zero, Truncate(r.Validation.ToString())));
                    from.Penalise(r.Validation.Code == RejectionCode.MalformedEncoding ? _options.MalformedPenalty : _options.InvalidBlockPenalty, r.Validation.ToString());
                }

                return false;
            default:
                return false;
        }
    }

    private List<byte[]> BlocksAfter(IReadOnlyList<Hash256> locator, int max)
    {
        ulong start = 0;
        foreach (var h in locator)
        {
            if (Chain.IsOnBestChain(h))
            {
                start = Chain.GetEntry(h)!.Height;
                break;
            }
        }

        var result = new List<byte[]>();
        for (var height = start + 1; result.Count < max; height++)
        {
            var e = Chain.GetBestAt(height);
            if (e is null)
            {
                break;
            }

            result.Add(e.Block.Encode());
        }

        return result;
    }

    private static string Truncate(string s) => s.Length <= 200 ? s : s[..200];

    internal void Disconnected(PeerSession session, string reason) =>
        _logger.LogInformation("{Node}: disconnected {Peer}: {Reason}", Name, session.Link.RemoteName, reason);
}

/// <summary>One connected peer: frame reassembly, the misbehaviour score, what it told us.</summary>
public sealed class PeerSession
{
    private readonly GossipNode _node;
    private readonly FrameReader _reader = new();

    internal PeerSession(GossipNode node, IPeerLink link)
    {
        _node = node;
        Link = link;
        link.Received += OnReceived;
    }

    /// <summary>The link.</summary>
    public IPeerLink Link { get; }

    /// <summary>The height the peer announced.</summary>
    public ulong RemoteHeight { get; internal set; }

    /// <summary>The misbehaviour score.</summary>
    public int Score { get; private set; }

    /// <summary>Why the session was closed by us, if it was.</summary>
    public string? DisconnectReason { get; private set; }

    /// <summary>When the last pong arrived.</summary>
    public DateTimeOffset? LastPong { get; internal set; }

    /// <summary>Sends a message.</summary>
    public void Send(NetworkMessage message) => SendFrame(MessageCodec.EncodeFrame(message));

    internal void SendFrame(byte[] frame)
    {
        if (Link.IsOpen)
        {
            Link.Send(frame);
        }
    }

    internal void Penalise(int points, string reason)
    {
        Score += points;
        if (Score >= _node.BanThreshold && Link.IsOpen)
        {
            DisconnectReason = reason;
            _node.Disconnected(this, reason);
            Link.Close();
        }
    }

    private void OnReceived(ReadOnlyMemory<byte> bytes)
    {
        IReadOnlyList<NetworkMessage> messages;
        try
        {
            messages = _reader.Feed(bytes.Span);
        }
        catch (LedgerFormatException ex)
        {
            // A stream that does not frame or decode cannot be resynchronised: drop the peer.
            Penalise(int.MaxValue / 2, "malformed frame: " + ex.Message);
            return;
        }

        foreach (var m in messages)
        {
            if (!Link.IsOpen)
            {
                return;
            }

            _node.Handle(this, m);
        }
    }
}

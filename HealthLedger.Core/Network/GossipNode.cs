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

/// <summary>
/// A node's peer-to-peer behaviours over any <see cref="IPeerLink"/>: a mandatory handshake (same protocol version,
/// chain id and genesis; nothing else is processed before it), block and transaction gossip (relay what this node
/// accepted, to every other peer), catch-up sync by block locator with responses capped in bytes, orphan
/// resolution, ping, per-peer budgets over an injected clock, misbehaviour scoring by what an offence costs the
/// sender (<see cref="BlockPenaltyPolicy"/>), and a ban list that refuses a banned peer's reconnection.
/// </summary>
public sealed class GossipNode
{
    private readonly object _gate = new();
    private readonly List<PeerSession> _peers = [];
    private readonly GossipOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Random _random;

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
        };
        session.Start();
        session.Send(MakeHello(session.LocalNonce));
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

    /// <summary>Asks every peer past its handshake for what it has beyond our tip (used after a reconnect).</summary>
    public void RequestSync()
    {
        foreach (var p in Peers)
        {
            if (p.HandshakeComplete)
            {
                p.SyncRetryAt = null;
                RequestBlocks(p);
            }
        }
    }

    /// <summary>
    /// Periodic housekeeping (call every few seconds): closes peers that did not complete the handshake within
    /// <see cref="GossipOptions.HandshakeTimeout"/>, and asks again peers that refused a request for budget reasons
    /// once their window has passed.
    /// </summary>
    public void Maintain()
    {
        var now = _time.GetUtcNow();
        foreach (var p in Peers)
        {
            if (!p.HandshakeComplete && now - p.ConnectedAt >= _options.HandshakeTimeout)
            {
                p.Refuse(NetworkRejectCode.HandshakeTimeout, $"no hello within {_options.HandshakeTimeout.TotalSeconds} s");
            }
            else if (p.HandshakeComplete && p.SyncRetryAt is { } at && now >= at)
            {
                p.SyncRetryAt = null;
                RequestBlocks(p);
            }
        }
    }

    internal HelloMessage MakeHello(ulong nonce)
    {
        var tip = Chain.Tip;
        return new HelloMessage(_options.ProtocolVersion, Chain.Genesis.ChainId, Chain.GenesisEntry.Hash, tip.Height, tip.Hash, nonce);
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

    internal void Ban(PeerSession session, string reason)
    {
        Bans.Ban(session.Link.RemoteName, _options.BanDuration);
        _logger.LogInformation("{Node}: banned {Peer} for {Duration}: {Reason}", Name, session.Link.RemoteName, _options.BanDuration, reason);
        session.Refuse(NetworkRejectCode.Misbehaviour, reason);
    }

    internal void Handle(PeerSession from, NetworkMessage message)
    {
        if (!from.HandshakeComplete)
        {
            switch (message)
            {
                case HelloMessage hello:
                    OnHello(from, hello);
                    break;
                case RejectMessage reject:
                    // The peer refusing our hello before it closes the link: nothing to act on.
                    LogReject(from, reject);
                    break;
                default:
                    from.Penalise(PeerOffence.MessageBeforeHandshake, _options.ProtocolViolationPenalty, RejectionCode.None, $"{message.Type} before the hello (ignored)");
                    break;
            }

            return;
        }

        switch (message)
        {
            case HelloMessage:
                from.Penalise(PeerOffence.DuplicateHello, _options.ProtocolViolationPenalty, RejectionCode.None, "a second hello (ignored)");
                break;
            case PingMessage ping:
                if (from.Pings.TryTake(1))
                {
                    from.Send(new PongMessage(ping.Nonce));
                }
                else
                {
                    from.Penalise(PeerOffence.PingFlood, _options.FloodPenalty, RejectionCode.None, $"more than {from.Pings.Limit} pings in {_options.BudgetWindow.TotalSeconds} s");
                }

                break;
            case PongMessage:
                from.LastPong = _time.GetUtcNow();
                break;
            case GetBlocksMessage get:
                OnGetBlocks(from, get);
                break;
            case BlocksMessage batch:
                OnBlocks(from, batch);
                break;
            case NewBlockMessage nb:
                if (from.NewBlocks.TryTake(1))
                {
                    AcceptBlock(from, nb.EncodedBlock, relay: true);
                }
                else
                {
                    from.Penalise(PeerOffence.BlockFlood, _options.FloodPenalty, RejectionCode.None, $"more than {from.NewBlocks.Limit} new blocks in {_options.BudgetWindow.TotalSeconds} s (dropped)");
                }

                break;
            case NewTransactionMessage nt:
                OnTransaction(from, nt);
                break;
            case RejectMessage reject:
                LogReject(from, reject);
                if (reject.Code == (ushort)NetworkRejectCode.RateLimited && from.SyncInFlight)
                {
                    from.SyncInFlight = false;
                    from.SyncRetryAt = _time.GetUtcNow() + _options.BudgetWindow;
                }

                break;
        }
    }

    private void OnHello(PeerSession from, HelloMessage hello)
    {
        if (hello.ProtocolVersion != _options.ProtocolVersion)
        {
            from.Refuse(NetworkRejectCode.UnsupportedProtocolVersion, $"protocol version {hello.ProtocolVersion}, this node speaks {_options.ProtocolVersion}");
        }
        else if (hello.ChainId != Chain.Genesis.ChainId)
        {
            from.Refuse(NetworkRejectCode.WrongChain, $"chain {hello.ChainId}, this is chain {Chain.Genesis.ChainId}");
        }
        else if (hello.GenesisHash != Chain.GenesisEntry.Hash)
        {
            from.Refuse(NetworkRejectCode.WrongGenesis, $"genesis {hello.GenesisHash.ToShortString()}, this chain's is {Chain.GenesisEntry.Hash.ToShortString()}", hello.GenesisHash);
        }
        else if (IsOwnNonce(hello.Nonce))
        {
            from.Refuse(NetworkRejectCode.SelfConnection, "connected to itself");
        }
        else
        {
            from.HandshakeComplete = true;
            from.RemoteHello = hello;
            from.RemoteHeight = hello.Height;
            if (hello.Height > Chain.Height || Chain.GetEntry(hello.TipHash) is null)
            {
                RequestBlocks(from);
            }
        }
    }

    private bool IsOwnNonce(ulong nonce)
    {
        lock (_gate)
        {
            return _peers.Any(p => p.LocalNonce == nonce);
        }
    }

    private ulong NextNonce()
    {
        lock (_gate)
        {
            return (ulong)_random.NextInt64(long.MinValue, long.MaxValue);
        }
    }

    private void RequestBlocks(PeerSession peer)
    {
        if (peer.SyncInFlight || !peer.Link.IsOpen)
        {
            return;
        }

        peer.SyncInFlight = true;
        peer.Send(new GetBlocksMessage(Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), _options.SyncBatch));
    }

    private void OnGetBlocks(PeerSession from, GetBlocksMessage get)
    {
        if (!from.Requests.TryTake(1))
        {
            RefuseRequest(from, $"more than {from.Requests.Limit} block requests in {_options.BudgetWindow.TotalSeconds} s");
            return;
        }

        var blocks = BlocksAfter(get.Locator, Math.Min(get.MaxBlocks, BlocksMessage.MaxBlocks), out var bodyBytes);
        if (!from.ServedBytes.TryTake(bodyBytes))
        {
            RefuseRequest(from, $"{bodyBytes} more response bytes would exceed {from.ServedBytes.Limit} in {_options.BudgetWindow.TotalSeconds} s ({from.ServedBytes.Used} used)");
            return;
        }

        from.Send(new BlocksMessage(blocks));
    }

    private void RefuseRequest(PeerSession from, string reason)
    {
        from.Send(new RejectMessage((ushort)NetworkRejectCode.RateLimited, Hash256.Zero, Truncate(reason)));
        if (from.Requests.Refusals + from.ServedBytes.Refusals > 1)
        {
            // The first refusal in a window is free: an honest peer stops asking until the window has passed.
            from.Penalise(PeerOffence.RequestFlood, _options.FloodPenalty, RejectionCode.None, reason);
        }
    }

    /// <summary>
    /// The best-chain blocks after the first locator hash on our best chain, parents first, stopping before the body
    /// would exceed <see cref="GossipOptions.SyncResponseBytes"/> (but always at least one block).
    /// </summary>
    private List<byte[]> BlocksAfter(IReadOnlyList<Hash256> locator, int max, out long bodyBytes)
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
        bodyBytes = MessageCodec.BlocksBodySize([]);
        for (var height = start + 1; result.Count < max; height++)
        {
            var e = Chain.GetBestAt(height);
            if (e is null)
            {
                break;
            }

            var encoded = e.Block.Encode();
            var added = MessageCodec.BinHeaderSize(encoded.Length) + encoded.Length + (result.Count == 15 ? 2 : 0);
            if (result.Count > 0 && bodyBytes + added > _options.SyncResponseBytes)
            {
                break;
            }

            result.Add(encoded);
            bodyBytes += added;
        }

        return result;
    }

    private void OnBlocks(PeerSession from, BlocksMessage batch)
    {
        if (!from.SyncInFlight)
        {
            from.Penalise(PeerOffence.UnsolicitedBlocks, _options.FloodPenalty, RejectionCode.None, $"a batch of {batch.EncodedBlocks.Count} blocks nobody asked for (dropped)");
            return;
        }

        from.SyncInFlight = false;
        Hash256? last = null;
        foreach (var bytes in batch.EncodedBlocks)
        {
            last = AcceptBlock(from, bytes, relay: false);
            if (!from.Link.IsOpen)
            {
                return;
            }
        }

        // Keep asking while the peer's batches end on a block we now hold and the sync moves on; an empty batch ends it.
        if (last is { } tip && tip != from.LastBatchTip && Chain.GetEntry(tip) is not null)
        {
            from.LastBatchTip = tip;
            RequestBlocks(from);
        }
    }

    private void OnTransaction(PeerSession from, NewTransactionMessage nt)
    {
        if (!from.Transactions.TryTake(1))
        {
            from.Penalise(PeerOffence.TransactionFlood, _options.FloodPenalty, RejectionCode.None, $"more than {from.Transactions.Limit} transactions in {_options.BudgetWindow.TotalSeconds} s (dropped)");
            return;
        }

        var r = Pool.SubmitEncoded(nt.EncodedTransaction);
        if (r.Accepted)
        {
            Relay(nt, except: from);
        }
        else if (r.Validation.Code is RejectionCode.MalformedEncoding or RejectionCode.InvalidSignature)
        {
            from.Penalise(PeerOffence.InvalidTransaction, _options.InvalidTransactionPenalty, r.Validation.Code, r.Validation.ToString());
        }
    }

    /// <summary>Offers one block from a peer; returns its hash when it decoded (whatever the chain then said).</summary>
    private Hash256? AcceptBlock(PeerSession from, byte[] bytes, bool relay)
    {
        var limit = Chain.Genesis.Limits.MaxBlockBytes;
        if (bytes.Length > limit)
        {
            PenaliseBlock(from, ValidationResult.Reject(RejectionCode.TooLarge, $"block is {bytes.Length} bytes, limit {limit}", bytes.Length, limit), Hash256.Zero);
            return null;
        }

        Block block;
        try
        {
            block = Block.Decode(bytes);
        }
        catch (LedgerFormatException ex)
        {
            PenaliseBlock(from, ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message), Hash256.Zero);
            return null;
        }

        // A parentless block is held by the chain until its parent arrives: bound how many one peer can push.
        if (Chain.GetEntry(block.Header.PreviousHash) is null && Chain.GetEntry(block.Hash) is null && !from.Orphans.TryTake(1))
        {
            from.Penalise(PeerOffence.OrphanFlood, _options.FloodPenalty, RejectionCode.UnknownParent, $"more than {from.Orphans.Limit} parentless blocks in {_options.BudgetWindow.TotalSeconds} s (dropped)");
            return block.Hash;
        }

        var r = Chain.AddBlock(block);
        switch (r.Status)
        {
            case BlockStatus.Connected:
            case BlockStatus.SideBranch:
                if (relay)
                {
                    Relay(new NewBlockMessage(bytes), except: from);
                }

                break;
            case BlockStatus.Orphan:
                // Normal in a race: ask the peer for what leads to it (one request in flight per peer).
                RequestBlocks(from);
                break;
            case BlockStatus.Invalid:
                PenaliseBlock(from, r.Validation, block.Hash);
                break;
        }

        return block.Hash;
    }

    private void PenaliseBlock(PeerSession from, ValidationResult refusal, Hash256 subject)
    {
        if (BlockPenaltyPolicy.Classify(refusal.Code, _options) is not { } penalty)
        {
            return;
        }

        from.Send(new RejectMessage((ushort)refusal.Code, subject, Truncate(refusal.ToString())));
        from.Penalise(penalty.Offence, penalty.Points, refusal.Code, refusal.ToString());
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

using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network;

/// <summary>
/// One connected peer: frame reassembly, the handshake state, the per-peer budgets, the misbehaviour score and its
/// penalties, and what the peer told us. Messages are processed one at a time on the link's receive callback.
/// </summary>
/// <remarks>Thread safety: not thread-safe; a session is driven by its link's receive callback and its owner's loop, one call at a time.</remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The reader's pooled buffer is returned on the receive path once the link is closed; a session lives exactly as long as its link.")]
public sealed class PeerSession
{
    private const int MaxPenaltiesKept = 32;
    private readonly GossipNode _node;
    private readonly FrameReader _reader = new();
    private readonly Queue<PeerPenalty> _penalties = new();
    private readonly TimeProvider _time;

    internal PeerSession(GossipNode node, IPeerLink link, GossipOptions options, TimeProvider time, ulong localNonce)
    {
        _node = node;
        Link = link;
        LocalNonce = localNonce;
        ConnectedAt = time.GetUtcNow();
        LastMessageAt = ConnectedAt;
        _time = time;
        Requests = new RateWindow(time, options.BudgetWindow, options.MaxRequestsPerWindow);
        AskedOf = new RateWindow(time, options.BudgetWindow, Math.Max(1, options.MaxRequestsPerWindow / 2));
        ServedBytes = new RateWindow(time, options.BudgetWindow, options.MaxServedBytesPerWindow);
        NewBlocks = new RateWindow(time, options.BudgetWindow, options.MaxNewBlocksPerWindow);
        Orphans = new RateWindow(time, options.BudgetWindow, options.MaxOrphansPerWindow);
        Transactions = new RateWindow(time, options.BudgetWindow, options.MaxTransactionsPerWindow);
        Control = new RateWindow(time, options.BudgetWindow, options.MaxControlMessagesPerWindow);
    }

    /// <summary>The link.</summary>
    public IPeerLink Link { get; }

    /// <summary>True once the peer's hello was checked; until then only a hello is processed.</summary>
    public bool HandshakeComplete { get; internal set; }

    /// <summary>The peer's hello, once received and accepted.</summary>
    public HelloMessage? RemoteHello { get; internal set; }

    /// <summary>The height the peer announced.</summary>
    public ulong RemoteHeight { get; internal set; }

    /// <summary>The misbehaviour score.</summary>
    public int Score { get; private set; }

    /// <summary>The most recent penalties (at most 32), oldest first.</summary>
    public IReadOnlyList<PeerPenalty> Penalties => [.. _penalties];

    /// <summary>Why we closed the session, when we did.</summary>
    public NetworkRejectCode? DisconnectCode { get; private set; }

    /// <summary>Why the session was closed by us, if it was (human-readable).</summary>
    public string? DisconnectReason { get; private set; }

    /// <summary>When the last pong arrived (injected clock).</summary>
    public DateTimeOffset? LastPong { get; internal set; }

    /// <summary>When the session started (injected clock).</summary>
    public DateTimeOffset ConnectedAt { get; }

    internal ulong LocalNonce { get; }

    /// <summary>When the peer last completed a message (injected clock).</summary>
    internal DateTimeOffset LastMessageAt { get; private set; }

    /// <summary>When we last pinged the quiet peer.</summary>
    internal DateTimeOffset? LastPingAt { get; set; }

    internal RateWindow Requests { get; }

    internal RateWindow ServedBytes { get; }

    internal RateWindow NewBlocks { get; }

    internal RateWindow Orphans { get; }

    internal RateWindow Transactions { get; }

    internal RateWindow Control { get; }

    /// <summary>True while a block request to this peer is unanswered (at most one at a time).</summary>
    internal bool SyncInFlight { get; set; }

    /// <summary>When the request in flight was sent.</summary>
    internal DateTimeOffset SyncRequestedAt { get; set; }

    /// <summary>The peer refused our last request for budget reasons: ask again after this time.</summary>
    internal DateTimeOffset? SyncRetryAt { get; set; }

    /// <summary>Last block of the previous batch this peer sent (stops a sync that makes no progress).</summary>
    internal Hash256 LastBatchTip { get; set; }

    /// <summary>The highest block the peer told us it has (its hello's height, then the headers it sent).</summary>
    public ulong BestKnownHeight { get; internal set; }

    /// <summary>True while a header request to this peer is unanswered (at most one at a time).</summary>
    internal bool HeadersInFlight { get; set; }

    /// <summary>When the header request in flight was sent.</summary>
    internal DateTimeOffset HeadersRequestedAt { get; set; }

    /// <summary>
    /// Our own requests to this peer (headers, block data, block batches) in the current window, held to half of what a
    /// peer serves per window (<see cref="GossipOptions.MaxRequestsPerWindow"/>; half, because our window and the
    /// peer's do not start together). An honest node catching up behind fast blocks asked again on every parentless
    /// block it was sent, exceeded its peers' budgets and was banned by all of them.
    /// </summary>
    internal RateWindow AskedOf { get; }

    /// <summary>Whether a request to this peer fits our own pacing now (takes one unit when it does).</summary>
    internal bool TryAsk() => AskedOf.TryTake(1);

    /// <summary>The locator of our last header request to this peer (its answer must follow one of these).</summary>
    internal IReadOnlyList<Hash256> HeadersLocator { get; set; } = [];

    /// <summary>The peer refused our header request for budget reasons: ask again after this time.</summary>
    internal DateTimeOffset? HeadersRetryAt { get; set; }

    /// <summary>We want more headers from this peer once the pending store has room.</summary>
    internal bool HeadersWanted { get; set; }

    /// <summary>Last header of the previous answer this peer sent (stops a header sync that makes no progress).</summary>
    internal Hash256 LastHeadersTip { get; set; }

    /// <summary>The block hashes asked of this peer and not yet answered (null when none: one request at a time).</summary>
    internal IReadOnlyList<Hash256>? BlockRequest { get; set; }

    /// <summary>When <see cref="BlockRequest"/> was sent.</summary>
    internal DateTimeOffset BlockRequestedAt { get; set; }

    /// <summary>The peer stalled or refused a block request: give it no other before this time.</summary>
    internal DateTimeOffset? BlockRetryAt { get; set; }

    /// <summary>Sends a message.</summary>
    public void Send(NetworkMessage message) => SendFrame(MessageCodec.EncodeFrame(message));

    internal void SendFrame(byte[] frame)
    {
        if (Link.IsOpen)
        {
            Link.Send(frame);
        }
    }

    /// <summary>Adds a penalty; at the ban threshold the peer is disconnected and banned.</summary>
    internal void Penalise(PeerOffence offence, int points, RejectionCode code, string detail)
    {
        if (points <= 0)
        {
            return;
        }

        _penalties.Enqueue(new PeerPenalty(offence, points, code, detail));
        if (_penalties.Count > MaxPenaltiesKept)
        {
            _penalties.Dequeue();
        }

        Score = (int)Math.Min((long)Score + points, int.MaxValue);
        if (Score >= _node.BanThreshold && Link.IsOpen)
        {
            _node.Ban(this, detail);
        }
    }

    /// <summary>Sends a typed reject and closes the link.</summary>
    internal void Refuse(NetworkRejectCode code, string reason, Hash256 subject = default)
    {
        if (!Link.IsOpen)
        {
            return;
        }

        Send(new RejectMessage((ushort)code, subject, GossipNode.Truncate(reason)));
        Close(code, reason);
    }

    internal void Close(NetworkRejectCode code, string reason)
    {
        DisconnectCode ??= code;
        DisconnectReason ??= reason;
        Link.Close();
    }

    internal void Start() => Link.Received += OnReceived;

    private void OnReceived(ReadOnlyMemory<byte> bytes)
    {
        // The reader is only touched here, on the receive path: a close from another thread never frees a buffer in use.
        if (!Link.IsOpen)
        {
            _reader.Dispose();
            return;
        }

        IReadOnlyList<NetworkMessage> messages;
        try
        {
            messages = _reader.Feed(bytes.Span);
        }
        catch (LedgerFormatException ex)
        {
            // A stream that does not frame or decode cannot be resynchronised: drop and ban the peer.
            Penalise(PeerOffence.MalformedFrame, _node.BanThreshold, RejectionCode.MalformedEncoding, "malformed frame: " + ex.Message);
            return;
        }

        foreach (var m in messages)
        {
            if (!Link.IsOpen)
            {
                break;
            }

            LastMessageAt = _time.GetUtcNow();
            _node.Handle(this, m);
        }

        if (!Link.IsOpen)
        {
            _reader.Dispose();
        }
    }
}

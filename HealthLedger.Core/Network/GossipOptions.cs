namespace HealthLedger.Core.Network;

/// <summary>
/// Gossip, sync and peer policy: handshake, ban scoring, per-peer budgets and response caps. The defaults and the
/// reasoning behind them are in docs/security.md ("Peers") and docs/format.md ("Wire protocol").
/// </summary>
public sealed record GossipOptions
{
    /// <summary>Protocol version sent in the handshake; a peer speaking another is refused.</summary>
    public uint ProtocolVersion { get; init; } = 1;

    /// <summary>Most connected peers; further connections are refused with <see cref="NetworkRejectCode.TooManyPeers"/>.</summary>
    public int MaxPeers { get; init; } = 64;

    /// <summary>How long a peer has to send its hello (checked by <see cref="GossipNode.Maintain"/>).</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Misbehaviour score at which a peer is disconnected and banned.</summary>
    public int BanThreshold { get; init; } = 100;

    /// <summary>
    /// How long a peer's first ban lasts; each further ban of the same peer doubles it, up to
    /// <see cref="MaxBanDuration"/> (<see cref="BanList.BanEscalating"/>). Ten minutes: an honest node that tripped a
    /// rule once (a bug, a version skew, a race we did not foresee) rejoins soon, which matters in a small validator
    /// set; a peer that keeps offending reaches the longest ban (24 h) at its ninth offence.
    /// </summary>
    public TimeSpan BanDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>The longest ban, and how long a peer must go without an offence after its last ban ended before its bans start again from <see cref="BanDuration"/>.</summary>
    public TimeSpan MaxBanDuration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Score for a block refused for a reason fixed by its hashed content and free to produce (<see cref="PeerOffence.WorklessBlock"/>).</summary>
    public int WorklessBlockPenalty { get; init; } = 100;

    /// <summary>Score for a block copy with a junk seal (<see cref="PeerOffence.InvalidSeal"/>).</summary>
    public int InvalidSealPenalty { get; init; } = 100;

    /// <summary>Score for a block refused after its proof of work was checked (<see cref="PeerOffence.InvalidBlock"/>).</summary>
    public int InvalidBlockPenalty { get; init; } = 50;

    /// <summary>Score for a block dated too far in the future (<see cref="PeerOffence.FutureBlock"/>).</summary>
    public int FutureBlockPenalty { get; init; } = 5;

    /// <summary>Score for an undecodable or badly signed transaction.</summary>
    public int InvalidTransactionPenalty { get; init; } = 50;

    /// <summary>Score for each message before the handshake, and for a repeated hello.</summary>
    public int ProtocolViolationPenalty { get; init; } = 10;

    /// <summary>Score for each message over a per-peer budget (orphans, new blocks, unsolicited batches, refused requests, control messages, transactions).</summary>
    public int FloodPenalty { get; init; } = 20;

    /// <summary>Length of the window every per-peer budget below counts over.</summary>
    public TimeSpan BudgetWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Block requests (<see cref="GetBlocksMessage"/>) served per peer per window.</summary>
    public int MaxRequestsPerWindow { get; init; } = 50;

    /// <summary>Response bytes served per peer per window (64 MiB per 10 s: 6.7 MB/s of sync per peer).</summary>
    public long MaxServedBytesPerWindow { get; init; } = 64L * 1024 * 1024;

    /// <summary>
    /// Byte budget of one sync response: blocks are added while the body stays within it, and a response always holds
    /// at least one block, so no response exceeds max(this, the genesis block limit) + <see cref="MessageCodec.MaxBlockMessageOverhead"/>.
    /// </summary>
    public int SyncResponseBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Most blocks asked for per sync request (the byte budget usually stops the response earlier).</summary>
    public int SyncBatch { get; init; } = 500;

    /// <summary>New-block announcements accepted per peer per window.</summary>
    public int MaxNewBlocksPerWindow { get; init; } = 128;

    /// <summary>Parentless blocks accepted per peer per window (beyond it they are dropped before validation and score).</summary>
    public int MaxOrphansPerWindow { get; init; } = 16;

    /// <summary>Transactions accepted per peer per window.</summary>
    public int MaxTransactionsPerWindow { get; init; } = 5_000;

    /// <summary>Pings, pongs and rejects accepted per peer per window.</summary>
    public int MaxControlMessagesPerWindow { get; init; } = 20;

    /// <summary>How long a block request may stay unanswered before <see cref="GossipNode.Maintain"/> lets the node ask again.</summary>
    public TimeSpan SyncTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Catch up headers-first (<see cref="GetHeadersMessage"/>, then block bodies by hash from several peers); when
    /// false, the older locator sync (<see cref="GetBlocksMessage"/>, one peer at a time). Both are always served.
    /// </summary>
    public bool HeadersFirstSync { get; init; } = true;

    /// <summary>Headers asked for per request (1..<see cref="HeadersMessage.MaxHeaders"/>).</summary>
    public int HeadersBatch { get; init; } = HeadersMessage.MaxHeaders;

    /// <summary>Checked headers held while their bodies are fetched (about 300 bytes each); header requests pause when full.</summary>
    public int MaxPendingHeaders { get; init; } = 20_000;

    /// <summary>Block hashes per request, and so per peer in flight (1..<see cref="GetBlockDataMessage.MaxHashes"/>).</summary>
    public int MaxBlocksInFlightPerPeer { get; init; } = 16;

    /// <summary>How far above our tip bodies are fetched: bounds what waits for a slow peer's missing block.</summary>
    public int DownloadWindow { get; init; } = 1_024;

    /// <summary>Bytes of fetched bodies held while waiting for their parents; no more are asked for above it.</summary>
    public long MaxBufferedBlockBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a block request may stay unanswered before its hashes are asked of another peer.</summary>
    public TimeSpan BlockRequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A peer past the handshake that completes no message for this long is dropped (<see cref="NetworkRejectCode.IdleTimeout"/>);
    /// a quiet peer is pinged after a third of it, so only a dead or stalling one reaches it.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(90);
}

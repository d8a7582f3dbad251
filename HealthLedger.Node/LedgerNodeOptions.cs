using System.Net;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Network.Hosting;

namespace HealthLedger.Node;

/// <summary>Everything a <see cref="LedgerNode"/> needs: the chain it belongs to, who it is, where it keeps data, whom it talks to.</summary>
public sealed record LedgerNodeOptions
{
    /// <summary>The chain's genesis configuration (identical on every node).</summary>
    public required GenesisConfig Genesis { get; init; }

    /// <summary>This node's identity key: it authenticates the node to peers, seals its blocks (ePoW) and signs its votes.</summary>
    public required KeyPair NodeKey { get; init; }

    /// <summary>The directory of the crash-safe block store and the validator's vote record (created if missing).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Where to listen for peers (loopback by default; port 0 picks a free port).</summary>
    public IPEndPoint ListenOn { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Peers to dial and keep connected.</summary>
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];

    /// <summary>
    /// Whether peers that are not registered nodes may connect (read-only sync). When false, only keys registered as
    /// nodes in the chain's current state are admitted.
    /// </summary>
    public bool AllowUnregisteredPeers { get; init; }

    /// <summary>Whether this node mines (it must be an active validator under ePoW).</summary>
    public bool Mine { get; init; } = true;

    /// <summary>The threshold k written into mined headers (the quorum floor of ⌊2N/3⌋ + 1 applies whatever it says).</summary>
    public ushort Threshold { get; init; } = 1;

    /// <summary>Least time between the tip's timestamp and the next block this node mines (paces mining at low difficulty).</summary>
    public TimeSpan MinBlockInterval { get; init; } = TimeSpan.Zero;

    /// <summary>Most transactions per mined block.</summary>
    public int MaxBlockTransactions { get; init; } = 2_000;

    /// <summary>Whether this node casts finality votes and submits equivocation evidence (when it is an active validator).</summary>
    public bool Vote { get; init; } = true;

    /// <summary>
    /// How far below each new height this validator's finality vote aims (default 1: when a block at height h + 1
    /// arrives, vote for the best-chain block at h). A block that already has a child has settled any race with its
    /// siblings, so the validators vote for the same block; at 0 each votes for the new tip at once, and when siblings
    /// race (blocks faster than they spread) the votes of that height split and it is never justified. Measured on 4
    /// nodes at PoW level 6, depth 1 kept finality 5 blocks behind the tip on average (at most 9), depth 0 between 7
    /// and 13 (at most 24) (docs/consensus.md §5.4). Not negative.
    /// </summary>
    public int VoteDepth { get; init; } = 1;

    /// <summary>
    /// How long after this node first has a block at a height it votes for it (default zero: at once). A wait lets a
    /// racing sibling arrive, and fork choice's lower-hash tie-break then gives every validator that saw both the same
    /// block; but a race is settled by whichever sibling gets a child first, which <see cref="VoteDepth"/> waits for
    /// anyway, and measured on 4 nodes at PoW level 6 a 250 ms wait made finality slower at either depth. Kept for
    /// networks whose blocks take longer to spread than to mine. Not negative.
    /// </summary>
    public TimeSpan VoteDelay { get; init; }

    /// <summary>
    /// Whether the node keeps the persistent record and grant index (RocksDB under the data directory), which answers
    /// paged queries for a patient's or a device's records and grants in time logarithmic in the chain.
    /// </summary>
    public bool Index { get; init; } = true;

    /// <summary>
    /// Whether the chain keeps the state after the last final block in RocksDB under the data directory (<c>state</c>),
    /// so that start-up replays only the blocks above it and memory does not grow with the chain (docs/storage.md,
    /// "Chain state"). Off: the whole state is kept in memory and rebuilt from the block store at every start.
    /// </summary>
    public bool PersistState { get; init; } = true;

    /// <summary>
    /// Admission gates added to the mempool (for example the intrusion detector's <c>DetectorAdmissionFilter</c>): they
    /// screen local submissions that carry an attachment, such as a device's traffic features.
    /// </summary>
    public IReadOnlyList<IAdmissionFilter> Gates { get; init; } = [];

    /// <summary>
    /// Health records (FHIR ingestion into an encrypted content store, key release recorded on-chain); null keeps the
    /// node without them. The content store is IPFS when <see cref="Records.RecordsOptions.IpfsEndpoint"/> is set, a
    /// local directory otherwise; this node's identity is the custodian.
    /// </summary>
    public Records.RecordsOptions? Records { get; init; }

    /// <summary>Tuning of the chain.</summary>
    public ChainOptions Chain { get; init; } = new();

    /// <summary>Tuning of the mempool.</summary>
    public MempoolOptions Mempool { get; init; } = new();

    /// <summary>Tuning of the peer host (its listen address and peers are taken from this record).</summary>
    public PeerHostOptions PeerHost { get; init; } = new();
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Everything a chain is born with: its id, the authorities that may register nodes, the nodes registered at
/// genesis, the consensus engine and its parameters, and the bounds of the per-block fault-tolerance threshold.
/// Every node of a chain must use the same configuration; its hash is the genesis block's Merkle root.
/// </summary>
public sealed record GenesisConfig
{
    /// <summary>The chain id, signed into every transaction and header.</summary>
    public required uint ChainId { get; init; }

    /// <summary>Genesis timestamp, UTC milliseconds.</summary>
    public required long TimestampMs { get; init; }

    /// <summary>Keys allowed to register (and revoke) nodes. At least one.</summary>
    public required IReadOnlyList<PublicKey> Authorities { get; init; }

    /// <summary>Nodes registered in the genesis state.</summary>
    public IReadOnlyList<GenesisNode> InitialNodes { get; init; } = [];

    /// <summary>The consensus engine every block must use.</summary>
    public required ConsensusEngineId Engine { get; init; }

    /// <summary>Consensus parameters.</summary>
    public ConsensusParameters Consensus { get; init; } = new();

    /// <summary>Smallest allowed threshold k.</summary>
    public ushort MinThreshold { get; init; } = 1;

    /// <summary>Largest allowed threshold k.</summary>
    public ushort MaxThreshold { get; init; } = 64;

    /// <summary>Block and transaction limits.</summary>
    public LedgerLimits Limits { get; init; } = new();
}

/// <summary>A node registered at genesis.</summary>
/// <param name="Key">The node's public key.</param>
/// <param name="Roles">What the node may do.</param>
/// <param name="Name">A display name (not personal data).</param>
public sealed record GenesisNode(PublicKey Key, NodeRoles Roles, string Name);

/// <summary>Roles of a registered node.</summary>
[Flags]
public enum NodeRoles : byte
{
    /// <summary>No role.</summary>
    None = 0,
    /// <summary>May mine blocks and give attestations that count toward finality.</summary>
    Validator = 1,
    /// <summary>A healthcare provider: may register devices and receive access grants.</summary>
    Provider = 2,
    /// <summary>An ingestion gateway: runs the detector and may file intrusion reports.</summary>
    Gateway = 4,
    /// <summary>All roles.</summary>
    All = Validator | Provider | Gateway,
}

/// <summary>Consensus parameters shared by every node of a chain.</summary>
public sealed record ConsensusParameters
{
    /// <summary>The compact target of block 1 and the starting point of retargeting.</summary>
    public uint InitialTargetBits { get; init; } = 0x1f0fffff;

    /// <summary>The easiest target allowed (compact). Retargeting never goes above it.</summary>
    public uint PowLimitBits { get; init; } = 0x2000ffff;

    /// <summary>The block interval retargeting aims for, in milliseconds.</summary>
    public long TargetBlockIntervalMs { get; init; } = 5_000;

    /// <summary>Retargeting half-life in milliseconds (ASERT): how fast difficulty reacts.</summary>
    public long RetargetHalfLifeMs { get; init; } = 60_000;

    /// <summary>How far into the future a block timestamp may be, in milliseconds.</summary>
    public long MaxFutureDriftMs { get; init; } = 15_000;

    /// <summary>How many previous blocks form the median-time-past.</summary>
    public int MedianTimeSpan { get; init; } = 11;

    /// <summary>When true, the target never changes (tests and fixed-difficulty benchmarks).</summary>
    public bool FixedDifficulty { get; init; }

    /// <summary>ePoW credit: how many of the most recent blocks count toward a miner's credit (1..512, see docs/consensus.md).</summary>
    public int CreditWindowBlocks { get; init; } = 256;

    /// <summary>ePoW credit: blocks over which one piece of misbehaviour evidence decays linearly to no penalty.</summary>
    public int CreditPenaltyDecayBlocks { get; init; } = 2_048;

    /// <summary>ePoW credit: difficulty doublings one fresh piece of misbehaviour evidence costs (0..8).</summary>
    public int CreditPenaltyLevels { get; init; } = 4;
}

/// <summary>Size limits, enforced on decode and on validation.</summary>
public sealed record LedgerLimits
{
    /// <summary>Largest encoded transaction in bytes.</summary>
    public int MaxTransactionBytes { get; init; } = 8 * 1024;

    /// <summary>Largest number of transactions in one block.</summary>
    public int MaxTransactionsPerBlock { get; init; } = 5_000;

    /// <summary>Largest encoded block in bytes.</summary>
    public int MaxBlockBytes { get; init; } = 4 * 1024 * 1024;
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Chain;

/// <summary>What happened to a block offered to the chain.</summary>
public enum BlockStatus
{
    /// <summary>Valid and now the tip of the best chain (possibly after a reorg).</summary>
    Connected,
    /// <summary>Valid and stored on a side branch with less work.</summary>
    SideBranch,
    /// <summary>Parent unknown: held in the orphan pool until the parent arrives.</summary>
    Orphan,
    /// <summary>Already known; nothing changed.</summary>
    AlreadyKnown,
    /// <summary>Rejected; see the validation result.</summary>
    Invalid,
}

/// <summary>The outcome of offering a block.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Validation">Why it was rejected, when <see cref="BlockStatus.Invalid"/>.</param>
/// <param name="ConnectedCount">How many blocks (including released orphans) were added to the tree.</param>
public sealed record BlockAddResult(BlockStatus Status, ValidationResult Validation, int ConnectedCount = 0)
{
    /// <summary>True unless invalid.</summary>
    public bool IsAccepted => Status != BlockStatus.Invalid;
}

/// <summary>A change of the best chain: blocks removed (tip first) and added (oldest first).</summary>
/// <param name="Disconnected">Blocks no longer on the best chain, tip first.</param>
/// <param name="Connected">Blocks newly on the best chain, oldest first.</param>
public sealed record ChainUpdate(IReadOnlyList<Block> Disconnected, IReadOnlyList<Block> Connected)
{
    /// <summary>True when blocks were disconnected (a reorganisation).</summary>
    public bool IsReorg => Disconnected.Count > 0;
}

/// <summary>A block became final (docs/consensus.md §5).</summary>
/// <param name="Header">The block.</param>
/// <param name="Attesters">How many distinct validators voted for it from justified sources (0 for a block made final as the ancestor of one).</param>
/// <param name="FinalizedAtMs">When this node saw it become final.</param>
/// <param name="LatencyMs">Time from sealing (header timestamp) to finality.</param>
public sealed record BlockFinalized(BlockHeader Header, int Attesters, long FinalizedAtMs, long LatencyMs);

using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Validation;

using HealthLedger.Core.Chain;

namespace HealthLedger.Core.Consensus;

/// <summary>
/// The narrow interface between the chain and a consensus engine: check a seal, weigh a block for fork choice,
/// and give the target a child block must carry. Mining (making seals) lives in HealthLedger.Consensus.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use (the chain validates while the miner asks for targets); the shipped engines are stateless.</remarks>
public interface IConsensusEngine
{
    /// <summary>The engine id carried in every header this engine seals.</summary>
    ConsensusEngineId Id { get; }

    /// <summary>
    /// Checks the seal of <paramref name="header"/>, whose parent is <paramref name="parent"/>.<see cref="IChainView.Tip"/>:
    /// engine id, target bits equal to <see cref="GetNextTargetBits"/>, proof of work against the (effective) target,
    /// and any identity or signature rules of the engine.
    /// </summary>
    ValidationResult ValidateSeal(BlockHeader header, IChainView parent);

    /// <summary>
    /// Context-free header checks, run before a block is held as an orphan, stored, or its parent looked up: the engine
    /// id, proof of work against the easiest target any header of this chain could legally carry, and the seal (whose
    /// bytes are not part of the block hash, so a relaying peer can change them). Cheapest first, work before any
    /// signature. A failure other than the seal's is a function of the block hash.
    /// </summary>
    ValidationResult ValidateHeader(BlockHeader header, GenesisConfig genesis);

    /// <summary>
    /// The contextual part of <see cref="ValidateSeal"/>, for a header that already passed <see cref="ValidateHeader"/>:
    /// target bits, identity rules and proof of work against the effective target; the seal signature is not checked
    /// again. Every failure is a function of the block hash and its parent branch.
    /// </summary>
    ValidationResult ValidateContext(BlockHeader header, IChainView parent) => ValidateSeal(header, parent);

    /// <summary>The fork-choice weight this block adds to its branch (cumulative work by default).</summary>
    BigInteger GetWork(BlockHeader header, IChainView parent);

    /// <summary>The compact base target a child of <paramref name="parent"/>'s tip must carry.</summary>
    uint GetNextTargetBits(IChainView parent);
}

/// <summary>A read-only view of one branch of the chain, ending at <see cref="Tip"/>, and the state after the tip.</summary>
public interface IChainView
{
    /// <summary>The last block of the branch.</summary>
    BlockHeader Tip { get; }

    /// <summary>The ancestor of the tip (or the tip itself) at <paramref name="height"/>, or null above the tip.</summary>
    BlockHeader? GetAncestor(ulong height);

    /// <summary>The ledger state after applying the tip.</summary>
    Chain.ILedgerStateView State { get; }

    /// <summary>The genesis configuration of this chain.</summary>
    Chain.GenesisConfig Genesis { get; }
}

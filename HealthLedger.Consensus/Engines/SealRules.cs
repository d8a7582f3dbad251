using HealthLedger.Core.Chain;
using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Engines;

/// <summary>The checks both engines share.</summary>
internal static class SealRules
{
    /// <summary>Engine id, then target bits equal to the retargeting rule's.</summary>
    internal static ValidationResult CheckEngineAndTarget(BlockHeader header, IChainView parent, ConsensusEngineId engine, uint expectedBits)
    {
        var engineCheck = CheckEngine(header, parent.Genesis, engine);
        if (!engineCheck.IsValid)
        {
            return engineCheck;
        }

        if (header.TargetBits != expectedBits)
        {
            return ValidationResult.Reject(
                RejectionCode.WrongTarget,
                $"Target bits 0x{header.TargetBits:x8}, the retargeting rule requires 0x{expectedBits:x8}.",
                header.TargetBits,
                expectedBits);
        }

        return ValidationResult.Ok;
    }

    /// <summary>The proof of work: hash at or below the target.</summary>
    internal static ValidationResult CheckProofOfWork(BlockHeader header, BigInteger target, string targetDescription)
    {
        if (!CompactTarget.Meets(header.Hash, target))
        {
            return ValidationResult.Reject(
                RejectionCode.InsufficientProofOfWork,
                $"Hash {header.Hash} is above the {targetDescription} 0x{target:x64}.");
        }

        return ValidationResult.Ok;
    }

    /// <summary>Engine id and proof of work against the easiest legal target: the context-free part both engines share.</summary>
    internal static ValidationResult CheckHeader(BlockHeader header, GenesisConfig genesis, ConsensusEngineId engine, int maxCreditLevels)
    {
        var engineCheck = CheckEngine(header, genesis, engine);
        return engineCheck.IsValid
            ? CheckProofOfWork(header, EasiestTarget(genesis, maxCreditLevels), "easiest target any header of this chain may carry")
            : engineCheck;
    }

    /// <summary>The header's engine, the chain's engine and the validating engine are one.</summary>
    private static ValidationResult CheckEngine(BlockHeader header, GenesisConfig genesis, ConsensusEngineId engine) =>
        header.Engine == engine && genesis.Engine == engine
            ? ValidationResult.Ok
            : ValidationResult.Reject(
                RejectionCode.WrongConsensusEngine,
                $"Header engine {header.Engine}, chain engine {genesis.Engine}, validating engine {engine}.",
                (long)header.Engine,
                (long)engine);

    /// <summary>
    /// The easiest target a header of this chain can legally meet: the fixed initial target or the pow limit (the
    /// retargeting rule never exceeds it), eased by the largest credit bonus the engine grants.
    /// </summary>
    internal static BigInteger EasiestTarget(GenesisConfig genesis, int maxCreditLevels)
    {
        var c = genesis.Consensus;
        var bits = c.FixedDifficulty ? c.InitialTargetBits : c.PowLimitBits;
        var baseTarget = CompactTarget.TryDecode(bits, out var t) ? t : CompactTarget.MaxTarget;
        return BigInteger.Min(baseTarget << maxCreditLevels, CompactTarget.MaxTarget);
    }

    /// <summary>Base work of a header: the expected hashes for its base target (zero if the bits are invalid).</summary>
    internal static BigInteger BaseWork(BlockHeader header) =>
        CompactTarget.TryDecode(header.TargetBits, out var target) ? CompactTarget.Work(target) : BigInteger.Zero;
}

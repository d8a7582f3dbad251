using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Finality;

/// <summary>
/// The arithmetic of the per-block fault-tolerance threshold (docs/consensus.md §5). A block carries a threshold k,
/// but the votes it needs are the <em>effective quorum</em> q = max(⌊2N/3⌋ + 1, k) of the N validators active in its
/// parent state (<see cref="FinalityQuorum.Required"/>): the floor comes from the validator set, the miner may only
/// demand more. Everything here is a pure function of N, k and the fault counts.
/// </summary>
public static class ThresholdArithmetic
{
    /// <summary>The votes a block with threshold <paramref name="threshold"/> needs among <paramref name="validators"/> validators.</summary>
    public static int EffectiveQuorum(int validators, int threshold)
    {
        CheckCounts(validators, threshold);
        return FinalityQuorum.Required(validators, (ushort)Math.Min(threshold, ushort.MaxValue));
    }

    /// <summary>Liveness: finality still progresses with <paramref name="crashed"/> silent validators iff q ≤ N − f.</summary>
    public static bool SurvivesCrashes(int validators, int threshold, int crashed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(crashed);
        return EffectiveQuorum(validators, threshold) <= validators - crashed;
    }

    /// <summary>The most silent validators finality survives: N − q (negative when q exceeds N: never final).</summary>
    public static int MaxCrashFaults(int validators, int threshold) => validators - EffectiveQuorum(validators, threshold);

    /// <summary>
    /// Any two quorums of q among N share at least 2q − N validators (pigeonhole; tight). Two conflicting final blocks
    /// therefore need that many validators to have signed conflicting votes: the accountable-safety bound.
    /// </summary>
    public static int QuorumOverlap(int validators, int threshold) => (2 * EffectiveQuorum(validators, threshold)) - validators;

    /// <summary>True when any two quorums intersect (always, for N ≥ 1, since q exceeds 2N/3).</summary>
    public static bool QuorumsIntersect(int validators, int threshold) => QuorumOverlap(validators, threshold) > 0;

    /// <summary>Safety with <paramref name="equivocators"/> validators willing to sign conflicting votes: iff 2q − N exceeds them.</summary>
    public static bool SafeAgainstEquivocators(int validators, int threshold, int equivocators)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(equivocators);
        return QuorumOverlap(validators, threshold) > equivocators;
    }

    /// <summary>
    /// The smallest threshold that keeps finality live with <paramref name="faults"/> crashed validators and safe
    /// against as many equivocators; <see cref="ThresholdModel.None"/> when no threshold can (f ≥ N/3).
    /// </summary>
    public static ThresholdRecommendation Recommend(int validators, int faults)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(validators);
        ArgumentOutOfRangeException.ThrowIfNegative(faults);
        for (var k = 1; k <= validators - faults; k++)
        {
            if (SurvivesCrashes(validators, k, faults) && SafeAgainstEquivocators(validators, k, faults))
            {
                return new ThresholdRecommendation(EffectiveQuorum(validators, k), ThresholdModel.Byzantine);
            }
        }

        return new ThresholdRecommendation(0, ThresholdModel.None);
    }

    /// <summary>Genesis bounds: 1 ≤ MinThreshold ≤ MaxThreshold, and MinThreshold at most the genesis validators (else nothing could become final).</summary>
    public static ValidationResult CheckGenesisBounds(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var validators = CountGenesisValidators(genesis);
        if (genesis.MinThreshold < 1)
        {
            return ValidationResult.Reject(RejectionCode.ThresholdOutOfBounds, "MinThreshold must be at least 1.", genesis.MinThreshold, 1);
        }

        if (genesis.MinThreshold > genesis.MaxThreshold)
        {
            return ValidationResult.Reject(
                RejectionCode.ThresholdOutOfBounds,
                $"MinThreshold {genesis.MinThreshold} exceeds MaxThreshold {genesis.MaxThreshold}.",
                genesis.MinThreshold,
                genesis.MaxThreshold);
        }

        if (genesis.MinThreshold > validators)
        {
            return ValidationResult.Reject(
                RejectionCode.ThresholdOutOfBounds,
                $"MinThreshold {genesis.MinThreshold} exceeds the {validators} validators registered at genesis: nothing could become final.",
                genesis.MinThreshold,
                validators);
        }

        return ValidationResult.Ok;
    }

    /// <summary>
    /// Checks a block's threshold: within the genesis bounds (<see cref="RejectionCode.ThresholdOutOfBounds"/>).
    /// </summary>
    public static ValidationResult CheckBlockThreshold(BlockHeader header, GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(genesis);
        if (header.Threshold < genesis.MinThreshold || header.Threshold > genesis.MaxThreshold)
        {
            return ValidationResult.Reject(
                RejectionCode.ThresholdOutOfBounds,
                $"Threshold {header.Threshold} is outside [{genesis.MinThreshold}, {genesis.MaxThreshold}].",
                header.Threshold,
                header.Threshold < genesis.MinThreshold ? genesis.MinThreshold : genesis.MaxThreshold);
        }

        return ValidationResult.Ok;
    }

    private static int CountGenesisValidators(GenesisConfig genesis)
    {
        var keys = new HashSet<Core.Crypto.PublicKey>();
        foreach (var node in genesis.InitialNodes)
        {
            if ((node.Roles & NodeRoles.Validator) != 0)
            {
                keys.Add(node.Key);
            }
        }

        return keys.Count;
    }

    private static void CheckCounts(int validators, int threshold)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(validators);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threshold);
    }
}

/// <summary>Which fault model a recommended threshold satisfies.</summary>
public enum ThresholdModel
{
    /// <summary>No threshold is both live with f crashes and safe.</summary>
    None = 0,

    /// <summary>Live with f crashed nodes and safe even if f nodes equivocate (2k − N &gt; f).</summary>
    Byzantine = 2,
}

/// <summary>A recommended threshold.</summary>
/// <param name="Threshold">k, or 0 when <paramref name="Model"/> is <see cref="ThresholdModel.None"/>.</param>
/// <param name="Model">The fault model k satisfies.</param>
public readonly record struct ThresholdRecommendation(int Threshold, ThresholdModel Model);

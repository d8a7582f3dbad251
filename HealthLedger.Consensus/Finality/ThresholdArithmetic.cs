using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Finality;

/// <summary>
/// The arithmetic of the per-block fault-tolerance threshold k: a block is final once k distinct registered
/// validators attested it (docs/consensus.md, "Threshold arithmetic"). N is the number of active validators.
/// </summary>
public static class ThresholdArithmetic
{
    /// <summary>Liveness: with <paramref name="crashed"/> of <paramref name="validators"/> nodes down, k attestations can still be gathered iff k ≤ N − f.</summary>
    public static bool SurvivesCrashes(int validators, int threshold, int crashed)
    {
        CheckCounts(validators, threshold);
        ArgumentOutOfRangeException.ThrowIfNegative(crashed);
        return threshold <= validators - crashed;
    }

    /// <summary>The most crashed nodes finality survives: N − k (negative when k &gt; N: nothing can finalise).</summary>
    public static int MaxCrashFaults(int validators, int threshold)
    {
        CheckCounts(validators, threshold);
        return validators - threshold;
    }

    /// <summary>
    /// The least number of validators two quorums of k out of N share: 2k − N (pigeonhole). Zero or negative means two
    /// disjoint quorums exist.
    /// </summary>
    public static int QuorumOverlap(int validators, int threshold)
    {
        CheckCounts(validators, threshold);
        return (2 * threshold) - validators;
    }

    /// <summary>
    /// Safety without equivocation: two conflicting blocks at one height cannot both be final iff every two quorums
    /// share a node (2k − N &gt; 0, i.e. k &gt; N/2), because no node attests two blocks at one height.
    /// </summary>
    public static bool QuorumsIntersect(int validators, int threshold) => QuorumOverlap(validators, threshold) > 0;

    /// <summary>
    /// Safety with <paramref name="equivocators"/> nodes that may attest both sides: the shared part of two quorums must
    /// hold at least one honest node, 2k − N &gt; b.
    /// </summary>
    public static bool SafeAgainstEquivocators(int validators, int threshold, int equivocators)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(equivocators);
        return QuorumOverlap(validators, threshold) > equivocators;
    }

    /// <summary>
    /// The recommended k for N validators of which up to f may fail. When N ≥ 3f + 1, the smallest k that keeps
    /// quorums intersecting in an honest node even if all f equivocate, ⌊(N + f)/2⌋ + 1 (it also survives f crashes);
    /// otherwise, if f crash-only faults still leave a majority, the majority ⌊N/2⌋ + 1 (safe only while nodes do not
    /// equivocate); otherwise no threshold is both live and safe.
    /// </summary>
    public static ThresholdRecommendation Recommend(int validators, int faults)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(validators);
        ArgumentOutOfRangeException.ThrowIfNegative(faults);
        var byzantine = ((validators + faults) / 2) + 1;
        if (byzantine <= validators - faults)
        {
            return new ThresholdRecommendation(byzantine, ThresholdModel.Byzantine);
        }

        var majority = (validators / 2) + 1;
        return majority <= validators - faults
            ? new ThresholdRecommendation(majority, ThresholdModel.CrashOnly)
            : new ThresholdRecommendation(0, ThresholdModel.None);
    }

    /// <summary>
    /// Checks the genesis threshold bounds against the validators registered at genesis: 1 ≤ MinThreshold ≤ MaxThreshold,
    /// and MinThreshold ≤ N₀ (otherwise no block could ever become final before more validators register).
    /// Returns <see cref="RejectionCode.ThresholdOutOfBounds"/> when broken.
    /// </summary>
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
    /// True when the genesis bounds also guarantee safety at genesis: MinThreshold &gt; N₀/2, so that any k a block may
    /// carry makes quorums of the genesis validators intersect.
    /// </summary>
    public static bool GenesisBoundsAreSafe(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var validators = CountGenesisValidators(genesis);
        return validators > 0 && QuorumsIntersect(validators, Math.Min(genesis.MinThreshold, validators));
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

    /// <summary>Live with f crashed nodes and safe while nodes do not equivocate (k &gt; N/2).</summary>
    CrashOnly = 1,

    /// <summary>Live with f crashed nodes and safe even if f nodes equivocate (2k − N &gt; f).</summary>
    Byzantine = 2,
}

/// <summary>A recommended threshold.</summary>
/// <param name="Threshold">k, or 0 when <paramref name="Model"/> is <see cref="ThresholdModel.None"/>.</param>
/// <param name="Model">The fault model k satisfies.</param>
public readonly record struct ThresholdRecommendation(int Threshold, ThresholdModel Model);

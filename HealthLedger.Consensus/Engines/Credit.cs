using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;

namespace HealthLedger.Consensus.Engines;

/// <summary>The credit parameters of a chain (from <see cref="ConsensusParameters"/>), validated.</summary>
public sealed record CreditParameters
{
    /// <summary>Largest bonus: the effective target is at most 2^4 = 16 times the base target.</summary>
    public const int MaxBonusLevels = 4;

    /// <summary>Largest penalty: the effective target is at least 2^−8 = 1/256 of the base target.</summary>
    public const int MaxPenaltyLevels = 8;

    /// <summary>Creates validated parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is outside its documented range.</exception>
    public CreditParameters(int windowBlocks, int penaltyDecayBlocks, int penaltyLevels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(windowBlocks, NodeActivity.Window);
        ArgumentOutOfRangeException.ThrowIfLessThan(penaltyDecayBlocks, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(penaltyLevels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(penaltyLevels, MaxPenaltyLevels);
        WindowBlocks = windowBlocks;
        PenaltyDecayBlocks = penaltyDecayBlocks;
        PenaltyLevels = penaltyLevels;
    }

    /// <summary>W: the most recent blocks whose mining and attestations count.</summary>
    public int WindowBlocks { get; }

    /// <summary>D: blocks over which one piece of evidence decays linearly to nothing.</summary>
    public int PenaltyDecayBlocks { get; }

    /// <summary>L: difficulty doublings one fresh piece of evidence costs.</summary>
    public int PenaltyLevels { get; }

    /// <summary>The chain defaults (W = 256, D = 2048, L = 4).</summary>
    public static CreditParameters Default { get; } = From(new ConsensusParameters());

    /// <summary>Reads and validates the credit fields of <paramref name="parameters"/>.</summary>
    public static CreditParameters From(ConsensusParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return new CreditParameters(parameters.CreditWindowBlocks, parameters.CreditPenaltyDecayBlocks, parameters.CreditPenaltyLevels);
    }
}

/// <summary>
/// The counts the credit function reads, all taken from the parent branch and its state.
/// </summary>
/// <param name="WindowBlocks">|H|: blocks in the window (min(W, parent height); genesis is never counted).</param>
/// <param name="BlocksByOthers">O: blocks in the window mined by other nodes.</param>
/// <param name="AttestationsOfOthers">A: distinct window heights whose block (mined by another node) this node attested and a finality quorum endorsed.</param>
/// <param name="EndorsedBlocksMined">M: window blocks this node mined that a finality quorum (more than two thirds of the active validators) attested.</param>
/// <param name="ActiveValidators">N: registered, non-revoked validators in the parent state (at least 1 is assumed).</param>
/// <param name="PenaltyAges">Age in blocks (parent height − inclusion height) of each piece of evidence against this node.</param>
public sealed record CreditInputs(int WindowBlocks, int BlocksByOthers, int AttestationsOfOthers, int EndorsedBlocksMined, int ActiveValidators, IReadOnlyList<ulong> PenaltyAges);

/// <summary>A miner's credit: the exponent m of its effective target base · 2^m, and its parts.</summary>
/// <param name="Levels">m in [−8, +4].</param>
/// <param name="BonusLevels">The bonus before penalties, in [0, 4].</param>
/// <param name="PenaltyLevels">The decayed penalty, in [0, 8]; any penalty voids the bonus.</param>
public readonly record struct CreditScore(int Levels, int BonusLevels, int PenaltyLevels)
{
    /// <summary>A miner with neither bonus nor penalty.</summary>
    public static CreditScore Neutral => default;

    /// <summary>The effective target for this credit: <paramref name="baseTarget"/> · 2^m, clamped to [1, 2^256 − 1].</summary>
    public BigInteger Apply(BigInteger baseTarget) => CreditFunction.EffectiveTarget(baseTarget, Levels);
}

/// <summary>
/// The ePoW credit function (docs/consensus.md, "Credit"). Deterministic and integer-only: every node computes the
/// same credit for a miner from the parent branch.
/// </summary>
/// <remarks>
/// <para>Bonus (0..4) = ⌊2·min(A, Qa)/Qa⌋ + (M ≥ 1 ? 2 : 0) with Qa = max(1, ⌈3·O/4⌉): attesting three quarters of
/// the other miners' endorsed blocks earns +2, mining at least one endorsed block in the window earns +2.</para>
/// <para>Penalty = Σ over evidence younger than D of ⌈L·(D − age)/D⌉, capped at 8.</para>
/// <para>m = −penalty when penalty &gt; 0, otherwise +bonus.</para>
/// </remarks>
public static class CreditFunction
{
    /// <summary>The credit exponent for already counted inputs.</summary>
    public static CreditScore Compute(CreditInputs inputs, CreditParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(parameters);
        var bonus = Bonus(inputs);
        var penalty = Penalty(inputs.PenaltyAges, parameters);
        var levels = penalty > 0 ? -penalty : bonus;
        return new CreditScore(levels, bonus, penalty);
    }

    /// <summary>The bonus part, in [0, 4].</summary>
    public static int Bonus(CreditInputs inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.WindowBlocks <= 0)
        {
            return 0;
        }

        long others = Math.Max(0, inputs.BlocksByOthers);
        long attestQuota = Math.Max(1, ((3 * others) + 3) / 4);
        long attested = others == 0 ? 0 : Math.Clamp(inputs.AttestationsOfOthers, 0, attestQuota);
        var bonus = ((2 * attested) / attestQuota) + (inputs.EndorsedBlocksMined >= 1 ? 2 : 0);
        return (int)Math.Min(bonus, CreditParameters.MaxBonusLevels);
    }

    /// <summary>The decayed penalty, in [0, 8].</summary>
    public static int Penalty(IReadOnlyList<ulong> penaltyAges, CreditParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(penaltyAges);
        ArgumentNullException.ThrowIfNull(parameters);
        long decay = parameters.PenaltyDecayBlocks;
        long total = 0;
        foreach (var age in penaltyAges)
        {
            if (age >= (ulong)decay)
            {
                continue;
            }

            var remaining = decay - (long)age;
            total += ((parameters.PenaltyLevels * remaining) + decay - 1) / decay;
            if (total >= CreditParameters.MaxPenaltyLevels)
            {
                return CreditParameters.MaxPenaltyLevels;
            }
        }

        return (int)total;
    }

    /// <summary><paramref name="baseTarget"/> · 2^<paramref name="levels"/>, clamped to [1, 2^256 − 1].</summary>
    public static BigInteger EffectiveTarget(BigInteger baseTarget, int levels)
    {
        if (baseTarget.Sign <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(baseTarget), "A target must be positive.");
        }

        var shifted = levels >= 0 ? baseTarget << levels : baseTarget >> -levels;
        return shifted.IsZero ? BigInteger.One : BigInteger.Min(shifted, CompactTarget.MaxTarget);
    }

    /// <summary>
    /// Counts the credit inputs of <paramref name="node"/> on the branch ending at <paramref name="parent"/>'s tip
    /// (the state after the tip), and computes its credit.
    /// </summary>
    public static CreditScore Compute(NodeInfo node, IChainView parent, CreditParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(parent);
        return Compute(CountInputs(node, parent, parameters), parameters);
    }

    /// <summary>Counts the inputs of the credit function (see <see cref="CreditInputs"/>).</summary>
    public static CreditInputs CountInputs(NodeInfo node, IChainView parent, CreditParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentNullException.ThrowIfNull(parameters);
        var tipHeight = parent.Tip.Height;
        var windowBlocks = (int)Math.Min((ulong)parameters.WindowBlocks, tipHeight);
        var first = tipHeight - (ulong)windowBlocks + 1; // lowest height in the window (≥ 1 when windowBlocks > 0)

        // Miners of the window's blocks, read from the branch itself (the source of truth).
        var minedBySelf = new HashSet<ulong>();
        var blocksByOthers = 0;
        for (var height = first; windowBlocks > 0 && height <= tipHeight; height++)
        {
            var header = parent.GetAncestor(height)
                ?? throw new InvalidOperationException($"The chain view has no block at height {height} below its tip.");
            if (header.Miner == node.Key)
            {
                minedBySelf.Add(height);
            }
            else
            {
                blocksByOthers++;
            }
        }

        bool InWindow(ulong h) => windowBlocks > 0 && h >= first && h <= tipHeight;

        // How many distinct active validators attested each window height on this branch (an attestation included on
        // a branch always names that branch's block at its height). A height counts as endorsed only with a finality
        // quorum of them (more than two thirds): a coalition below a third cannot endorse its own blocks.
        var activeValidators = 0;
        var attestersAt = new Dictionary<ulong, int>();
        foreach (var other in parent.State.Nodes)
        {
            if (other.Revoked || (other.Roles & NodeRoles.Validator) == 0)
            {
                continue;
            }

            activeValidators++;
            foreach (var h in other.Activity.AttestedHeights.Distinct())
            {
                if (InWindow(h))
                {
                    attestersAt[h] = attestersAt.GetValueOrDefault(h) + 1;
                }
            }
        }

        var quorum = FinalityQuorum.Required(activeValidators, 0);
        bool Endorsed(ulong h) => attestersAt.GetValueOrDefault(h) >= quorum;

        var attestedOthers = new HashSet<ulong>();
        foreach (var h in node.Activity.AttestedHeights)
        {
            if (InWindow(h) && !minedBySelf.Contains(h) && Endorsed(h))
            {
                attestedOthers.Add(h);
            }
        }

        var endorsed = minedBySelf.Count(Endorsed);

        var penaltyAges = new List<ulong>(node.Activity.PenaltyHeights.Length);
        foreach (var h in node.Activity.PenaltyHeights)
        {
            if (h <= tipHeight)
            {
                penaltyAges.Add(tipHeight - h);
            }
        }

        return new CreditInputs(windowBlocks, blocksByOthers, attestedOthers.Count, endorsed, activeValidators, penaltyAges);
    }
}

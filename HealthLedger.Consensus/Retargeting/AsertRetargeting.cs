using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;

namespace HealthLedger.Consensus.Retargeting;

/// <summary>
/// Per-block difficulty retargeting with ASERT (absolutely scheduled exponentially rising targets, the aserti3-2d
/// integer algorithm of Bitcoin Cash), anchored at block 1. Integer arithmetic only; see docs/consensus.md.
/// </summary>
/// <remarks>
/// Block h (h ≥ 1) is scheduled at t₁ + (h − 1)·T, where t₁ is block 1's timestamp and T the target interval.
/// A child of parent P (height p ≥ 1) gets target₁ · 2^((t_P − t₁ − (p − 1)·T) / half-life): every half-life
/// behind schedule halves the difficulty, every half-life ahead doubles it. The result is clamped to
/// [1, pow limit]. Children of genesis, and every block when <see cref="ConsensusParameters.FixedDifficulty"/>
/// is set, carry <see cref="ConsensusParameters.InitialTargetBits"/>.
/// </remarks>
public static class AsertRetargeting
{
    /// <summary>Fixed-point precision of the exponent (16 fractional bits).</summary>
    private const int RadixBits = 16;

    /// <summary>The compact target a child of <paramref name="parent"/>'s tip must carry.</summary>
    public static uint NextTargetBits(IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var parameters = parent.Genesis.Consensus;
        var tip = parent.Tip;
        if (parameters.FixedDifficulty || tip.Height == 0)
        {
            return parameters.InitialTargetBits;
        }

        var anchor = tip.Height == 1 ? tip : parent.GetAncestor(1)
            ?? throw new InvalidOperationException("The chain view has no block 1 below a tip above it.");
        var target = NextTarget(
            CompactTarget.Decode(parameters.InitialTargetBits),
            tip.TimestampMs - anchor.TimestampMs,
            tip.Height - 1,
            parameters.TargetBlockIntervalMs,
            parameters.RetargetHalfLifeMs,
            CompactTarget.Decode(parameters.PowLimitBits));
        return CompactTarget.Encode(target);
    }

    /// <summary>
    /// The aserti3-2d target: <paramref name="anchorTarget"/> · 2^((<paramref name="timeDeltaMs"/> −
    /// <paramref name="idealIntervalMs"/> · <paramref name="heightDelta"/>) / <paramref name="halfLifeMs"/>),
    /// with the fractional power approximated by the aserti3-2d cubic (error below 0.013 %), clamped to [1, <paramref name="powLimit"/>].
    /// </summary>
    /// <param name="anchorTarget">Target of the anchor block.</param>
    /// <param name="timeDeltaMs">Parent timestamp minus anchor timestamp (may be negative).</param>
    /// <param name="heightDelta">Parent height minus anchor height.</param>
    /// <param name="idealIntervalMs">Target block interval.</param>
    /// <param name="halfLifeMs">Half-life.</param>
    /// <param name="powLimit">The easiest allowed target.</param>
    public static BigInteger NextTarget(BigInteger anchorTarget, long timeDeltaMs, ulong heightDelta, long idealIntervalMs, long halfLifeMs, BigInteger powLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(halfLifeMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(idealIntervalMs);
        if (anchorTarget.Sign <= 0 || powLimit.Sign <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(anchorTarget), "Targets must be positive.");
        }

        // BigInteger so that absurd timestamps or heights cannot overflow; floor division as in aserti3-2d.
        var behindSchedule = new BigInteger(timeDeltaMs) - (new BigInteger(idealIntervalMs) * heightDelta);
        var exponent = FloorDiv(behindSchedule << RadixBits, halfLifeMs);
        var shifts = exponent >> RadixBits; // BigInteger shifts of negatives floor
        var frac = (ulong)(exponent & 0xffff);

        if (shifts > 300)
        {
            return powLimit;
        }

        if (shifts < -300)
        {
            return BigInteger.One;
        }

        // 2^(frac/65536) · 65536, the aserti3-2d cubic; UInt128 keeps the sum exact.
        var f = (UInt128)frac;
        var factor = 65536 + (ulong)(((195766423245049UL * f) + (971821376UL * f * f) + (5127UL * f * f * f) + ((UInt128)1 << 47)) >> 48);

        var next = anchorTarget * factor;
        var s = (int)shifts;
        next = s >= 0 ? next << s : next >> -s;
        next >>= RadixBits;

        if (next.IsZero)
        {
            return BigInteger.One;
        }

        return next > powLimit ? powLimit : next;
    }

    private static BigInteger FloorDiv(BigInteger numerator, long denominator)
    {
        var quotient = BigInteger.DivRem(numerator, denominator, out var remainder);
        return !remainder.IsZero && (remainder.Sign < 0) != (denominator < 0) ? quotient - 1 : quotient;
    }
}

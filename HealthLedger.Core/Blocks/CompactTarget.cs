using System.Numerics;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Blocks;

/// <summary>
/// Proof-of-work targets. A target is a 256-bit unsigned integer; a header meets it when its hash, read as a
/// big-endian integer, is at most the target. Headers carry it in Bitcoin's compact form: one exponent byte
/// (size in bytes) and a 23-bit mantissa; the sign bit must be clear. Only the canonical compact form is valid.
/// </summary>
public static class CompactTarget
{
    /// <summary>The largest representable target (2^256 − 1).</summary>
    public static readonly BigInteger MaxTarget = (BigInteger.One << 256) - 1;

    /// <summary>Decodes compact bits. Returns false for a negative, zero, overflowing or non-canonical encoding.</summary>
    public static bool TryDecode(uint bits, out BigInteger target)
    {
        target = BigInteger.Zero;
        var exponent = (int)(bits >> 24);
        var mantissa = bits & 0x007fffff;
        if ((bits & 0x00800000) != 0 || mantissa == 0)
        {
            return false;
        }

        target = exponent <= 3 ? new BigInteger(mantissa >> (8 * (3 - exponent))) : new BigInteger(mantissa) << (8 * (exponent - 3));
        if (target.IsZero || target > MaxTarget)
        {
            return false;
        }

        return Encode(target) == bits;
    }

    /// <summary>Decodes compact bits.</summary>
    /// <exception cref="FormatException">The bits are not a canonical, positive, in-range target.</exception>
    public static BigInteger Decode(uint bits) =>
        TryDecode(bits, out var target) ? target : throw new FormatException($"0x{bits:x8} is not a valid compact target.");

    /// <summary>Encodes a positive target, rounding down to 23 bits of precision.</summary>
    public static uint Encode(BigInteger target)
    {
        if (target.Sign <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(target), "A target must be positive.");
        }

        if (target > MaxTarget)
        {
            target = MaxTarget;
        }

        var size = (int)((target.GetBitLength() + 7) / 8);
        uint mantissa = size <= 3 ? (uint)(target << (8 * (3 - size))) : (uint)(target >> (8 * (size - 3)));
        if ((mantissa & 0x00800000) != 0)
        {
            mantissa >>= 8;
            size++;
        }

        return ((uint)size << 24) | (mantissa & 0x007fffff);
    }

    /// <summary>
    /// The target of "difficulty level d" from the paper: the hash must start with d zero hex digits,
    /// i.e. target = 2^(256 − 4d) − 1 (rounded down to compact precision).
    /// </summary>
    public static uint FromDifficultyLevel(int level)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 60);
        return Encode((BigInteger.One << (256 - (4 * level))) - 1);
    }

    /// <summary>Expected number of hashes to meet <paramref name="target"/>: 2^256 / (target + 1).</summary>
    public static BigInteger Work(BigInteger target) => (BigInteger.One << 256) / (target + 1);

    /// <summary>True when <paramref name="hash"/>, read big-endian, is at most <paramref name="target"/>.</summary>
    public static bool Meets(Hash256 hash, BigInteger target) =>
        new BigInteger(Hash256.AsSpan(in hash), isUnsigned: true, isBigEndian: true) <= target;

    /// <summary>The target as 32 big-endian bytes (for fast comparison against hashes).</summary>
    public static Hash256 ToHash(BigInteger target)
    {
        Span<byte> bytes = stackalloc byte[32];
        bytes.Clear();
        var raw = target.ToByteArray(isUnsigned: true, isBigEndian: true);
        raw.CopyTo(bytes[(32 - raw.Length)..]);
        return new Hash256(bytes);
    }
}

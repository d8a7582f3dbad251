using System.Buffers.Binary;
using HealthLedger.Core.Blocks;
using static HealthLedger.Consensus.Hashing.Sha256Core;

namespace HealthLedger.Consensus.Hashing;

/// <summary>
/// Everything about one header template and one extra nonce that does not depend on the per-lane nonce,
/// computed once per search: the midstate of bytes 0..127, the first round of the third block and of the
/// second SHA-256, and every message-schedule word (plus K) that is constant across nonces.
/// </summary>
/// <remarks>
/// Third block of the first SHA-256 (bytes 128..135 plus padding): W0 = nonce low 32 bits (big-endian read),
/// W1 = extra nonce, W2 = 0x80000000, W3..W14 = 0, W15 = 1088 (the bit length). Only W0 varies.
/// The second SHA-256 hashes the 32-byte digest: W0..W7 vary, W8 = 0x80000000, W9..W14 = 0, W15 = 256.
/// </remarks>
internal sealed class MiningJob
{
    /// <summary>Bit length of the 136-byte header.</summary>
    public const uint HeaderBits = BlockHeader.HashInputSize * 8;

    /// <summary>Bit length of a 32-byte digest.</summary>
    public const uint DigestBits = 256;

    private readonly byte[] _input;

    /// <summary>Precomputes a job for <paramref name="hashInput"/> (136 bytes; the nonce bytes are ignored) and <paramref name="extraNonce"/>.</summary>
    public MiningJob(ReadOnlySpan<byte> hashInput, uint extraNonce)
    {
        if (hashInput.Length != BlockHeader.HashInputSize)
        {
            throw new ArgumentException($"The header hash input is {BlockHeader.HashInputSize} bytes, got {hashInput.Length}.", nameof(hashInput));
        }

        ExtraNonce = extraNonce;
        _input = hashInput.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(_input.AsSpan(BlockHeader.NonceOffset), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(_input.AsSpan(BlockHeader.NonceOffset + 4), extraNonce);

        var mid = new uint[8];
        InitialState.CopyTo(mid);
        Compress(mid, _input.AsSpan(0, 64));
        Compress(mid, _input.AsSpan(64, 64));
        Midstate = mid;

        // Round 0 of the third block: T1 = h + Σ1(e) + Ch(e,f,g) + K0 + W0, so a' = A0 + W0 and e' = E0 + W0.
        var pre = mid[7] + BigSigma1(mid[4]) + Ch(mid[4], mid[5], mid[6]) + K[0];
        FirstA0 = pre + BigSigma0(mid[0]) + Maj(mid[0], mid[1], mid[2]);
        FirstE0 = mid[3] + pre;

        // Message schedule of the third block with W0 = 0: the constant words and constant parts.
        var w = new uint[64];
        w[1] = BinaryPrimitives.ReadUInt32BigEndian(_input.AsSpan(BlockHeader.NonceOffset + 4));
        w[2] = 0x80000000;
        w[15] = HeaderBits;
        W1 = w[1];
        C16 = SmallSigma0(w[1]); // W16 = C16 + W0
        W17 = SmallSigma1(w[15]) + w[10] + SmallSigma0(w[2]) + w[1];
        W19 = SmallSigma1(W17); // + W12 + σ0(W4) + W3, all zero
        W21 = SmallSigma1(W19); // + W14 + σ0(W6) + W5, all zero
        C23 = SmallSigma1(W21); // W23 = C23 + W16
        C30 = SmallSigma0(HeaderBits); // W30 = σ1(W28) + W23 + C30

        var kw = new uint[64];
        for (var i = 1; i < 16; i++)
        {
            kw[i] = K[i] + w[i];
        }

        kw[17] = K[17] + W17;
        kw[19] = K[19] + W19;
        kw[21] = K[21] + W21;
        FirstKw = kw;
    }

    /// <summary>The extra nonce (high 32 bits of the header nonce).</summary>
    public uint ExtraNonce { get; }

    /// <summary>State after the first two 64-byte blocks.</summary>
    public uint[] Midstate { get; }

    /// <summary>a after round 0 of the third block is <c>FirstA0 + W0</c>.</summary>
    public uint FirstA0 { get; }

    /// <summary>e after round 0 of the third block is <c>FirstE0 + W0</c>.</summary>
    public uint FirstE0 { get; }

    /// <summary>The extra nonce as message word W1.</summary>
    public uint W1 { get; }

    /// <summary>σ0(W1): W16 = C16 + W0.</summary>
    public uint C16 { get; }

    /// <summary>The constant word W17.</summary>
    public uint W17 { get; }

    /// <summary>The constant word W19.</summary>
    public uint W19 { get; }

    /// <summary>The constant word W21.</summary>
    public uint W21 { get; }

    /// <summary>σ1(W21): W23 = C23 + W16.</summary>
    public uint C23 { get; }

    /// <summary>σ0(W15): W30 = σ1(W28) + W23 + C30.</summary>
    public uint C30 { get; }

    /// <summary>K[i] + W[i] for the constant words of the third block (indices 1..15, 17, 19, 21; others zero).</summary>
    public uint[] FirstKw { get; }

    /// <summary>The header hash input with the extra nonce set and the low nonce zero.</summary>
    public ReadOnlySpan<byte> Input => _input;

    /// <summary>Writes the hash input for <paramref name="nonceLow"/> into <paramref name="destination"/> (136 bytes).</summary>
    public void WriteInput(uint nonceLow, Span<byte> destination)
    {
        _input.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[BlockHeader.NonceOffset..], nonceLow);
    }

    /// <summary>The full 64-bit header nonce for a lane nonce.</summary>
    public ulong FullNonce(uint nonceLow) => ((ulong)ExtraNonce << 32) | nonceLow;
}

/// <summary>Constants of the second SHA-256 (over a 32-byte digest), which do not depend on the header.</summary>
internal static class SecondHashConstants
{
    /// <summary>a after round 0 is <c>A0 + W0</c>.</summary>
    public static readonly uint A0;

    /// <summary>e after round 0 is <c>E0 + W0</c>.</summary>
    public static readonly uint E0;

    /// <summary>σ1(W15) = σ1(256), part of W17.</summary>
    public static readonly uint C17 = SmallSigma1(MiningJob.DigestBits);

    /// <summary>σ0(W8) = σ0(0x80000000), part of W23.</summary>
    public static readonly uint C23 = SmallSigma0(0x80000000);

    /// <summary>σ0(W15) = σ0(256), part of W30.</summary>
    public static readonly uint C30 = SmallSigma0(MiningJob.DigestBits);

    /// <summary>K[i] + W[i] for the constant words 8..15 (others zero).</summary>
    public static readonly uint[] Kw = new uint[64];

#pragma warning disable CA1810 // explicit static constructor: the values depend on each other
    static SecondHashConstants()
#pragma warning restore CA1810
    {
        var iv = InitialState;
        var pre = iv[7] + BigSigma1(iv[4]) + Ch(iv[4], iv[5], iv[6]) + K[0];
        A0 = pre + BigSigma0(iv[0]) + Maj(iv[0], iv[1], iv[2]);
        E0 = iv[3] + pre;
        for (var i = 8; i < 16; i++)
        {
            Kw[i] = K[i];
        }

        Kw[8] += 0x80000000;
        Kw[15] += MiningJob.DigestBits;
    }
}

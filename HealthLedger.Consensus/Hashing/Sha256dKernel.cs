using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using static HealthLedger.Consensus.Hashing.Sha256Core;

namespace HealthLedger.Consensus.Hashing;

/// <summary>64 message words (or K + W sums) of one lane type, on the stack.</summary>
/// <typeparam name="T">The lane type.</typeparam>
[InlineArray(64)]
internal struct Words64<T>
    where T : unmanaged
{
#pragma warning disable IDE0044, IDE0051, CA1823 // the element of an inline array is accessed through the indexer
    private T _element;
#pragma warning restore IDE0044, IDE0051, CA1823
}

/// <summary>The eight working variables of SHA-256, passed between the round function and its caller.</summary>
/// <typeparam name="TV">The lane type.</typeparam>
internal readonly record struct State<TV>(TV A, TV B, TV C, TV D, TV E, TV F, TV G, TV H)
    where TV : unmanaged;

/// <summary>
/// The multi-lane double SHA-256 nonce kernel. One step hashes <c>TOps.Lanes</c> consecutive nonces (lane i = nonce
/// <c>first + i</c>): the third block of the first SHA-256 starting from the precomputed midstate and round 0,
/// then the second SHA-256 starting from its precomputed round 0. Only the top 32-bit word of the final hash is
/// produced and compared with the target's top word; lanes at or below it are verified exactly in scalar code.
/// </summary>
internal static class Sha256dKernel
{
    /// <summary>Searches <paramref name="count"/> nonces from <paramref name="first"/>, lowest first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static NonceSearchResult Search<TOps, TV>(MiningJob job, in Hash256 target, uint first, ulong count, CancellationToken cancellationToken)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var targetTop = BinaryPrimitives.ReadUInt32BigEndian(Hash256.AsSpan(in target));
        var w = default(Words64<TV>);
        var kw = default(Words64<TV>);
        var v = default(Words64<TV>);
        var kv = default(Words64<TV>);

        Prefill<TOps, TV>(job, ref kw, ref kv);
        var lanes = (ulong)TOps.Lanes;
        ulong done = 0;
        while (done < count)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return new NonceSearchResult(false, 0, done, true);
            }

            var nonce = first + (uint)done;
            var mask = HashStep<TOps, TV>(job, nonce, targetTop, ref w, ref kw, ref v, ref kv);
            var remaining = count - done;
            if (remaining < lanes)
            {
                mask &= (1u << (int)remaining) - 1;
            }

            while (mask != 0)
            {
                var lane = (uint)BitOperations.TrailingZeroCount(mask);
                if (Meets(job, nonce + lane, target))
                {
                    return new NonceSearchResult(true, job.FullNonce(nonce + lane), done + lane + 1, false);
                }

                mask &= mask - 1;
            }

            done += Math.Min(remaining, lanes);
        }

        return new NonceSearchResult(false, 0, done, false);
    }

    /// <summary>Writes the K + W entries that are the same for every nonce of a job (done once per search).</summary>
    private static void Prefill<TOps, TV>(MiningJob job, ref Words64<TV> kw, ref Words64<TV> kv)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        for (var i = 1; i < 16; i++)
        {
            kw[i] = TOps.Broadcast(job.FirstKw[i]);
        }

        kw[17] = TOps.Broadcast(job.FirstKw[17]);
        kw[19] = TOps.Broadcast(job.FirstKw[19]);
        kw[21] = TOps.Broadcast(job.FirstKw[21]);
        for (var i = 8; i < 16; i++)
        {
            kv[i] = TOps.Broadcast(SecondHashConstants.Kw[i]);
        }
    }

    /// <summary>The top 32-bit word of the double SHA-256 of nonces <c>first ..</c> (one per lane), for tests.</summary>
    public static uint[] TopWords<TOps, TV>(MiningJob job, uint first)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var w = default(Words64<TV>);
        var kw = default(Words64<TV>);
        var v = default(Words64<TV>);
        var kv = default(Words64<TV>);
        Prefill<TOps, TV>(job, ref kw, ref kv);
        var top = TopWord<TOps, TV>(job, first, ref w, ref kw, ref v, ref kv);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<TV, uint>(new ReadOnlySpan<TV>(in top)).ToArray();
    }

    /// <summary>The exact check: full double SHA-256 of the header with this nonce, compared as a 256-bit integer.</summary>
    public static bool Meets(MiningJob job, uint nonceLow, in Hash256 target)
    {
        Span<byte> input = stackalloc byte[BlockHeader.HashInputSize];
        Span<byte> digest = stackalloc byte[32];
        job.WriteInput(nonceLow, input);
        SHA256.HashData(input, digest);
        SHA256.HashData(digest, digest);
        return new Hash256(digest) <= target;
    }

    /// <summary>
    /// Hashes the nonces <c>first .. first + Lanes - 1</c> and returns a bit per lane whose hash's top word is at
    /// most <paramref name="targetTop"/>. Also used by the tests to read the top word of each lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint HashStep<TOps, TV>(MiningJob job, uint first, uint targetTop, ref Words64<TV> w, ref Words64<TV> kw, ref Words64<TV> v, ref Words64<TV> kv)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var top = TopWord<TOps, TV>(job, first, ref w, ref kw, ref v, ref kv);
        return TOps.LanesAtOrBelow(top, targetTop);
    }

    /// <summary>The first (most significant) 32-bit word of the double SHA-256 for each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV TopWord<TOps, TV>(MiningJob job, uint first, ref Words64<TV> w, ref Words64<TV> kw, ref Words64<TV> v, ref Words64<TV> kv)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var k = K;

        // ---- First SHA-256, third block: only W0 varies. ----
        var w0 = TOps.NonceWords(first);
        var w16 = TOps.Add(TOps.Broadcast(job.C16), w0);
        var w17 = TOps.Broadcast(job.W17);
        var w18 = TOps.Add(TOps.SmallSigma1(w16), TOps.Broadcast(0x80000000));
        var w19 = TOps.Broadcast(job.W19);
        var w20 = TOps.SmallSigma1(w18);
        var w21 = TOps.Broadcast(job.W21);
        var w22 = TOps.Add(TOps.SmallSigma1(w20), TOps.Broadcast(MiningJob.HeaderBits));
        var w23 = TOps.Add(TOps.Broadcast(job.C23), w16);
        var w24 = TOps.Add(TOps.SmallSigma1(w22), w17);
        var w25 = TOps.Add(TOps.SmallSigma1(w23), w18);
        var w26 = TOps.Add(TOps.SmallSigma1(w24), w19);
        var w27 = TOps.Add(TOps.SmallSigma1(w25), w20);
        var w28 = TOps.Add(TOps.SmallSigma1(w26), w21);
        var w29 = TOps.Add(TOps.SmallSigma1(w27), w22);
        var w30 = TOps.Add(TOps.Add(TOps.SmallSigma1(w28), w23), TOps.Broadcast(job.C30));
        var w31 = TOps.Add(TOps.Add(TOps.SmallSigma1(w29), w24), TOps.Add(TOps.SmallSigma0(w16), TOps.Broadcast(MiningJob.HeaderBits)));
        w[16] = w16;
        w[17] = w17;
        w[18] = w18;
        w[19] = w19;
        w[20] = w20;
        w[21] = w21;
        w[22] = w22;
        w[23] = w23;
        w[24] = w24;
        w[25] = w25;
        w[26] = w26;
        w[27] = w27;
        w[28] = w28;
        w[29] = w29;
        w[30] = w30;
        w[31] = w31;
        kw[16] = TOps.Add(w16, TOps.Broadcast(k[16]));
        kw[18] = TOps.Add(w18, TOps.Broadcast(k[18]));
        kw[20] = TOps.Add(w20, TOps.Broadcast(k[20]));
        for (var i = 22; i < 32; i++)
        {
            kw[i] = TOps.Add(w[i], TOps.Broadcast(k[i]));
        }

        Expand<TOps, TV>(ref w, ref kw);

        var mid = job.Midstate;
        var h = TOps.Add(TOps.Broadcast(job.FirstA0), w0);
        var a = TOps.Broadcast(mid[0]);
        var b = TOps.Broadcast(mid[1]);
        var c = TOps.Broadcast(mid[2]);
        var d = TOps.Add(TOps.Broadcast(job.FirstE0), w0);
        var e = TOps.Broadcast(mid[4]);
        var f = TOps.Broadcast(mid[5]);
        var g = TOps.Broadcast(mid[6]);
        var first1 = Rounds1To63<TOps, TV>(new State<TV>(a, b, c, d, e, f, g, h), ref kw);
        var s0 = TOps.Add(first1.A, TOps.Broadcast(mid[0]));
        var s1 = TOps.Add(first1.B, TOps.Broadcast(mid[1]));
        var s2 = TOps.Add(first1.C, TOps.Broadcast(mid[2]));
        var s3 = TOps.Add(first1.D, TOps.Broadcast(mid[3]));
        var s4 = TOps.Add(first1.E, TOps.Broadcast(mid[4]));
        var s5 = TOps.Add(first1.F, TOps.Broadcast(mid[5]));
        var s6 = TOps.Add(first1.G, TOps.Broadcast(mid[6]));
        var s7 = TOps.Add(first1.H, TOps.Broadcast(mid[7]));

        // ---- Second SHA-256 over the 32-byte digest: W0..W7 vary, W8..W15 are padding. ----
        var v16 = TOps.Add(TOps.SmallSigma0(s1), s0);
        var v17 = TOps.Add(TOps.Add(TOps.Broadcast(SecondHashConstants.C17), TOps.SmallSigma0(s2)), s1);
        var v18 = TOps.Add(TOps.Add(TOps.SmallSigma1(v16), TOps.SmallSigma0(s3)), s2);
        var v19 = TOps.Add(TOps.Add(TOps.SmallSigma1(v17), TOps.SmallSigma0(s4)), s3);
        var v20 = TOps.Add(TOps.Add(TOps.SmallSigma1(v18), TOps.SmallSigma0(s5)), s4);
        var v21 = TOps.Add(TOps.Add(TOps.SmallSigma1(v19), TOps.SmallSigma0(s6)), s5);
        var v22 = TOps.Add(TOps.Add(TOps.SmallSigma1(v20), TOps.Broadcast(MiningJob.DigestBits)), TOps.Add(TOps.SmallSigma0(s7), s6));
        var v23 = TOps.Add(TOps.Add(TOps.SmallSigma1(v21), v16), TOps.Add(TOps.Broadcast(SecondHashConstants.C23), s7));
        var v24 = TOps.Add(TOps.Add(TOps.SmallSigma1(v22), v17), TOps.Broadcast(0x80000000));
        var v25 = TOps.Add(TOps.SmallSigma1(v23), v18);
        var v26 = TOps.Add(TOps.SmallSigma1(v24), v19);
        var v27 = TOps.Add(TOps.SmallSigma1(v25), v20);
        var v28 = TOps.Add(TOps.SmallSigma1(v26), v21);
        var v29 = TOps.Add(TOps.SmallSigma1(v27), v22);
        var v30 = TOps.Add(TOps.Add(TOps.SmallSigma1(v28), v23), TOps.Broadcast(SecondHashConstants.C30));
        var v31 = TOps.Add(TOps.Add(TOps.SmallSigma1(v29), v24), TOps.Add(TOps.SmallSigma0(v16), TOps.Broadcast(MiningJob.DigestBits)));
        v[16] = v16;
        v[17] = v17;
        v[18] = v18;
        v[19] = v19;
        v[20] = v20;
        v[21] = v21;
        v[22] = v22;
        v[23] = v23;
        v[24] = v24;
        v[25] = v25;
        v[26] = v26;
        v[27] = v27;
        v[28] = v28;
        v[29] = v29;
        v[30] = v30;
        v[31] = v31;
        kv[1] = TOps.Add(s1, TOps.Broadcast(k[1]));
        kv[2] = TOps.Add(s2, TOps.Broadcast(k[2]));
        kv[3] = TOps.Add(s3, TOps.Broadcast(k[3]));
        kv[4] = TOps.Add(s4, TOps.Broadcast(k[4]));
        kv[5] = TOps.Add(s5, TOps.Broadcast(k[5]));
        kv[6] = TOps.Add(s6, TOps.Broadcast(k[6]));
        kv[7] = TOps.Add(s7, TOps.Broadcast(k[7]));
        for (var i = 16; i < 32; i++)
        {
            kv[i] = TOps.Add(v[i], TOps.Broadcast(k[i]));
        }

        Expand<TOps, TV>(ref v, ref kv);

        var iv = InitialState;
        var h2 = TOps.Add(TOps.Broadcast(SecondHashConstants.A0), s0);
        var d2 = TOps.Add(TOps.Broadcast(SecondHashConstants.E0), s0);
        var second = Rounds1To63<TOps, TV>(
            new State<TV>(TOps.Broadcast(iv[0]), TOps.Broadcast(iv[1]), TOps.Broadcast(iv[2]), d2, TOps.Broadcast(iv[4]), TOps.Broadcast(iv[5]), TOps.Broadcast(iv[6]), h2),
            ref kv);
        return TOps.Add(second.A, TOps.Broadcast(iv[0]));
    }

    /// <summary>W[32..63] and K + W from W[16..31].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Expand<TOps, TV>(ref Words64<TV> w, ref Words64<TV> kw)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var k = K;
        for (var i = 32; i < 64; i++)
        {
            var x = TOps.Add(
                TOps.Add(TOps.SmallSigma1(w[i - 2]), w[i - 7]),
                TOps.Add(TOps.SmallSigma0(w[i - 15]), w[i - 16]));
            w[i] = x;
            kw[i] = TOps.Add(x, TOps.Broadcast(k[i]));
        }
    }

    /// <summary>
    /// Rounds 1..63, entered with round 0 already applied in the register naming of an 8-round group
    /// (new a in <c>H</c>, new e in <c>D</c>); returns the state in standard naming. The state lives in locals of
    /// this one method so that it stays in registers (a by-ref state would round-trip through memory each round).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static State<TV> Rounds1To63<TOps, TV>(State<TV> s, ref Words64<TV> kw)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        TV a = s.A, b = s.B, c = s.C, d = s.D, e = s.E, f = s.F, g = s.G, h = s.H;
        Round<TOps, TV>(h, a, b, ref c, d, e, f, ref g, kw[1]);
        Round<TOps, TV>(g, h, a, ref b, c, d, e, ref f, kw[2]);
        Round<TOps, TV>(f, g, h, ref a, b, c, d, ref e, kw[3]);
        Round<TOps, TV>(e, f, g, ref h, a, b, c, ref d, kw[4]);
        Round<TOps, TV>(d, e, f, ref g, h, a, b, ref c, kw[5]);
        Round<TOps, TV>(c, d, e, ref f, g, h, a, ref b, kw[6]);
        Round<TOps, TV>(b, c, d, ref e, f, g, h, ref a, kw[7]);
        for (var i = 8; i < 64; i += 8)
        {
            Round<TOps, TV>(a, b, c, ref d, e, f, g, ref h, kw[i]);
            Round<TOps, TV>(h, a, b, ref c, d, e, f, ref g, kw[i + 1]);
            Round<TOps, TV>(g, h, a, ref b, c, d, e, ref f, kw[i + 2]);
            Round<TOps, TV>(f, g, h, ref a, b, c, d, ref e, kw[i + 3]);
            Round<TOps, TV>(e, f, g, ref h, a, b, c, ref d, kw[i + 4]);
            Round<TOps, TV>(d, e, f, ref g, h, a, b, ref c, kw[i + 5]);
            Round<TOps, TV>(c, d, e, ref f, g, h, a, ref b, kw[i + 6]);
            Round<TOps, TV>(b, c, d, ref e, f, g, h, ref a, kw[i + 7]);
        }

        return new State<TV>(a, b, c, d, e, f, g, h);
    }

    /// <summary>One round: d += T1; h = T1 + T2 (the caller rotates the names).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round<TOps, TV>(TV a, TV b, TV c, ref TV d, TV e, TV f, TV g, ref TV h, TV kw)
        where TOps : ILaneOps<TV>
        where TV : unmanaged
    {
        var t1 = TOps.Add(TOps.Add(h, kw), TOps.Add(TOps.BigSigma1(e), TOps.Ch(e, f, g)));
        d = TOps.Add(d, t1);
        h = TOps.Add(t1, TOps.Add(TOps.BigSigma0(a), TOps.Maj(a, b, c)));
    }
}

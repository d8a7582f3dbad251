using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Hashing;

/// <summary>
/// Searches a range of nonces for one whose header hash (double SHA-256 of the 136-byte hash input, read as a
/// big-endian 256-bit integer) is at most a target. Engine-agnostic: it knows nothing about seals or credit.
/// </summary>
/// <remarks>
/// A search covers the lane nonces <c>first .. first + count − 1</c> (the low 32 bits of the header nonce) under one
/// extra nonce (the high 32 bits), in increasing order, and returns the lowest nonce in the range that meets the
/// target. The multi-lane kernels precompute the midstate of bytes 0..127 once per search and pay two compressions
/// per nonce; see <c>docs/hashing.md</c>. Cancellation is checked before every step of 1 to 16 nonces.
/// </remarks>
public static class NonceSearch
{
    /// <summary>Lane nonces per extra nonce: 2^32.</summary>
    public const ulong NoncesPerExtraNonce = 1UL << 32;

    /// <summary>
    /// The fastest kernel this machine accelerates: SHA-NI when the CPU has the SHA extensions (x86-64 Linux), else
    /// Vector512 with AVX-512, else Vector256 with AVX2, else scalar. Compare with <c>healthledger hashrate --kernel</c>.
    /// </summary>
    public static HashKernel BestKernel { get; } =
        ShaNiKernel.IsSupported ? HashKernel.ShaNi
        : Vector512.IsHardwareAccelerated ? HashKernel.Vector512
        : Vector256.IsHardwareAccelerated ? HashKernel.Vector256
        : HashKernel.Scalar;

    /// <summary>Whether the hardware accelerates <paramref name="kernel"/> (every kernel runs everywhere; unaccelerated vectors are emulated slowly).</summary>
    public static bool IsAccelerated(HashKernel kernel) => kernel switch
    {
        HashKernel.Vector512 => Vector512Lanes.IsAccelerated,
        HashKernel.ShaNi => ShaNiKernel.IsSupported,
        HashKernel.Vector256 => Vector256Lanes.IsAccelerated,
        _ => true,
    };

    /// <summary>Resolves <see cref="HashKernel.Auto"/> to <see cref="BestKernel"/>.</summary>
    public static HashKernel Resolve(HashKernel kernel) => kernel == HashKernel.Auto ? BestKernel : kernel;

    /// <summary>Nonces one step of <paramref name="kernel"/> hashes at once.</summary>
    public static int LanesOf(HashKernel kernel) => Resolve(kernel) switch
    {
        HashKernel.Vector512 => 16,
        HashKernel.ShaNi => ShaNiKernel.Lanes,
        HashKernel.Vector256 => 8,
        _ => 1,
    };

    /// <summary>A human-readable description of a kernel, including the instructions it uses on this machine.</summary>
    public static string Describe(HashKernel kernel) => Resolve(kernel) switch
    {
        HashKernel.Vector512 => Vector512.IsHardwareAccelerated
            ? "AVX-512 (16 lanes, vprord + vpternlogd)"
            : "Vector512 (16 lanes, NOT hardware accelerated: software emulation)",
        HashKernel.Vector256 => !Vector256.IsHardwareAccelerated
            ? "Vector256 (8 lanes, NOT hardware accelerated: software emulation)"
            : System.Runtime.Intrinsics.X86.Avx512F.VL.IsSupported
                ? "AVX2 (8 lanes, with AVX-512VL vprord + vpternlogd)"
                : "AVX2 (8 lanes, shift/or rotates)",
        HashKernel.ShaNi => ShaNiKernel.IsSupported
            ? $"SHA-NI ({ShaNiKernel.Lanes} interleaved nonces, sha256rnds2/msg1/msg2 via embedded x86-64 code)"
            : "SHA-NI (NOT supported on this machine)",
        HashKernel.Scalar => "scalar (1 lane)",
        HashKernel.Naive => "naive (SHA256.HashData twice per nonce, no midstate)",
        _ => kernel.ToString(),
    };

    /// <summary>Searches <paramref name="count"/> lane nonces from <paramref name="firstNonce"/> under <paramref name="extraNonce"/>.</summary>
    /// <param name="hashInput">The 136-byte header hash input (its nonce bytes are ignored).</param>
    /// <param name="target">The target as 32 big-endian bytes (see <see cref="CompactTarget.ToHash"/>).</param>
    /// <param name="extraNonce">The high 32 bits of the header nonce.</param>
    /// <param name="firstNonce">The first lane nonce (low 32 bits).</param>
    /// <param name="count">How many lane nonces to try; <c>firstNonce + count</c> must not exceed 2^32.</param>
    /// <param name="kernel">The code path; <see cref="HashKernel.Auto"/> picks <see cref="BestKernel"/>.</param>
    /// <param name="cancellationToken">Stops the search within one step.</param>
    /// <returns>The lowest meeting nonce in the range, or none, and the number of hashes done.</returns>
    /// <exception cref="ArgumentException">The input is not 136 bytes or the range passes 2^32.</exception>
    public static NonceSearchResult Search(
        ReadOnlySpan<byte> hashInput,
        Hash256 target,
        uint extraNonce,
        uint firstNonce,
        ulong count,
        HashKernel kernel = HashKernel.Auto,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, NoncesPerExtraNonce - firstNonce);
        var job = new MiningJob(hashInput, extraNonce);
        return Search(job, target, firstNonce, count, kernel, cancellationToken);
    }

    /// <summary>Searches a nonce range for a header template and a target given as an integer.</summary>
    /// <param name="template">The header whose nonce is searched (its nonce and seal are ignored).</param>
    /// <param name="target">The target, 0 ≤ target &lt; 2^256.</param>
    /// <param name="extraNonce">The high 32 bits of the header nonce.</param>
    /// <param name="firstNonce">The first lane nonce (low 32 bits).</param>
    /// <param name="count">How many lane nonces to try; <c>firstNonce + count</c> must not exceed 2^32.</param>
    /// <param name="kernel">The code path; <see cref="HashKernel.Auto"/> picks <see cref="BestKernel"/>.</param>
    /// <param name="cancellationToken">Stops the search within one step.</param>
    /// <returns>The lowest meeting nonce in the range, or none, and the number of hashes done.</returns>
    public static NonceSearchResult Search(
        BlockHeader template,
        BigInteger target,
        uint extraNonce,
        uint firstNonce,
        ulong count,
        HashKernel kernel = HashKernel.Auto,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        return Search(template.GetHashInput(), ToTargetHash(target), extraNonce, firstNonce, count, kernel, cancellationToken);
    }

    /// <summary>The target as 32 big-endian bytes; negative targets become zero, targets ≥ 2^256 become 2^256 − 1.</summary>
    public static Hash256 ToTargetHash(BigInteger target) =>
        target.Sign <= 0 ? Hash256.Zero : CompactTarget.ToHash(BigInteger.Min(target, CompactTarget.MaxTarget));

    /// <summary>Double SHA-256 of the header input with the given nonce (reference implementation, for checks).</summary>
    public static Hash256 HashWithNonce(ReadOnlySpan<byte> hashInput, ulong nonce)
    {
        Span<byte> input = stackalloc byte[BlockHeader.HashInputSize];
        hashInput[..BlockHeader.HashInputSize].CopyTo(input);
        BinaryPrimitives.WriteUInt64LittleEndian(input[BlockHeader.NonceOffset..], nonce);
        return Hash256.DoubleSha256(input);
    }

    internal static NonceSearchResult Search(MiningJob job, in Hash256 target, uint firstNonce, ulong count, HashKernel kernel, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, NoncesPerExtraNonce - firstNonce);
        return Resolve(kernel) switch
        {
            HashKernel.Naive => SearchNaive(job, target, firstNonce, count, cancellationToken),
            HashKernel.Scalar => Sha256dKernel.Search<ScalarLanes, uint>(job, target, firstNonce, count, cancellationToken),
            HashKernel.Vector256 => Sha256dKernel.Search<Vector256Lanes, Vector256<uint>>(job, target, firstNonce, count, cancellationToken),
            HashKernel.Vector512 => Sha256dKernel.Search<Vector512Lanes, Vector512<uint>>(job, target, firstNonce, count, cancellationToken),
            HashKernel.ShaNi => ShaNiKernel.Search(job, target, firstNonce, count, cancellationToken),
            _ => throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Unknown kernel."),
        };
    }

    /// <summary>The baseline: the whole header hashed twice per nonce through <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>.</summary>
    private static NonceSearchResult SearchNaive(MiningJob job, in Hash256 target, uint first, ulong count, CancellationToken cancellationToken)
    {
        Span<byte> input = stackalloc byte[BlockHeader.HashInputSize];
        Span<byte> digest = stackalloc byte[32];
        job.Input.CopyTo(input);
        var nonceBytes = input[BlockHeader.NonceOffset..];
        for (ulong done = 0; done < count; done++)
        {
            if ((done & 15) == 0 && cancellationToken.IsCancellationRequested)
            {
                return new NonceSearchResult(false, 0, done, true);
            }

            var nonce = first + (uint)done;
            BinaryPrimitives.WriteUInt32LittleEndian(nonceBytes, nonce);
            SHA256.HashData(input, digest);
            SHA256.HashData(digest, digest);
            if (new Hash256(digest) <= target)
            {
                return new NonceSearchResult(true, job.FullNonce(nonce), done + 1, false);
            }
        }

        return new NonceSearchResult(false, 0, count, false);
    }
}

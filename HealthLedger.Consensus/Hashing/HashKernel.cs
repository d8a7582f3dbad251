namespace HealthLedger.Consensus.Hashing;

/// <summary>The code path used to evaluate double SHA-256 over candidate nonces.</summary>
public enum HashKernel
{
    /// <summary>The fastest kernel this machine accelerates (see <see cref="NonceSearch.BestKernel"/>).</summary>
    Auto = 0,

    /// <summary>
    /// The naive baseline: the full 136-byte header hashed twice with <see cref="System.Security.Cryptography.SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>
    /// for every nonce (three compressions plus call overhead per nonce).
    /// </summary>
    Naive = 1,

    /// <summary>One nonce at a time in portable scalar code, with midstate and precomputation (two compressions per nonce).</summary>
    Scalar = 2,

    /// <summary>Eight nonces per step in <see cref="System.Runtime.Intrinsics.Vector256{T}"/> lanes (AVX2; uses vprord/vpternlogd when AVX-512VL is present).</summary>
    Vector256 = 3,

    /// <summary>Sixteen nonces per step in <see cref="System.Runtime.Intrinsics.Vector512{T}"/> lanes (AVX-512F: vprord, vpternlogd).</summary>
    Vector512 = 4,

    /// <summary>
    /// The x86 SHA extensions (sha256rnds2/msg1/msg2), two nonces interleaved, through a small embedded machine-code
    /// loop (x86-64 Linux only; .NET has no SHA intrinsics). Two compressions per nonce like the vector kernels.
    /// </summary>
    ShaNi = 5,
}

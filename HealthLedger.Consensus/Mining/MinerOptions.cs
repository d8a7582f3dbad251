using HealthLedger.Consensus.Hashing;

namespace HealthLedger.Consensus.Mining;

/// <summary>How a <see cref="Miner"/> searches.</summary>
public sealed record MinerOptions
{
    /// <summary>Worker threads; default: every logical core.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>The hashing kernel; default: the fastest this machine accelerates.</summary>
    public HashKernel Kernel { get; init; } = HashKernel.Auto;

    /// <summary>
    /// The extra nonce of thread 0 (thread t starts at <c>ExtraNonceStart + t</c> and steps by the thread count).
    /// Give several miners sharing a key different starts to keep their searches disjoint.
    /// </summary>
    public uint ExtraNonceStart { get; init; }

    /// <summary>
    /// When a thread exhausts a nonce range, first try moving the header timestamp to the clock's current time
    /// (if the clock has advanced past it) before moving to the next extra nonce. Default: true.
    /// </summary>
    public bool RollTimestamp { get; init; } = true;

    /// <summary>Lane nonces per range (1 to 2^32, default 2^32); smaller ranges make threads roll sooner (for tests).</summary>
    public ulong NoncesPerRange { get; init; } = NonceSearch.NoncesPerExtraNonce;

    /// <summary>Lane nonces hashed between two looks at the stop signal and the hash counters (default 4096, ~0.2 ms).</summary>
    public uint BatchSize { get; init; } = 4096;
}

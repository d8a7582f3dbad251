using BenchmarkDotNet.Attributes;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Hashing;

/// <summary>
/// Hash rate of each nonce-search kernel: one operation = one nonce (double SHA-256 of the 136-byte header),
/// so the reported mean is nanoseconds per nonce over all threads (MH/s = 1000 / mean ns). The target is zero,
/// so every nonce is hashed. Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*NonceSearch*' --job short</c>.
/// Vector512 runs in software emulation where AVX-512 is absent (it is then slower than scalar); ShaNi needs the SHA extensions.
/// </summary>
[MemoryDiagnoser]
public class NonceSearchBenchmarks
{
    private const int NoncesPerInvoke = 1 << 16;

    private readonly byte[] _input = new byte[136];

    /// <summary>Threads sharing the nonces of one invocation (each under its own extra nonce).</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => new Random(42).NextBytes(_input);

    /// <summary>Baseline: SHA256.HashData twice per nonce, no midstate.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = NoncesPerInvoke)]
    public ulong Naive() => Run(HashKernel.Naive);

    [Benchmark(OperationsPerInvoke = NoncesPerInvoke)]
    public ulong Scalar() => Run(HashKernel.Scalar);

    [Benchmark(OperationsPerInvoke = NoncesPerInvoke)]
    public ulong Vector256() => Run(HashKernel.Vector256);

    [Benchmark(OperationsPerInvoke = NoncesPerInvoke)]
    public ulong Vector512() => Run(HashKernel.Vector512);

    [Benchmark(OperationsPerInvoke = NoncesPerInvoke)]
    public ulong ShaNi() => Run(HashKernel.ShaNi);

    private ulong Run(HashKernel kernel)
    {
        if (Threads == 1)
        {
            return NonceSearch.Search(_input, Hash256.Zero, 0, 0, NoncesPerInvoke, kernel).HashesDone;
        }

        var perThread = (ulong)(NoncesPerInvoke / Threads);
        long total = 0;
        Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, t =>
        {
            var done = NonceSearch.Search(_input, Hash256.Zero, (uint)t, 0, perThread, kernel).HashesDone;
            Interlocked.Add(ref total, (long)done);
        });
        return (ulong)total;
    }
}

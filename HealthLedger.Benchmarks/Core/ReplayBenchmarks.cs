using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Storage;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// A 10,000-block chain (4 transactions a block): validated block by block as if from the network (signatures,
/// seals, state) versus reopened from the crash-safe file store (checksummed records, no signature re-checks).
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class ReplayBenchmarks
{
    private List<Block> _blocks = [];
    private string _dir = string.Empty;

    [Params(10_000)]
    public int Blocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _blocks = BenchChain.BuildChain(Blocks, 4);
        _dir = Path.Combine(Path.GetTempPath(), "hl-bench-replay-" + Guid.NewGuid().ToString("N"));
        using var store = FileBlockStore.Open(_dir, new FileBlockStoreOptions { Fsync = FsyncPolicy.Batched });
        var chain = BenchChain.Open(store);
        foreach (var b in _blocks)
        {
            chain.AddBlock(b);
        }

        store.Flush();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true)]
    public ulong ValidateFromNetwork()
    {
        var chain = BenchChain.Open(new InMemoryBlockStore());
        foreach (var b in _blocks)
        {
            chain.AddBlock(b);
        }

        return chain.Height;
    }

    [Benchmark]
    public ulong ReplayFromDisk()
    {
        using var store = FileBlockStore.Open(_dir);
        return BenchChain.Open(store).Height;
    }
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// Merkle roots and inclusion proofs over a block's transaction ids: computing the root (the baseline: what block
/// validation pays), creating a proof for one transaction, and verifying it (what a light client pays).
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*MerkleBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class MerkleBenchmarks
{
    private Hash256[] _ids = [];
    private MerkleProof _proof = null!;
    private Hash256 _root;

    /// <summary>Transactions in the block.</summary>
    [Params(16, 1_000, 5_000)]
    public int Leaves { get; set; }

    /// <summary>Random ids, a root and a proof for the middle leaf.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _ids = [.. Enumerable.Range(0, Leaves).Select(_ =>
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            return Hash256.Sha256(bytes);
        })];
        _root = MerkleTree.ComputeRoot(_ids);
        _proof = MerkleTree.CreateProof(_ids, Leaves / 2);
    }

    /// <summary>The root over every id.</summary>
    [Benchmark(Baseline = true)]
    public Hash256 ComputeRoot() => MerkleTree.ComputeRoot(_ids);

    /// <summary>An inclusion proof for one leaf.</summary>
    [Benchmark]
    public MerkleProof CreateProof() => MerkleTree.CreateProof(_ids, Leaves / 2);

    /// <summary>Checks a proof against the root.</summary>
    [Benchmark]
    public bool VerifyProof() => MerkleTree.Verify(_proof, _root);
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Consensus.Sealing;

namespace HealthLedger.Benchmarks.Consensus;

/// <summary>
/// BenchmarkDotNet mining time, PoW (the baseline) against ePoW with a neutral, high-credit or penalised miner, at
/// difficulty levels 1..6. Each invocation mines a fresh template from nonce 0, so the mean is over independent blocks.
/// Levels 5 and 6 take 0.04–11 s per block (the penalised miner at level 6 needs 2^28 hashes): run them with
/// <c>--job short</c> or filter them out; the report's <c>mining-time</c> experiment gives medians and quartiles over
/// stated block counts. Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*MiningTimeBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class MiningTimeBenchmarks
{
    private MiningScenario _pow = null!;
    private MiningScenario _epow = null!;
    private ISealer _powSealer = null!;
    private ISealer _epowSealer = null!;
    private int _index;

    /// <summary>Difficulty level d.</summary>
    [Params(1, 2, 3, 4, 5, 6)]
    public int Level { get; set; }

    /// <summary>The ePoW miner's credit history.</summary>
    [Params(MinerProfile.Neutral, MinerProfile.HighCredit, MinerProfile.Penalised)]
    public MinerProfile Profile { get; set; }

    /// <summary>Builds both chain views.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _pow = new MiningScenario(Level, MinerProfile.ProofOfWork);
        _epow = new MiningScenario(Level, Profile);
        _powSealer = _pow.Engine.CreateSealer();
        _epowSealer = _epow.Engine.CreateSealer();
    }

    /// <summary>Mines one PoW block (fresh template each time).</summary>
    [Benchmark(Baseline = true)]
    public ulong ProofOfWork() => _pow.Mine(_powSealer, _index++).Attempts;

    /// <summary>Mines one ePoW block for the profile's miner (effective target, search, seal signature).</summary>
    [Benchmark]
    public ulong EnhancedProofOfWork() => _epow.Mine(_epowSealer, _index++).Attempts;
}

/// <summary>
/// Cost of validating a seal: PoW (one double SHA-256) vs ePoW (credit over a 64-block window of 8 validators,
/// Ed25519 verification), and the credit computation alone. Run: <c>--filter '*SealValidationBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class SealValidationBenchmarks
{
    private MiningScenario _scenario = null!;
    private HealthLedger.Core.Blocks.BlockHeader _header = null!;

    /// <summary>Miner profile.</summary>
    [Params(MinerProfile.ProofOfWork, MinerProfile.HighCredit)]
    public MinerProfile Profile { get; set; }

    /// <summary>Mines one level-2 block to validate.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scenario = new MiningScenario(2, Profile);
        _header = _scenario.Mine(_scenario.Engine.CreateSealer(), 0).Header!;
    }

    /// <summary>Validates the seal (hash cached on the header, as in the chain).</summary>
    [Benchmark(Baseline = true)]
    public bool ValidateSeal() => _scenario.Engine.ValidateSeal(_header, _scenario.View).IsValid;

    /// <summary>The ePoW credit computation alone (window scan and endorsement sets), part of every ePoW validation.</summary>
    [Benchmark]
    public int ComputeCredit() => HealthLedger.Consensus.Engines.EnhancedProofOfWorkEngine.GetCredit(_scenario.MinerKey.PublicKey, _scenario.View).Levels;
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Consensus.Sealing;

namespace HealthLedger.Benchmarks.Consensus;

/// <summary>
/// BenchmarkDotNet mining time for the cheap levels (1..4), where a block takes at most tens of milliseconds.
/// Each invocation mines a fresh template, so the mean is over many independent blocks. Levels 5 and 6 are in
/// <see cref="MiningTimeHarness"/>. Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*MiningTimeBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class MiningTimeBenchmarks
{
    private MiningScenario _scenario = null!;
    private ISealer _sealer = null!;
    private int _index;

    /// <summary>Difficulty level d.</summary>
    [Params(1, 2, 3, 4)]
    public int Level { get; set; }

    /// <summary>Miner profile.</summary>
    [Params(MinerProfile.ProofOfWork, MinerProfile.Neutral, MinerProfile.HighCredit, MinerProfile.Penalised)]
    public MinerProfile Profile { get; set; }

    /// <summary>Builds the chain view.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scenario = new MiningScenario(Level, Profile);
        _sealer = _scenario.Engine.CreateSealer();
    }

    /// <summary>Mines one block (fresh template each time).</summary>
    [Benchmark]
    public ulong MineOneBlock() => _scenario.Mine(_sealer, _index++).Attempts;
}

/// <summary>
/// Cost of validating a seal: PoW (one double SHA-256) vs ePoW (credit over a 64-block window of 8 validators,
/// Ed25519 verification), and the credit computation alone. Run: <c>--filter '*SealValidationBenchmarks*' --job short</c>.
/// </summary>
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
    [Benchmark]
    public bool ValidateSeal() => _scenario.Engine.ValidateSeal(_header, _scenario.View).IsValid;

    /// <summary>The ePoW credit computation alone (window scan and endorsement sets), part of every ePoW validation.</summary>
    [Benchmark]
    public int ComputeCredit() => HealthLedger.Consensus.Engines.EnhancedProofOfWorkEngine.GetCredit(_scenario.MinerKey.PublicKey, _scenario.View).Levels;
}

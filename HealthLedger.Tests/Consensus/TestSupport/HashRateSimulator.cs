using System.Numerics;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.TestSupport;

/// <summary>
/// A deterministic mining simulator: each block's solve time is exponential with mean work/hash-rate, drawn from a
/// seeded SplitMix64. Targets come from the real engine's <c>GetNextTargetBits</c>; nothing is hashed.
/// Floating point is used only here, to draw the exponential samples (test code, not consensus).
/// </summary>
internal sealed class HashRateSimulator
{
    private readonly List<BlockHeader> _headers = [];
    private readonly GenesisConfig _genesis;
    private readonly FakeLedgerState _state = new(0, []);
    private readonly IMiningEngine _engine;
    private readonly PublicKey _miner = TestKeys.Get("simulated-miner").PublicKey;
    private ulong _rng;

    public HashRateSimulator(ConsensusParameters parameters, ulong seed, long launchDelayMs)
    {
        _genesis = new GenesisConfig
        {
            ChainId = 3,
            TimestampMs = 1_700_000_000_000,
            Authorities = [TestKeys.Get("authority").PublicKey],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = parameters,
        };
        _engine = ConsensusEngines.Create(_genesis);
        _rng = seed;
        _headers.Add(Header(0, _genesis.TimestampMs, parameters.InitialTargetBits));
        LaunchDelayMs = launchDelayMs;
    }

    /// <summary>Extra delay before block 1 (the network starts after the genesis timestamp).</summary>
    public long LaunchDelayMs { get; }

    /// <summary>Expected hashes per block at the initial target.</summary>
    public double InitialWork => (double)CompactTarget.Work(CompactTarget.Decode(_genesis.Consensus.InitialTargetBits));

    /// <summary>Per simulated block: its height, solve time and the expected interval at the hash rate it was mined with.</summary>
    public List<SimulatedBlock> Blocks { get; } = [];

    /// <summary>Mines <paramref name="count"/> blocks at <paramref name="hashesPerMs"/>.</summary>
    public void Mine(int count, double hashesPerMs)
    {
        for (var i = 0; i < count; i++)
        {
            var parent = _headers[^1];
            var view = new FakeChainView(_headers, _state, _genesis);
            var bits = _engine.GetNextTargetBits(view);
            var work = (double)CompactTarget.Work(CompactTarget.Decode(bits));
            var expectedMs = work / hashesPerMs;
            var solveMs = Math.Max(1L, (long)Math.Round(-Math.Log(1.0 - NextUnit()) * expectedMs));
            if (parent.Height == 0)
            {
                solveMs += LaunchDelayMs;
            }

            var header = Header(parent.Height + 1, parent.TimestampMs + solveMs, bits);
            _headers.Add(header);
            Blocks.Add(new SimulatedBlock(header.Height, solveMs, expectedMs, bits));
        }
    }

    private BlockHeader Header(ulong height, long timestampMs, uint bits) =>
        new(BlockHeader.CurrentVersion, _genesis.ChainId, height, timestampMs, _headers.Count == 0 ? Hash256.Zero : _headers[^1].Hash, Hash256.Zero, bits, 1, ConsensusEngineId.ProofOfWork, _miner, 0, Signature.Empty);

    private double NextUnit()
    {
        // SplitMix64: stable across runtimes, unlike System.Random's unseeded algorithms.
        var z = _rng += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>One simulated block.</summary>
internal readonly record struct SimulatedBlock(ulong Height, long SolveMs, double ExpectedMs, uint Bits);

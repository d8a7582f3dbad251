using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Retargeting;

/// <summary>
/// ASERT under a hash rate that jumps 10× up and back down, simulated with seeded exponential block times.
/// Bounds (docs/consensus.md, "Retargeting"): after a 10× jump the expected block interval is back within
/// [T/1.5, 1.5·T] within 80 blocks going up and 20 blocks going down, the 10-block moving average of the
/// expected interval then stays within [T/2, 2·T], and the mean solve time after recovery is within 15 % of T.
/// </summary>
[TestFixture]
public sealed class HashRateJumpTests
{
    private const int Steady = 300;
    private const int Phase = 400;
    private const long T = 5_000;

    public static IEnumerable<ulong> Seeds => [1UL, 42UL, 20261124UL];

    private static (HashRateSimulator Sim, double BaseRate) Run(ulong seed)
    {
        var parameters = new ConsensusParameters(); // defaults: T = 5 s, half-life 60 s
        var sim = new HashRateSimulator(parameters, seed, launchDelayMs: 600_000);
        var baseRate = sim.InitialWork / T;
        sim.Mine(Steady, baseRate);
        sim.Mine(Phase, 10 * baseRate);
        sim.Mine(Phase, baseRate);
        return (sim, baseRate);
    }

    private static int Recovery(List<SimulatedBlock> phase) =>
        phase.FindIndex(b => b.ExpectedMs >= T / 1.5 && b.ExpectedMs <= T * 1.5);

    private static (double Min, double Max) MovingAverageRange(List<SimulatedBlock> blocks, int window)
    {
        double min = double.MaxValue, max = double.MinValue;
        for (var i = window; i <= blocks.Count; i++)
        {
            var average = blocks.Skip(i - window).Take(window).Average(b => b.ExpectedMs);
            min = Math.Min(min, average);
            max = Math.Max(max, average);
        }

        return (min, max);
    }

    [TestCaseSource(nameof(Seeds))]
    public void Interval_recovers_after_hash_rate_jumps_ten_times_up(ulong seed)
    {
        var (sim, _) = Run(seed);
        var phase = sim.Blocks.Skip(Steady).Take(Phase).ToList();

        var recovery = Recovery(phase);
        var after = phase.Skip(recovery).ToList();
        var (min, max) = MovingAverageRange(after, 10);
        var meanSolve = after.Average(b => b.SolveMs);
        TestContext.Out.WriteLine($"seed {seed}: 10x up: first expected interval {phase[0].ExpectedMs:F0} ms, recovered after {recovery} blocks; 10-block MA range [{min:F0}, {max:F0}] ms; mean solve after recovery {meanSolve:F0} ms");

        Assert.Multiple(() =>
        {
            Assert.That(phase[0].ExpectedMs, Is.LessThan(T / 5.0), "the jump must first make blocks fast");
            Assert.That(recovery, Is.InRange(0, 80));
            Assert.That(min, Is.GreaterThanOrEqualTo(T / 2.0));
            Assert.That(max, Is.LessThanOrEqualTo(T * 2.0));
            Assert.That(meanSolve, Is.EqualTo(T).Within(15).Percent);
        });
    }

    [TestCaseSource(nameof(Seeds))]
    public void Interval_recovers_after_hash_rate_drops_ten_times(ulong seed)
    {
        var (sim, _) = Run(seed);
        var phase = sim.Blocks.Skip(Steady + Phase).Take(Phase).ToList();

        var recovery = Recovery(phase);
        var after = phase.Skip(recovery).ToList();
        var (min, max) = MovingAverageRange(after, 10);
        var meanSolve = after.Average(b => b.SolveMs);
        TestContext.Out.WriteLine($"seed {seed}: 10x down: first expected interval {phase[0].ExpectedMs:F0} ms, recovered after {recovery} blocks; 10-block MA range [{min:F0}, {max:F0}] ms; mean solve after recovery {meanSolve:F0} ms");

        Assert.Multiple(() =>
        {
            Assert.That(phase[0].ExpectedMs, Is.GreaterThan(T * 5.0), "the drop must first make blocks slow");
            Assert.That(recovery, Is.InRange(0, 20));
            Assert.That(min, Is.GreaterThanOrEqualTo(T / 2.0));
            Assert.That(max, Is.LessThanOrEqualTo(T * 2.0));
            Assert.That(meanSolve, Is.EqualTo(T).Within(15).Percent);
        });
    }

    [TestCaseSource(nameof(Seeds))]
    public void Steady_hash_rate_keeps_the_interval_on_target_despite_a_late_launch(ulong seed)
    {
        var (sim, _) = Run(seed);
        var steady = sim.Blocks.Skip(1).Take(Steady - 1).ToList();
        var (min, max) = MovingAverageRange(steady, 10);

        Assert.Multiple(() =>
        {
            Assert.That(steady.Average(b => b.SolveMs), Is.EqualTo(T).Within(15).Percent);
            Assert.That(min, Is.GreaterThanOrEqualTo(T / 2.0));
            Assert.That(max, Is.LessThanOrEqualTo(T * 2.0));
        });
    }
}

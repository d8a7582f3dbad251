using System.Globalization;
using HealthLedger.Core.Chain;

namespace HealthLedger.Tests.Simulation;

/// <summary>
/// The seeded simulation of issue 10 over <see cref="SimulationRunner.SeedsFromEnvironment"/> seeds (1,000 by default;
/// <c>HEALTHLEDGER_SIM_SEEDS</c> for more, <c>HEALTHLEDGER_SIM_SEED</c> to replay one, <c>HEALTHLEDGER_SIM_TRACE=1</c>
/// with one seed to print every event). The seeds run once and both invariant groups are judged on that run.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class SimulationTests
{
    /// <summary>Invariants that must hold for b &lt; N/3 whatever the network does.</summary>
    private static readonly string[] SafetyInvariants = ["safety", "no-revert", "orphan-bound", "own-block-accepted"];

    /// <summary>Invariants that need the network to heal: finality resumes, honest nodes agree.</summary>
    private static readonly string[] LivenessInvariants = ["liveness", "convergence"];

    private static readonly Lazy<SimulationReport> Report = new(() =>
    {
        var seeds = SimulationRunner.SeedsFromEnvironment();
        var report = SimulationRunner.Run(seeds, TestContext.Progress);
        TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"simulation: {report.Seeds} seeds ({seeds[0]}..{seeds[^1]}), {report.Failures.Count} with a violation, {report.BlocksMined} mining slots, {report.MessagesSent} messages, {report.Elapsed.TotalSeconds:0.0} s"));
        return report;
    });

    [Test]
    public void No_two_honest_nodes_ever_finalise_conflicting_blocks_and_no_final_block_is_reverted()
    {
        var failures = Failing(SafetyInvariants);
        Assert.That(failures, Is.Empty, () => string.Join(Environment.NewLine, failures.Select(SimulationRunner.Describe)));
    }

    [Test]
    public void Finality_resumes_and_honest_nodes_converge_once_the_network_heals()
    {
        var failures = Failing(LivenessInvariants);
        Assert.That(failures, Is.Empty, () => string.Join(Environment.NewLine, failures.Select(SimulationRunner.Describe)));
    }

    // Seeds that stalled finality before votes were unsequenced and side blocks' votes re-included on the best chain.
    [TestCase(156UL, TestName = "Seed 156 (N=8, no Byzantine, two partitions): honest votes split between sources 0 and 1 until the side votes reach everyone")]
    [TestCase(157UL, TestName = "Seed 157 (N=12, restarts): the restarted node 1 lacks a side block but sees its votes on the best chain")]
    [TestCase(18UL)]
    [TestCase(373UL)]
    [TestCase(571UL)]
    [TestCase(630UL)]
    [TestCase(733UL)]
    [TestCase(892UL)]
    public void A_pinned_seed_resumes_finality_and_converges(ulong seed)
    {
        var result = new Simulator(Scenario.Generate(seed)).Run();
        Assert.That(result.Violations, Is.Empty, () => SimulationRunner.Describe(result));
    }

    [Test]
    public void The_same_seed_replays_the_same_run_and_another_seed_does_not()
    {
        var seed = SimulationRunner.SeedsFromEnvironment()[0];
        var first = new Simulator(Scenario.Generate(seed)).Run();
        var again = new Simulator(Scenario.Generate(seed)).Run();
        var other = new Simulator(Scenario.Generate(seed + 1)).Run();

        Assert.Multiple(() =>
        {
            Assert.That(again.TraceHash, Is.EqualTo(first.TraceHash));
            Assert.That(again.Nodes, Is.EqualTo(first.Nodes));
            Assert.That(again.MessagesSent, Is.EqualTo(first.MessagesSent));
            Assert.That(other.TraceHash, Is.Not.EqualTo(first.TraceHash));
        });
    }

    [Test]
    public void Generated_scenarios_stay_within_the_issue_bounds()
    {
        foreach (var seed in Enumerable.Range(1, 500).Select(i => (ulong)i))
        {
            var s = Scenario.Generate(seed);
            Assert.That(s.Validators, Is.InRange(4, 13), s.ToString());
            Assert.That(3 * s.Byzantine.Count, Is.LessThan(s.Validators), s.ToString());
            Assert.That(s.HonestNodes.Count(), Is.GreaterThanOrEqualTo(FinalityQuorum.Required(s.Validators, 1)), s.ToString());
            Assert.That(s.Crashes.All(c => c.End < s.ChaosSteps && s.IsHonest(c.Node)), Is.True, s.ToString());
        }
    }

    private static List<SimulationResult> Failing(string[] invariants) =>
        [.. Report.Value.Failures.Where(r => r.Violations.Any(v => invariants.Contains(v.Invariant)))];
}

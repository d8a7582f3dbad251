using System.Globalization;
using HealthLedger.Core.Chain;

namespace HealthLedger.Tests.Simulation;

/// <summary>The seeded simulation of issue 10: safety, no revert, convergence and liveness under Byzantine strategies and faults.</summary>
[TestFixture]
public sealed class SimulationTests
{
    [Test]
    [Category("Slow")]
    public void Finality_stays_safe_live_and_convergent_across_seeded_faults_and_byzantine_strategies()
    {
        var seeds = SimulationRunner.SeedsFromEnvironment();
        var report = SimulationRunner.Run(seeds, TestContext.Progress);
        TestContext.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"simulation: {report.Seeds} seeds ({seeds[0]}..{seeds[^1]}), {report.Failures.Count} failed, {report.BlocksMined} slots, {report.MessagesSent} messages, {report.Elapsed.TotalSeconds:0.0} s"));

        Assert.That(report.Failures, Is.Empty, () => string.Join(Environment.NewLine, report.Failures.Select(SimulationRunner.Describe)));
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
}

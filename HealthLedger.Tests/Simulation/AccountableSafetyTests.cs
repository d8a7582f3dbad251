using HealthLedger.Core.Chain;

namespace HealthLedger.Tests.Simulation;

/// <summary>
/// Issue 10's accountable safety: with b ≥ N/3 equivocators bridging a partition, each honest side finalises its own
/// branch (the safety invariant must catch it), and after the heal evidence against at least ⌈N/3⌉ distinct validators,
/// all of them equivocators, is on the chain of every honest node, although each side refuses the other's blocks.
/// </summary>
[TestFixture]
public sealed class AccountableSafetyTests
{
    private const int PartitionSteps = 40;

    [TestCase(4, 2)]
    [TestCase(7, 3)]
    public void Equivocators_that_force_conflicting_finality_are_proven_guilty_on_every_honest_chain(int validators, int equivocators)
    {
        var scenario = PartitionedEquivocation(validators, equivocators);
        var sim = new Simulator(scenario) { FullTrace = Environment.GetEnvironmentVariable("HEALTHLEDGER_SIM_TRACE") == "1" ? TestContext.Progress : null };
        var result = sim.Run();

        var honest = sim.Nodes.Where(n => n.IsHonest).ToList();
        var byzantine = sim.Nodes.Where(n => !n.IsHonest).Select(n => n.Address).ToHashSet();
        var needed = (validators + 2) / 3;
        Assert.Multiple(() =>
        {
            Assert.That(result.Violations.Select(v => v.Invariant), Does.Contain("safety"), "both sides must have finalised conflicting blocks");
            foreach (var node in honest)
            {
                var penalised = node.Chain.Tip.State.Nodes.Where(n => n.Activity.PenaltyHeights.Length > 0).Select(n => n.Id).ToList();
                Assert.That(penalised, Has.Count.GreaterThanOrEqualTo(needed), $"node {node.Index}: evidence on-chain against {penalised.Count} validators, need {needed}");
                Assert.That(penalised, Is.SubsetOf(byzantine), $"node {node.Index}: only equivocators may be accused");
                Assert.That(node.Chain.LastFinal.Height, Is.GreaterThan(0UL), $"node {node.Index} finalised nothing");
            }
        });
    }

    /// <summary>
    /// Honest nodes split in two halves; every equivocator talks to both (a bridge) and votes for each side's blocks on
    /// that side only. Only honest nodes mine, one block per step, alternating sides. A reliable network.
    /// </summary>
    private static Scenario PartitionedEquivocation(int validators, int equivocators)
    {
        var honest = Enumerable.Range(0, validators - equivocators).ToList();
        var bridges = Enumerable.Range(validators - equivocators, equivocators).ToList();
        var sideA = honest.Where(i => i % 2 == 0).ToList();
        var sideB = honest.Where(i => i % 2 == 1).ToList();
        Assert.That(sideA.Count + equivocators, Is.GreaterThanOrEqualTo(FinalityQuorum.Required(validators, 1)), "each side must reach a quorum with the equivocators");
        Assert.That(sideB.Count + equivocators, Is.GreaterThanOrEqualTo(FinalityQuorum.Required(validators, 1)), "each side must reach a quorum with the equivocators");
        return new Scenario(
            Seed: 10,
            validators,
            [.. bridges.Select(i => new ByzantineRole(i, StrategyKind.DoubleVoting))],
            Crashes: [],
            NetworkFaults.Reliable,
            [new PartitionWindow(0, PartitionSteps, [.. sideA, .. bridges], [.. sideB, .. bridges])],
            ChaosSteps: PartitionSteps,
            StableSteps: 30,
            DrainSteps: 0,
            BlockInterval: 1,
            MinerRotation: honest);
    }
}

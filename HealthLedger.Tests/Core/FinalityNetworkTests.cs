using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Finality with N = 5 validators and a header threshold k = 3 below the floor: the quorum is ⌊2N/3⌋ + 1 = 4 votes
/// from the validator set, on real ePoW seals and signatures.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class FinalityNetworkTests
{
    private static readonly int[] All = [0, 1, 2, 3, 4];

    [Test]
    public void Finality_continues_with_one_node_stopped_and_stalls_with_two_while_mining_goes_on()
    {
        var net = new TestNetwork(nodes: 5, threshold: 3);
        for (var r = 0; r < 4; r++)
        {
            net.Round(All, r);
        }

        var chain = net.Chains[0];
        Assert.That(chain.LastFinal.Height, Is.GreaterThanOrEqualTo(2UL), "all online: blocks become final two blocks behind the tip");

        int[] four = [0, 1, 2, 3];
        var before = chain.LastFinal.Height;
        for (var r = 0; r < 4; r++)
        {
            net.Round(four, r);
        }

        var afterOneStopped = chain.LastFinal.Height;
        Assert.That(afterOneStopped, Is.GreaterThan(before), "f = 1 < N/3: four votes still make the quorum");

        int[] three = [0, 1, 2];
        for (var r = 0; r < 4; r++)
        {
            net.Round(three, r);
        }

        Assert.That(chain.Height, Is.GreaterThan(afterOneStopped + 3), "mining goes on");
        var stalled = chain.LastFinal.Height;
        Assert.That(stalled, Is.LessThanOrEqualTo(afterOneStopped + 1), "f = 2 > N/3: three votes never make the quorum of four, whatever k the miner asks for");
        net.Round(three, 5);
        Assert.That(chain.LastFinal.Height, Is.EqualTo(stalled));
        Assert.That(chain.FinalityLog.All(f => f.LatencyMs >= 0 && f.Attesters >= 4), Is.True);
    }

    [Test]
    public void No_final_block_is_reverted_across_a_partition_and_the_heal_converges_on_the_final_branch()
    {
        var net = new TestNetwork(nodes: 5, threshold: 3);
        for (var r = 0; r < 2; r++)
        {
            net.Round(All, r);
        }

        int[] majority = [0, 1, 2, 3];
        int[] minority = [4];
        var majorityBlocks = new List<Block>();
        var minorityBlocks = new List<Block>();
        for (var r = 0; r < 4; r++)
        {
            majorityBlocks.Add(net.Round(majority, r));
        }

        // The minority mines more blocks (more work) but can never reach the quorum of four votes.
        for (var r = 0; r < 9; r++)
        {
            minorityBlocks.Add(net.Round(minority, r));
        }

        var finalOnMajority = net.Chains[0].LastFinal;
        Assert.That(finalOnMajority.Height, Is.GreaterThan(2UL));
        Assert.That(net.Chains[4].LastFinal.Height, Is.LessThan(finalOnMajority.Height));
        Assert.That(net.Chains[4].Tip.CumulativeWork, Is.GreaterThan(net.Chains[0].Tip.CumulativeWork));

        // Heal: everyone receives everything.
        foreach (var b in minorityBlocks)
        {
            net.Deliver(b, majority);
        }

        foreach (var b in majorityBlocks)
        {
            net.Deliver(b, minority);
        }

        foreach (var n in All)
        {
            Assert.That(net.Chains[n].IsFinal(finalOnMajority.Hash), Is.True, $"node {n} has the majority's final block on its best chain");
            Assert.That(net.Chains[n].LastFinal.Height, Is.GreaterThanOrEqualTo(finalOnMajority.Height));
        }

        Assert.That(All.Select(n => net.Chains[n].Tip.Hash).Distinct().Count(), Is.EqualTo(1), "the network converges");
    }

    [Test]
    public void A_node_that_attests_two_conflicting_blocks_loses_credit()
    {
        var net = new TestNetwork(nodes: 5, threshold: 3);
        for (var r = 0; r < 3; r++)
        {
            net.Round(All, r);
        }

        // Two competing blocks at the same height; validator 4 attests both.
        var a = net.Mine(0);
        var b = net.Mine(1);
        Assert.That(a.Header.Height, Is.EqualTo(b.Header.Height));
        var genesis = net.Chains[0].GenesisEntry;
        var attestA = Transaction.Create(net.Keys[4], net.Genesis.ChainId, 0, net.Time.NowMs, new Attestation(a.Hash, a.Header.Height, genesis.Hash, 0));
        var attestB = Transaction.Create(net.Keys[4], net.Genesis.ChainId, 0, net.Time.NowMs, new Attestation(b.Hash, b.Header.Height, genesis.Hash, 0));
        net.Deliver(a, [2]);
        var creditBefore = EnhancedProofOfWorkEngine.GetCredit(net.Keys[4].PublicKey, net.Chains[2].TipView);

        net.Pending[2].Add(net.Sign(2, EvidenceVerifier.FromAttestations(attestA, attestB)));
        net.Mine(2);

        var node = net.Chains[2].State.GetNode(net.Keys[4].Address)!;
        var creditAfter = EnhancedProofOfWorkEngine.GetCredit(net.Keys[4].PublicKey, net.Chains[2].TipView);
        Assert.That(node.Activity.PenaltyHeights, Has.Length.EqualTo(1));
        Assert.That(creditAfter.Levels, Is.LessThan(creditBefore.Levels), $"credit {creditBefore} -> {creditAfter}");
        Assert.That(creditAfter.PenaltyLevels, Is.GreaterThan(0));
    }
}

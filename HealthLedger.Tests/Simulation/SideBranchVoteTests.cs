using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Simulation;

/// <summary>
/// The simulation's liveness finding (seeds 156, 157 and 15 others of the first 1,000) reduced to two chains and five
/// validators: votes that were included only in a side-branch block are invisible to a node that never received that
/// block, so it cannot justify the source every later vote uses, and it stays at its final block for good although it
/// holds every block of the best chain and all five validators keep voting.
/// </summary>
[TestFixture]
public sealed class SideBranchVoteTests
{
    [Test]
    [Ignore("bug: finality is derived only from votes included in blocks the node holds; a vote included only on a side branch is not re-included on the best chain (its sequence slot there goes to the validator's next vote), so a node that missed the side block never finalises again")]
    public void A_node_that_missed_a_side_block_still_finalises_the_best_chain_it_shares()
    {
        var ledger = new TestLedger();
        var sawSide = ledger.NewChain();
        var missedSide = ledger.NewChain();
        var genesis = sawSide.GenesisEntry;

        var first = Both(ledger.MakeBlock(genesis, nonce: 1, miner: 0));
        var best = Both(ledger.MakeBlock(first, nonce: 2, miner: 1));

        // A competing block on the same parent carries four votes genesis → first (quorum for N = 5 is 4); only one node gets it.
        var side = ledger.MakeBlock(first, [.. Enumerable.Range(0, 4).Select(v => ledger.Attest(v, 0, first, genesis))], nonce: 3, miner: 2);
        Assert.That(sawSide.AddBlock(side).Status, Is.EqualTo(BlockStatus.SideBranch));
        Assert.That(sawSide.IsJustified(first.Hash), Is.True);

        // All five validators keep voting honestly from what they see (they saw the side block): each new tip gets five votes,
        // each from the highest justified block below it, with the sequence the best chain expects next.
        var tip = best;
        for (var round = 0; round < 6; round++)
        {
            var vote = sawSide.CreateVote()!;
            var votes = Enumerable.Range(0, 5).Select(v => ledger.Tx(ledger.Validators[v], tip.State.GetNextSequence(ledger.Validators[v].Address), vote)).ToList();
            tip = Both(ledger.MakeBlock(tip, votes, nonce: 10 + (ulong)round, miner: round % 5));
        }

        Assert.Multiple(() =>
        {
            Assert.That(missedSide.Tip.Hash, Is.EqualTo(sawSide.Tip.Hash), "both nodes hold the same best chain");
            Assert.That(sawSide.LastFinal.Height, Is.GreaterThan(1UL), "the node that saw the side block finalises");
            Assert.That(missedSide.LastFinal.Hash, Is.EqualTo(sawSide.LastFinal.Hash), $"the node that missed it should finalise the same blocks (it is at #{missedSide.LastFinal.Height}, the other at #{sawSide.LastFinal.Height}, tip #{sawSide.Tip.Height})");
        });

        ChainEntry Both(Block block)
        {
            Assert.That(sawSide.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected), "first node");
            Assert.That(missedSide.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected), "second node");
            return sawSide.GetEntry(block.Hash)!;
        }
    }
}

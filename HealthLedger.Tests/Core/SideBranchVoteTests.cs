using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Found by the seeded simulation (seeds 156, 157 and 15 others of the first 1,000): votes included only in a side
/// block were invisible to a node that never received that block, and every later vote used the source they justified,
/// so that node never finalised again. Votes are not sequenced, and a node's pool takes up the votes of side blocks, so
/// the next block a node mines from its pool carries them onto the best chain.
/// </summary>
[TestFixture]
public sealed class SideBranchVoteTests
{
    [Test]
    public void A_node_that_missed_a_side_block_finalises_once_the_pool_carries_its_votes_to_the_best_chain()
    {
        var ledger = new TestLedger();
        var sawSide = ledger.NewChain();
        var missedSide = ledger.NewChain();
        var pool = new TransactionPool(sawSide, ledger.Time);
        var genesis = sawSide.GenesisEntry;

        var first = Both(ledger.MakeBlock(genesis, nonce: 1, miner: 0));
        var best = Both(ledger.MakeBlock(first, nonce: 2, miner: 1));

        // A competing block on the same parent carries four votes genesis → first (the quorum for N = 5); one node gets it.
        var side = ledger.MakeBlock(first, [.. Enumerable.Range(0, 4).Select(v => ledger.Attest(v, first, genesis))], nonce: 3, miner: 2);
        Assert.That(sawSide.AddBlock(side).Status, Is.EqualTo(BlockStatus.SideBranch));
        Assert.That(sawSide.IsJustified(first.Hash), Is.True);
        Assert.That(pool.Count, Is.EqualTo(4), "the side block's votes are taken up by the pool");

        // The validators keep voting from what the first node sees; it mines from its pool.
        var tip = best;
        for (var round = 0; round < 4; round++)
        {
            var vote = sawSide.CreateVote()!;
            foreach (var v in Enumerable.Range(0, 5))
            {
                pool.Submit(ledger.Tx(ledger.Validators[v], 0, vote));
            }

            tip = Both(ledger.MakeBlock(tip, pool.SelectForBlock(100), nonce: 10 + (ulong)round, miner: round % 5));
        }

        Assert.Multiple(() =>
        {
            Assert.That(missedSide.Tip.Hash, Is.EqualTo(sawSide.Tip.Hash));
            Assert.That(sawSide.LastFinal.Height, Is.GreaterThan(1UL));
            Assert.That(missedSide.LastFinal.Hash, Is.EqualTo(sawSide.LastFinal.Hash), "the node that missed the side block finalises the same blocks");
        });

        ChainEntry Both(Block block)
        {
            Assert.That(sawSide.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected), "first node");
            Assert.That(missedSide.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected), "second node");
            return sawSide.GetEntry(block.Hash)!;
        }
    }

    [Test]
    public void A_vote_with_a_sequence_other_than_zero_is_refused_at_shape()
    {
        var ledger = new TestLedger();
        var chain = ledger.NewChain();
        var b1 = ledger.Extend(chain, chain.Tip, 1);
        var vote = ledger.Tx(ledger.Validators[0], 3, new Attestation(b1.Hash, 1, chain.GenesisEntry.Hash, 0));

        Assert.That(chain.TransactionValidator.CheckShape(vote).Code, Is.EqualTo(HealthLedger.Core.Validation.RejectionCode.FieldOutOfRange));
    }
}

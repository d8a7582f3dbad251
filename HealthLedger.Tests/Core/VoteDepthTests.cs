using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Votes aimed below the tip (<see cref="Blockchain.CreateVote(int)"/>, <c>LedgerNodeOptions.VoteDepth</c>): a validator
/// that votes for the tip at once commits to its own fresh block before a competing sibling is settled; aiming one block
/// lower votes for a block that already has a child, and finality still advances.
/// </summary>
[TestFixture]
public sealed class VoteDepthTests
{
    [Test]
    public void A_vote_at_depth_one_targets_the_tips_parent_with_the_highest_justified_block_below_it_as_source()
    {
        var ledger = new TestLedger();
        var chain = ledger.NewChain();
        var a = Add(chain, ledger.MakeBlock(chain.GenesisEntry, nonce: 1));
        var b = Add(chain, ledger.MakeBlock(a, nonce: 2));

        var vote = chain.CreateVote(1)!;

        Assert.Multiple(() =>
        {
            Assert.That(vote.BlockHash, Is.EqualTo(a.Hash));
            Assert.That(vote.BlockHeight, Is.EqualTo(1UL));
            Assert.That(vote.SourceHash, Is.EqualTo(chain.GenesisEntry.Hash));
            Assert.That(chain.CreateVote(0)!.BlockHash, Is.EqualTo(b.Hash), "depth 0 is the tip, as CreateVote()");
            Assert.That(chain.CreateVote(2), Is.Null, "no block above the last final block at that depth");
            Assert.That(() => chain.CreateVote(-1), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [TestCase(0, false, TestName = "Votes_for_the_tip_split_in_a_sibling_race_and_nothing_becomes_final")]
    [TestCase(1, true, TestName = "Votes_one_block_below_a_sibling_race_agree_and_finality_advances")]
    public void A_sibling_race_at_every_height(int depth, bool finalises)
    {
        var ledger = new TestLedger();
        var chains = Enumerable.Range(0, 5).Select(_ => ledger.NewChain()).ToArray();
        var lastVoted = new ulong[chains.Length];
        var pool = new TransactionPool(chains[0], ledger.Time);
        var parent = chains[0].GenesisEntry;
        for (var round = 0; round < 10; round++)
        {
            // Two siblings at each height carrying the same votes: validators 0-2 see the first one first, 3-4 the
            // second (each keeps the first it saw as its tip); the next height builds on the first.
            var txs = pool.SelectForBlock(100);
            var first = ledger.MakeBlock(parent, txs, nonce: (ulong)(100 + round), miner: round % 5);
            var second = ledger.MakeBlock(parent, txs, nonce: (ulong)(200 + round), miner: (round + 1) % 5);
            for (var v = 0; v < chains.Length; v++)
            {
                var (early, late) = v < 3 ? (first, second) : (second, first);
                Assert.That(chains[v].AddBlock(early).IsAccepted, Is.True);
                Assert.That(chains[v].AddBlock(late).IsAccepted, Is.True);
                if (chains[v].CreateVote(depth) is { } vote && vote.BlockHeight > lastVoted[v])
                {
                    lastVoted[v] = vote.BlockHeight; // once per height, as VoteGuard enforces
                    pool.Submit(ledger.Tx(ledger.Validators[v], 0, vote));
                }
            }

            parent = chains[0].GetEntry(first.Hash)!;
        }

        Assert.That(chains[0].LastFinal.Height > 0, Is.EqualTo(finalises), $"last final #{chains[0].LastFinal.Height} at tip #{chains[0].Tip.Height}");
    }

    private static ChainEntry Add(Blockchain chain, Block block)
    {
        Assert.That(chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
        return chain.GetEntry(block.Hash)!;
    }
}

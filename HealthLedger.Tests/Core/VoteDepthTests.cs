using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// When and where a validator aims its vote (<see cref="Blockchain.CreateVote(int)"/>, <see cref="Blockchain.CreateVoteAt"/>,
/// <c>LedgerNodeOptions.VoteDelay</c> and <c>VoteDepth</c>): a validator that votes for the tip at once commits to the
/// sibling it saw first, and split votes never justify a height; voting once the sibling has arrived (fork choice's
/// lower-hash tie-break then agrees everywhere), or one block lower, lets finality advance.
/// </summary>
[TestFixture]
public sealed class VoteDepthTests
{
    [Test]
    public void A_vote_at_depth_one_targets_the_tips_parent_with_the_highest_justified_block_below_it_as_source()
    {
        var ledger = new TestLedger();
        var chain = ledger.NewChain();
        var a = TestLedger.Connect(chain, ledger.MakeBlock(chain.GenesisEntry, nonce: 1));
        var b = TestLedger.Connect(chain, ledger.MakeBlock(a, nonce: 2));

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

    [TestCase(false, 0, false, TestName = "Votes_cast_at_once_split_in_a_sibling_race_and_nothing_becomes_final")]
    [TestCase(true, 0, true, TestName = "Votes_cast_after_the_sibling_arrived_agree_on_the_lower_hash_and_finality_advances")]
    [TestCase(false, 1, true, TestName = "Votes_cast_at_once_one_block_below_a_sibling_race_agree_and_finality_advances")]
    public void A_sibling_race_at_every_height(bool afterBoth, int depth, bool finalises)
    {
        var ledger = new TestLedger();
        var chains = Enumerable.Range(0, 5).Select(_ => ledger.NewChain()).ToArray();
        var lastVoted = new ulong[chains.Length];
        var pool = new TransactionPool(chains[0], ledger.Time);
        var parent = chains[0].GenesisEntry;
        for (var round = 0; round < 10; round++)
        {
            // Two siblings at each height carrying the same votes: validators 0-2 see the first one first, 3-4 the
            // second. A validator votes once per height, either as soon as it has a block there (afterBoth false) or
            // once the sibling has arrived too, as LedgerNodeOptions.VoteDelay lets it.
            var txs = pool.SelectForBlock(100);
            var first = ledger.MakeBlock(parent, txs, nonce: (ulong)(100 + round), miner: round % 5);
            var second = ledger.MakeBlock(parent, txs, nonce: (ulong)(200 + round), miner: (round + 1) % 5);
            for (var v = 0; v < chains.Length; v++)
            {
                var (early, late) = v < 3 ? (first, second) : (second, first);
                Assert.That(chains[v].AddBlock(early).IsAccepted, Is.True);
                if (!afterBoth)
                {
                    Vote(v);
                }

                Assert.That(chains[v].AddBlock(late).IsAccepted, Is.True);
                if (afterBoth)
                {
                    Vote(v);
                }
            }

            // Fork choice breaks the tie by the lower hash: every chain has the same tip whatever it saw first.
            Assert.That(chains.Select(c => c.Tip.Hash).Distinct().Count(), Is.EqualTo(1));
            Assert.That(chains[0].Tip.Hash, Is.EqualTo(first.Hash < second.Hash ? first.Hash : second.Hash));
            parent = chains[0].Tip;
        }

        Assert.That(chains[0].LastFinal.Height > 0, Is.EqualTo(finalises), $"last final #{chains[0].LastFinal.Height} at tip #{chains[0].Tip.Height}");

        void Vote(int v)
        {
            if (chains[v].CreateVote(depth) is { } vote && vote.BlockHeight > lastVoted[v])
            {
                lastVoted[v] = vote.BlockHeight; // once per height, as VoteGuard enforces
                pool.Submit(ledger.Tx(ledger.Validators[v], 0, vote));
            }
        }
    }

    [Test]
    public void A_vote_at_a_height_targets_the_best_chain_block_there_and_nothing_at_or_below_the_last_final_block()
    {
        var ledger = new TestLedger();
        var chain = ledger.NewChain();
        var a = TestLedger.Connect(chain, ledger.MakeBlock(chain.GenesisEntry, nonce: 1));
        var b = TestLedger.Connect(chain, ledger.MakeBlock(a, nonce: 2));

        Assert.Multiple(() =>
        {
            Assert.That(chain.CreateVoteAt(1)!.BlockHash, Is.EqualTo(a.Hash));
            Assert.That(chain.CreateVoteAt(2), Is.EqualTo(chain.CreateVote()), "the tip's height is the tip's vote");
            Assert.That(chain.CreateVoteAt(2)!.BlockHash, Is.EqualTo(b.Hash));
            Assert.That(chain.CreateVoteAt(3), Is.Null, "above the tip");
            Assert.That(chain.CreateVoteAt(0), Is.Null, "genesis is final");
        });
    }
}

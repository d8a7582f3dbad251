using FsCheck;
using FsCheck.Fluent;
using HealthLedger.Core.Chain;
using HealthLedger.Core.State;

namespace HealthLedger.Tests.State;

/// <summary>
/// After random blocks and reorganisations (random valid registrations, anchors, grants and revokes; forks from up to
/// five blocks back that overtake the tip), the index answers every query exactly as a brute-force scan of the
/// winning chain's state: the index that followed the chain, a new index that caught up from genesis, and the
/// followed index reopened.
/// </summary>
[TestFixture]
public sealed class LedgerIndexPropertyTests
{
    [FsCheck.NUnit.Property(MaxTest = 25)]
    public void The_index_answers_like_a_scan_of_the_winning_chain(int seed, PositiveInt pageSize)
    {
        var rng = new Random(seed);
        var w = new IndexWorld();
        var chain = w.Ledger.NewChain();
        var store = new InMemoryKeyValueStore();
        var options = new LedgerIndexOptions { UndoDepth = 1 + rng.Next(8) };
        var index = LedgerIndex.Open(store, new BlockchainIndexSource(chain), options);
        using (var follower = new LedgerIndexFollower(chain, index))
        {
            var steps = 20 + rng.Next(30);
            for (var i = 0; i < steps; i++)
            {
                if (rng.Next(5) == 0 && chain.Tip.Height > 1)
                {
                    // A fork from up to five blocks back, one block longer than the tip: a reorganisation.
                    var depth = (ulong)rng.Next(1, (int)Math.Min(5, chain.Tip.Height) + 1);
                    var parent = chain.GetBestAt(chain.Tip.Height - depth)!;
                    for (ulong k = 0; k <= depth; k++)
                    {
                        var block = w.RandomBlock(parent, rng);
                        Assert.That(chain.AddBlock(block).IsAccepted, Is.True);
                        parent = chain.GetEntry(block.Hash)!;
                    }

                    Assert.That(chain.Tip.Hash, Is.EqualTo(parent.Hash));
                }
                else
                {
                    Assert.That(chain.AddBlock(w.RandomBlock(chain.Tip, rng)).IsAccepted, Is.True);
                }
            }

            Assert.That(follower.Failures, Is.Zero, follower.LastFailure?.ToString());
        }

        var size = 1 + (pageSize.Get % 7);
        IndexOracle.AssertMatches(index, chain.Tip, w, size, new Random(seed));
        var fresh = LedgerIndex.Open(new InMemoryKeyValueStore(), new BlockchainIndexSource(chain), options);
        IndexOracle.AssertMatches(fresh, chain.Tip, w, size, new Random(seed + 1));
        var reopened = LedgerIndex.Open(store, new BlockchainIndexSource(chain), options);
        Assert.That(reopened.OpenReport.Applied + reopened.OpenReport.RolledBack, Is.Zero);
        IndexOracle.AssertMatches(reopened, chain.Tip, w, size, new Random(seed + 2));
    }
}

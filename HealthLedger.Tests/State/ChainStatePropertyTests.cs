using FsCheck.Fluent;
using HealthLedger.Core.Chain;
using HealthLedger.Core.State;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.State;

/// <summary>
/// A chain whose state after the last final block lives in a key-value store, driven through random blocks, votes
/// (finality advancing and stalling), forks above the last final block, restarts at random points, state writes that
/// fail (the process dies there) and block stores that lose their tail, always ends in the state a fresh in-memory
/// replay of the winning chain from genesis reaches.
/// </summary>
[TestFixture]
public sealed class ChainStatePropertyTests
{
    [FsCheck.NUnit.Property(MaxTest = 20)]
    public void The_stored_state_equals_a_replay_of_the_winning_chain(int seed)
    {
        var rng = new Random(seed);
        var cs = new ChainStateWorld(new IndexWorld());
        IBlockStore blocks = new InMemoryBlockStore();
        var kv = new FaultyKeyValueStore(new InMemoryKeyValueStore());
        var window = 1 + rng.Next(6);
        var chain = cs.Open(blocks, kv, window);
        var steps = 40 + rng.Next(40);
        var restarts = 0;
        for (var i = 0; i < steps; i++)
        {
            var roll = rng.Next(100);
            try
            {
                if (roll < 8)
                {
                    chain = cs.Open(blocks, kv, window);
                    restarts++;
                    Assert.That(chain.LastReplay.FromHeight, Is.EqualTo(chain.LastFinal.Height), "replays only above the stored final block");
                }
                else if (roll < 12)
                {
                    kv.FailAt = kv.Writes + 1 + rng.Next(3);
                    kv.FailAfterWriting = rng.Next(2) == 0;
                    kv.DieAtFailure = true;
                }
                else if (roll < 14 && blocks.Count > 2)
                {
                    blocks = BlockStoreCuts.Prefix(blocks, blocks.Count - rng.Next(1, 6));
                    chain = cs.Open(blocks, kv, window);
                    restarts++;
                }
                else if (roll < 30 && chain.Tip.Height > chain.LastFinal.Height)
                {
                    // A fork from at or above the last final block, one block longer than the tip's branch above it.
                    var depth = (ulong)rng.Next(1, (int)Math.Min(5, chain.Tip.Height - chain.LastFinal.Height) + 1);
                    var parent = chain.GetBestAt(chain.Tip.Height - depth)!;
                    for (ulong k = 0; k <= depth; k++)
                    {
                        var block = cs.NextBlock(chain, parent, rng, vote: rng.Next(3) == 0);
                        var r = chain.AddBlock(block);
                        if (!r.IsAccepted)
                        {
                            break; // finality moved past the fork point while it grew
                        }

                        parent = chain.GetEntry(block.Hash)!;
                    }
                }
                else
                {
                    var r = chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: rng.Next(3) != 0));
                    Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
                }
            }
            catch (IOException)
            {
                // The state store failed a write: the process dies here and starts again.
                kv.FailAt = 0;
                chain = cs.Open(blocks, kv, window);
                restarts++;
            }
        }

        kv.FailAt = 0;
        cs.AssertMatchesReplays(chain, blocks);
        var reopened = cs.Open(blocks, kv, window);
        Assert.That(reopened.LastReplay.FromHeight, Is.EqualTo(chain.LastFinal.Height));
        cs.AssertMatchesReplays(reopened, blocks);
        TestContext.Out.WriteLine($"seed {seed}: tip #{chain.Tip.Height}, final #{chain.LastFinal.Height}, window {window}, {restarts} restarts");
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.State;
using HealthLedger.Core.Storage;
using HealthLedger.Tests.Storage;

namespace HealthLedger.Tests.State;

/// <summary>
/// A chain with <see cref="ChainOptions.KeepRecentBodies"/> on a <see cref="FileBlockStore"/> of small segments: old
/// bodies go, every header stays, a pruned body is a typed <see cref="BlockPrunedException"/>, and no body above the
/// prune point is ever removed.
/// </summary>
[TestFixture]
public sealed class ChainPruningTests
{
    private const int Window = 8;
    private const long Keep = 10;

    [Test]
    public void A_pruning_chain_keeps_every_body_above_the_prune_point_and_refuses_older_ones_with_a_typed_error()
    {
        using var dir = TempDirectory.Create(inMemory: true);
        var cs = new ChainStateWorld(new IndexWorld());
        var rng = new Random(21);
        var options = new FileBlockStoreOptions { SegmentSizeLimit = 16 * 1024, Fsync = FsyncPolicy.Batched, IndexCacheSegments = 2 };
        var kv = new InMemoryKeyValueStore();
        var blocksDir = Path.Combine(dir.Path, "blocks");
        using (var blocks = FileBlockStore.Open(blocksDir, options))
        {
            var chain = cs.Open(blocks, kv, Window, keepRecentBodies: Keep);
            for (var i = 0; i < 150; i++)
            {
                Assert.That(chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: true)).IsAccepted, Is.True);

                // After every block: every body at or above min(final, tip − Keep) is still there.
                var point = Math.Min(chain.LastFinal.Height, chain.Tip.Height > Keep ? chain.Tip.Height - (ulong)Keep : 0);
                for (var h = point; h <= chain.Tip.Height && h > 0; h++)
                {
                    Assert.That(blocks.Contains(chain.GetBestAt(h)!.Hash), Is.True, $"block #{h} (prune point #{point}, tip #{chain.Tip.Height})");
                }
            }

            Assert.That(blocks.FirstRetainedSequence, Is.GreaterThan(0), "segments were pruned");
            Assert.That(Directory.GetFiles(blocksDir, "blocks-*.dat"), Has.Length.LessThan(10));
            AssertPrunedBodiesAreTyped(chain);
        }

        // Restarted: replays only above the marker (never the pruned part), goes on pruning.
        using (var blocks = FileBlockStore.Open(blocksDir, options))
        {
            var chain = cs.Open(blocks, kv, Window, keepRecentBodies: Keep);
            Assert.That(chain.LastReplay.StateRebuilt, Is.False);
            AssertPrunedBodiesAreTyped(chain);
            for (var i = 0; i < 30; i++)
            {
                Assert.That(chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: true)).IsAccepted, Is.True);
            }

            Assert.That(chain.GetBestAt(chain.Tip.Height - (ulong)Keep)!.Block, Is.Not.Null);
            Assert.Throws<BlockPrunedException>(() => blocks.ReadAll().ToList());
        }
    }

    [Test]
    public void Pruning_without_a_chain_state_store_is_refused()
    {
        var cs = new ChainStateWorld(new IndexWorld());
        Assert.Throws<ArgumentException>(() => new Blockchain(
            cs.World.Ledger.Genesis, new Support.TestEngine(), new InMemoryBlockStore(), cs.World.Ledger.Time, options: new ChainOptions { KeepRecentBodies = 5 }));
    }

    private static void AssertPrunedBodiesAreTyped(Blockchain chain)
    {
        var old = chain.GetBestAt(3)!;
        Assert.That(old.Header.Height, Is.EqualTo(3UL), "headers stay");
        var error = Assert.Throws<BlockPrunedException>(() => _ = old.Block)!;
        Assert.That(error.Hash, Is.EqualTo(old.Hash));
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.State;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;
using HealthLedger.Storage.RocksDb;
using HealthLedger.Tests.Storage;

namespace HealthLedger.Tests.State;

/// <summary>
/// A chain on a <see cref="FileBlockStore"/> with its state in RocksDB: restarted, it replays only the blocks above
/// the last final block, keeps only a window of headers below it, and still serves every old block, entry and hash
/// through the stores.
/// </summary>
[TestFixture]
public sealed class ChainStateRestartTests
{
    private const int Window = 8;

    [Test]
    public void A_restart_replays_only_the_blocks_above_the_last_final_block()
    {
        using var dir = TempDirectory.Create(inMemory: true);
        var cs = new ChainStateWorld(new IndexWorld());
        var rng = new Random(7);
        var blocksDir = Path.Combine(dir.Path, "blocks");
        var stateDir = Path.Combine(dir.Path, "state");
        var storeOptions = new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(cs.World.Ledger.Genesis) };
        HealthLedger.Core.Blocks.Block oldBlock;
        HealthLedger.Core.Crypto.Hash256 tipHash;
        ulong finalHeight;

        using (var blocks = FileBlockStore.Open(blocksDir, storeOptions))
        using (var kv = RocksDbKeyValueStore.Open(stateDir))
        {
            var chain = cs.Open(blocks, kv, Window);
            for (var i = 0; i < 120; i++)
            {
                Assert.That(chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: true)).IsAccepted, Is.True);
            }

            Assert.That(chain.LastFinal.Height, Is.GreaterThan(100UL));
            Assert.That(chain.BlockCount, Is.LessThanOrEqualTo(Window + 1 + (int)(chain.Tip.Height - chain.LastFinal.Height)), "entries below the window are not kept");
            Assert.That(chain.GetBestAt(chain.LastFinal.Height - 1)!.HasBody, Is.False, "final bodies are dropped");
            oldBlock = chain.GetBestAt(5)!.Block;
            tipHash = chain.Tip.Hash;
            finalHeight = chain.LastFinal.Height;
            cs.AssertMatchesReplays(chain, blocks);
        }

        using (var blocks = FileBlockStore.Open(blocksDir, storeOptions))
        using (var kv = RocksDbKeyValueStore.Open(stateDir))
        {
            var chain = cs.Open(blocks, kv, Window);
            Assert.Multiple(() =>
            {
                Assert.That(chain.LastReplay.FromHeight, Is.EqualTo(finalHeight));
                Assert.That(chain.LastReplay.Blocks, Is.EqualTo((long)(chain.Tip.Height - finalHeight)), "only the blocks above the last final block are replayed");
                Assert.That(chain.LastReplay.Blocks, Is.LessThan(5));
                Assert.That(chain.Tip.Hash, Is.EqualTo(tipHash));
                Assert.That(chain.LastFinal.Height, Is.EqualTo(finalHeight));
                Assert.That(chain.BlockCount, Is.LessThanOrEqualTo(Window + 1 + (int)(chain.Tip.Height - finalHeight)));

                // Old blocks through the stores.
                var old = chain.GetBestAt(5)!;
                Assert.That(old.Hash, Is.EqualTo(oldBlock.Hash));
                Assert.That(old.Block.Encode().ToArray(), Is.EqualTo(oldBlock.Encode().ToArray()));
                Assert.That(old.Parent!.Hash, Is.EqualTo(oldBlock.Header.PreviousHash));
                Assert.That(chain.GetEntry(oldBlock.Hash)!.Height, Is.EqualTo(5UL));
                Assert.That(chain.IsFinal(oldBlock.Hash), Is.True);
                Assert.That(chain.IsOnBestChain(oldBlock.Hash), Is.True);
                Assert.That(chain.GenesisEntry.Hash, Is.EqualTo(Blockchain.CreateGenesisBlock(cs.World.Ledger.Genesis).Hash));
                Assert.That(chain.GetLocator()[^1], Is.EqualTo(chain.GenesisEntry.Hash));
                Assert.That(chain.Tip.GetAncestor(3)!.Hash, Is.EqualTo(chain.GetBestAt(3)!.Hash));
                Assert.That(chain.AddBlock(oldBlock).Validation.Code, Is.EqualTo(RejectionCode.AlreadyKnown), "a final block sent again is known, not an orphan");
            });

            cs.AssertMatchesReplays(chain, blocks);
            for (var i = 0; i < 20; i++)
            {
                Assert.That(chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: true)).IsAccepted, Is.True);
            }

            cs.AssertMatchesReplays(chain, blocks);
        }
    }

    [Test]
    public void A_state_ahead_of_the_block_store_is_rebuilt_from_genesis()
    {
        var cs = new ChainStateWorld(new IndexWorld());
        var rng = new Random(11);
        var blocks = new InMemoryBlockStore();
        var kv = new InMemoryKeyValueStore();
        var chain = cs.Open(blocks, kv, Window);
        for (var i = 0; i < 30; i++)
        {
            Assert.That(chain.AddBlock(cs.NextBlock(chain, chain.Tip, rng, vote: true)).IsAccepted, Is.True);
        }

        // The block store lost its last ten blocks (a power loss with batched fsync); the state had seen them final.
        var cut = BlockStoreCuts.Prefix(blocks, blocks.Count - 10);
        var reopened = cs.Open(cut, kv, Window);
        Assert.Multiple(() =>
        {
            Assert.That(reopened.LastReplay.StateRebuilt, Is.True);
            Assert.That(reopened.LastReplay.Blocks, Is.EqualTo(cut.Count));
            Assert.That(reopened.Tip.Height, Is.EqualTo(chain.Tip.Height - 10));
        });
        cs.AssertMatchesReplays(reopened, cut);
    }

    [Test]
    public void A_state_store_of_another_genesis_is_refused()
    {
        var kv = new InMemoryKeyValueStore();
        var a = new ChainStateWorld(new IndexWorld());
        _ = a.Open(new InMemoryBlockStore(), kv, Window);
        var other = new Support.TestLedger(configure: g => g with { ChainId = 99 });
        Assert.Throws<ChainStateMismatchException>(() => new Blockchain(other.Genesis, new Support.TestEngine(), new InMemoryBlockStore(), other.Time, stateStore: kv));
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.State;
using HealthLedger.Core.Transactions;
using HealthLedger.Storage.RocksDb;

namespace HealthLedger.Tests.State;

/// <summary>
/// Crash safety: a write that fails before or after its batch lands, at every write of a run with a shallow reorg and
/// one deeper than the undo data (a rebuild), followed either by a restart (reopen from what the store holds) or by the
/// same index going on; and a real RocksDB directory reopened behind, level with, and ahead of or beside the chain.
/// </summary>
[TestFixture]
public sealed class LedgerIndexCrashTests
{
    private static readonly LedgerIndexOptions ShallowUndo = new() { UndoDepth = 2, ClearBatchSize = 4 };

    /// <summary>Registration, branch A (3 blocks), branch B from the fork (4 blocks, deeper than the undo data), then a one-block reorg on B.</summary>
    private static void RunScript(IndexWorld w, Blockchain chain)
    {
        var now = w.Ledger.Time.NowMs;
        var fork = w.Add(chain, chain.Tip,
            s => w.RegisterPatient(0, s), s => w.RegisterPatient(1, s), s => w.RegisterDevice(0, s), s => w.RegisterDevice(1, s));
        var a = w.Add(chain, fork, s => w.Anchor(0, s, 3_000), s => w.Grant(0, w.Providers[0], RecordScope.All, now + 90_000, s));
        a = w.Add(chain, a, s => w.Anchor(1, s, 1_000), s => w.Revoke(0, w.Providers[0], RecordScope.Ecg, s));
        w.Add(chain, a, s => w.Anchor(0, s, 2_000));
        var b = fork;
        for (var i = 0; i < 4; i++)
        {
            var t = 4_000 + (i * 1_000);
            b = w.Add(chain, b, s => w.Anchor(i % 2, s, t), s => w.Grant(1, w.Providers[1], RecordScope.Vitals, now + 50_000 + t, s));
        }

        var beforeB = chain.GetEntry(b.Header.PreviousHash)!;
        var c = w.Add(chain, beforeB, s => w.Anchor(1, s, 9_000));
        w.Add(chain, c, s => w.Revoke(1, w.Providers[1], RecordScope.Vitals, s));
    }

    private static int CleanRunWrites()
    {
        var w = new IndexWorld();
        var chain = w.Ledger.NewChain();
        var store = new FaultyKeyValueStore(new InMemoryKeyValueStore());
        var index = LedgerIndex.Open(store, new BlockchainIndexSource(chain), ShallowUndo);
        using var follower = new LedgerIndexFollower(chain, index);
        RunScript(w, chain);
        Assert.That(follower.Failures, Is.Zero);
        Assert.That(store.SawRebuild, Is.True, "the run reorganises deeper than the undo data");
        IndexOracle.AssertMatches(index, chain.Tip, w);
        return store.Writes;
    }

    [Test]
    public void A_failed_write_at_any_point_is_repaired_by_a_restart_or_by_the_next_update([Values] bool afterTheBatch, [Values] bool restart)
    {
        // restart: the process dies at the failed write (nothing more is written) and the index is reopened from what
        // the store holds. Otherwise the same index goes on and must repair itself with the next chain update.
        Run(afterTheBatch, restart);
    }

    private static void Run(bool afterTheBatch, bool restart)
    {
        var writes = CleanRunWrites();
        Assert.That(writes, Is.GreaterThan(15), "the run writes once per block, undo and rebuild included");
        for (var failAt = 1; failAt <= writes; failAt++)
        {
            var w = new IndexWorld();
            var chain = w.Ledger.NewChain();
            var inner = new InMemoryKeyValueStore();
            var faulty = new FaultyKeyValueStore(inner) { FailAt = failAt, FailAfterWriting = afterTheBatch, DieAtFailure = restart };
            LedgerIndex? index = null;
            LedgerIndexFollower? follower = null;
            try
            {
                index = LedgerIndex.Open(faulty, new BlockchainIndexSource(chain), ShallowUndo);
                follower = new LedgerIndexFollower(chain, index);
            }
            catch (IOException)
            {
                // The crash hit the index's creation.
            }

            RunScript(w, chain);
            var context = $"write {failAt} of {writes} failed {(afterTheBatch ? "after" : "before")} its batch";
            if (restart || index is null)
            {
                follower?.Dispose();
                var reopened = LedgerIndex.Open(inner, new BlockchainIndexSource(chain), ShallowUndo);
                Assert.That(reopened.OpenReport.Tip, Is.EqualTo(new IndexTip(chain.Tip.Height, chain.Tip.Hash)), context);
                IndexOracle.AssertMatches(reopened, chain.Tip, w);
            }
            else
            {
                var tip = w.Add(chain, chain.Tip, s => w.Anchor(0, s, 12_000));
                Assert.That(index.Tip, Is.EqualTo(new IndexTip(tip.Height, tip.Hash)), context);
                IndexOracle.AssertMatches(index, tip, w);
                follower!.Dispose();
            }
        }
    }

    [Test]
    public void A_rocksdb_index_reopens_level_behind_and_ahead_on_another_branch_of_the_chain()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-index-" + Guid.NewGuid().ToString("N"));
        var options = new RocksDbStoreOptions { BlockCacheBytes = 1 << 20 };
        try
        {
            var w = new IndexWorld();
            var chain = w.Ledger.NewChain();
            var rng = new Random(5);
            using (var store = RocksDbKeyValueStore.Open(dir, options))
            {
                var index = LedgerIndex.Open(store, new BlockchainIndexSource(chain));
                using var follower = new LedgerIndexFollower(chain, index);
                for (var i = 0; i < 25; i++)
                {
                    chain.AddBlock(w.RandomBlock(chain.Tip, rng));
                }

                Assert.That(follower.Failures, Is.Zero);
                IndexOracle.AssertMatches(index, chain.Tip, w);
            }

            using (var store = RocksDbKeyValueStore.Open(dir, options))
            {
                var level = LedgerIndex.Open(store, new BlockchainIndexSource(chain));
                Assert.That(level.OpenReport, Is.EqualTo(new LedgerIndexOpenReport(level.Tip, 0, 0, false, level.Tip)), "level with the chain: nothing to do");
                IndexOracle.AssertMatches(level, chain.Tip, w);
            }

            // Behind: the chain went on while the index was closed (a crash between the block store's append and the batch).
            for (var i = 0; i < 5; i++)
            {
                chain.AddBlock(w.RandomBlock(chain.Tip, rng));
            }

            using (var store = RocksDbKeyValueStore.Open(dir, options))
            {
                var behind = LedgerIndex.Open(store, new BlockchainIndexSource(chain));
                Assert.That((behind.OpenReport.RolledBack, behind.OpenReport.Applied), Is.EqualTo((0, 5)));
                IndexOracle.AssertMatches(behind, chain.Tip, w);
            }

            // Ahead and on another branch: a chain that kept only the first 20 blocks (a lost block-store tail), then went its own way.
            var other = w.Ledger.NewChain();
            for (ulong h = 1; h <= 20; h++)
            {
                other.AddBlock(chain.GetBestAt(h)!.Block);
            }

            for (var i = 0; i < 3; i++)
            {
                other.AddBlock(w.RandomBlock(other.Tip, rng));
            }

            using (var store = RocksDbKeyValueStore.Open(dir, options))
            {
                var ahead = LedgerIndex.Open(store, new BlockchainIndexSource(other));
                Assert.That((ahead.OpenReport.RolledBack, ahead.OpenReport.Applied, ahead.OpenReport.Rebuilt), Is.EqualTo((10, 3, false)));
                IndexOracle.AssertMatches(ahead, other.Tip, w);
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}

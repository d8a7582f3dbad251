using HealthLedger.Core.State;
using HealthLedger.Storage.RocksDb;

namespace HealthLedger.Tests.State;

/// <summary>Queries running while the index follows the chain read one snapshot: a page is exactly the start of what the chain's state held at the page's tip.</summary>
[TestFixture]
public sealed class LedgerIndexConcurrencyTests
{
    [Test]
    public void A_page_read_during_indexing_matches_the_state_at_its_own_tip()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-index-conc-" + Guid.NewGuid().ToString("N"));
        try
        {
            var w = new IndexWorld();
            var chain = w.Ledger.NewChain();
            using var store = RocksDbKeyValueStore.Open(dir, new RocksDbStoreOptions { SyncWrites = false, BlockCacheBytes = 1 << 20 });
            var index = LedgerIndex.Open(store, new BlockchainIndexSource(chain));
            using var follower = new LedgerIndexFollower(chain, index);
            var writer = Task.Run(() =>
            {
                var rng = new Random(11);
                for (var i = 0; i < 120; i++)
                {
                    if (rng.Next(6) == 0 && chain.Tip.Height > 2)
                    {
                        var parent = chain.GetBestAt(chain.Tip.Height - 2)!;
                        for (var k = 0; k < 3; k++)
                        {
                            var block = w.RandomBlock(parent, rng);
                            chain.AddBlock(block);
                            parent = chain.GetEntry(block.Hash)!;
                        }
                    }
                    else
                    {
                        chain.AddBlock(w.RandomBlock(chain.Tip, rng));
                    }
                }
            });

            var pages = 0;
            while (!writer.IsCompleted || pages == 0)
            {
                var patient = w.Patients[pages % w.Patients.Length].Address;
                var page = index.GetPatientRecords(patient, 5);
                var state = chain.GetEntry(page.At.Hash)!.State;
                var expected = IndexOracle.Sorted(state.Records.Values.Where(r => r.Patient == patient)).Take(5);
                Assert.That(page.Items, Is.EqualTo(expected), $"page {pages} at {page.At}");
                var grants = index.GetProviderGrants(w.Providers[pages % 2].Address, 100);
                var grantState = chain.GetEntry(grants.At.Hash)!.State;
                Assert.That(grants.Items, Is.EquivalentTo(grantState.Grants.Values.SelectMany(g => g.Values).Where(g => g.Grantee == w.Providers[pages % 2].Address)));
                pages++;
            }

            writer.GetAwaiter().GetResult();
            Assert.That(follower.Failures, Is.Zero, follower.LastFailure?.ToString());
            IndexOracle.AssertMatches(index, chain.Tip, w);
            TestContext.Out.WriteLine($"{pages} pages read while indexing");
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

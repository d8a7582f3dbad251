using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

/// <summary>A fresh consortium ledger and in-memory network per test, and gossip nodes on the ledger's manual clock.</summary>
public abstract class GossipFixture
{
    private protected TestLedger _t = null!;
    private protected InMemoryNetwork _net = null!;

    [SetUp]
    public void SetUpLedgerAndNetwork()
    {
        _t = new TestLedger();
        _net = new InMemoryNetwork();
    }

    /// <summary>A gossip node on <paramref name="chain"/> (a fresh chain when null), seeded by its name.</summary>
    private protected GossipNode NewNode(string name, Blockchain? chain = null, GossipOptions? options = null)
    {
        chain ??= _t.NewChain();
        return new GossipNode(name, chain, new TransactionPool(chain, _t.Time), options, time: _t.Time, random: new Random(name.Sum(ch => ch)));
    }
}

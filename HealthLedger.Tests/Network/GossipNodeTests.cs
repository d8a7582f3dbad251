using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class GossipNodeTests
{
    private TestLedger _t = null!;
    private InMemoryNetwork _net = null!;

    [SetUp]
    public void SetUp()
    {
        _t = new TestLedger();
        _net = new InMemoryNetwork();
    }

    private GossipNode NewNode(string name, int syncBatch = 200)
    {
        var chain = _t.NewChain();
        return new GossipNode(name, chain, new TransactionPool(chain, _t.Time), new GossipOptions { SyncBatch = syncBatch });
    }

    private void Link(GossipNode a, GossipNode b, LinkFaults? faults = null)
    {
        var (ab, ba) = _net.Connect(a.Name, b.Name, faults);
        a.Attach(ab);
        b.Attach(ba);
    }

    [Test]
    public void A_new_peer_syncs_a_long_chain_in_batches()
    {
        var a = NewNode("a", syncBatch: 8);
        _t.Extend(a.Chain, a.Chain.Tip, 30);
        var b = NewNode("b", syncBatch: 8);

        Link(a, b, new LinkFaults { Fragment = true, Seed = 3 });
        _net.Pump();

        Assert.That(b.Chain.Tip.Hash, Is.EqualTo(a.Chain.Tip.Hash));
        Assert.That(b.Chain.Height, Is.EqualTo(30UL));
    }

    [Test]
    public void Blocks_and_transactions_gossip_across_a_line_of_three()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        var c = NewNode("c");
        Link(a, b);
        Link(b, c);
        _net.Pump();

        var tx = _t.RegisterPatient();
        Assert.That(a.PublishTransaction(tx).Accepted, Is.True);
        _net.Pump();
        Assert.That(c.Pool.Contains(tx.Id), Is.True);

        var block = _t.MakeBlock(a.Chain.Tip, a.Pool.SelectForBlock(10));
        a.PublishBlock(block);
        _net.Pump();
        Assert.That(c.Chain.Tip.Hash, Is.EqualTo(block.Hash));
        Assert.That(c.Pool.Count, Is.Zero, "the mined transaction left every pool");
    }

    [Test]
    public void A_peer_sending_garbage_is_disconnected_and_nothing_accepted_changes()
    {
        var a = NewNode("a");
        _t.Extend(a.Chain, a.Chain.Tip, 3);
        var tip = a.Chain.Tip.Hash;
        var (toA, fromA) = _net.Connect("evil", "a");
        var session = a.Attach(fromA);

        toA.Send(new byte[] { 0x05, 0, 0, 0, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1 });
        _net.Pump();

        Assert.That(session.Link.IsOpen, Is.False);
        Assert.That(session.DisconnectReason, Does.StartWith("malformed frame"));
        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(tip));
    }

    [Test]
    public void A_peer_relaying_invalid_blocks_is_scored_then_disconnected()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        for (var i = 0; i < 2; i++)
        {
            var bad = _t.MakeBlock(a.Chain.Tip, nonce: TestEngine.BadNonce, timestampMs: _t.Time.NowMs - 5000 + i);
            evil.Send(new NewBlockMessage(bad.Encode().ToArray()));
            _net.Pump();
        }

        Assert.That(evil.Session.Score, Is.GreaterThanOrEqualTo(100));
        Assert.That(evil.Session.Link.IsOpen, Is.False);
        Assert.That(a.Chain.Height, Is.Zero);
    }

    [Test]
    public void A_peer_on_another_genesis_is_refused()
    {
        var a = NewNode("a");
        var other = new TestLedger(configure: g => g with { ChainId = 99 });
        var chain = other.NewChain();
        var b = new GossipNode("b", chain, new TransactionPool(chain, other.Time));
        Link(a, b);
        _net.Pump();

        Assert.That(a.Peers, Is.Empty);
        Assert.That(b.Peers, Is.Empty);
    }

    [Test]
    public void After_a_partition_heals_a_request_sync_converges_both_sides()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        Link(a, b);
        _net.Pump();
        foreach (var peer in a.Peers)
        {
            peer.Link.Close();
        }

        _t.Extend(a.Chain, a.Chain.Tip, 2, nonceSalt: 1);
        _t.Extend(b.Chain, b.Chain.Tip, 4, nonceSalt: 9);
        Link(a, b);
        _net.Pump();

        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(b.Chain.Tip.Hash));
        Assert.That(a.Chain.Height, Is.EqualTo(4UL));
    }
}

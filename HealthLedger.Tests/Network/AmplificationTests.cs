using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
[Category("Slow")]
public sealed class AmplificationTests
{
    private const int ChainLength = 60;
    private TestLedger _t = null!;
    private Blockchain _source = null!;
    private InMemoryNetwork _net = null!;

    [OneTimeSetUp]
    public void BuildChainOf100KiBBlocks()
    {
        _t = BulkChain.Ledger();
        _source = BulkChain.NewChain(_t);
        BulkChain.Build(_t, _source, ChainLength, 100 * 1024);
    }

    [SetUp]
    public void SetUp()
    {
        _net = new InMemoryNetwork();
        _t.Time.Advance(TimeSpan.FromMinutes(1)); // every test starts with fresh budget windows
    }

    private GossipNode Node(string name, Blockchain chain, GossipOptions? options = null) =>
        new(name, chain, new TransactionPool(chain, _t.Time), options, time: _t.Time, random: new Random(name.Sum(ch => ch)));

    private GetBlocksMessage FromGenesis => new([_source.GenesisEntry.Hash], BlocksMessage.MaxBlocks);

    [Test]
    public void The_worst_block_request_gets_a_byte_capped_response_and_costs_the_responder_about_its_size()
    {
        var a = Node("a", _source);
        using var evil = new RawPeer(_net, a).Hello();
        evil.Send(FromGenesis);
        _net.Pump(); // warm the shared pool, as a long-running node's is
        evil.Clear();

        evil.Send(FromGenesis);
        var before = GC.GetAllocatedBytesForCurrentThread();
        _net.Pump(maxSteps: 1); // only the 44-byte request: decode, build, encode and queue the response
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        _net.Pump();

        var response = evil.Received.OfType<BlocksMessage>().Single();
        var body = MessageCodec.BlocksBodySize(response.EncodedBlocks.Select(b => b.Length));
        TestContext.Out.WriteLine($"request {MessageCodec.EncodeFrame(FromGenesis).Length} B -> {response.EncodedBlocks.Count} blocks, {body:N0} B; responder allocated {allocated:N0} B");
        Assert.That(body, Is.LessThanOrEqualTo(new GossipOptions().SyncResponseBytes), "capped by the byte budget");
        Assert.That(body, Is.LessThanOrEqualTo(a.MaxResponseBytes));
        Assert.That(response.EncodedBlocks, Has.Count.LessThan(ChainLength), "the cap, not the chain's end, stopped it");
        Assert.That(allocated, Is.LessThanOrEqualTo(body + (64 * 1024)), "one copy of the response and a small constant");
    }

    [Test]
    public void Block_requests_over_the_per_peer_rate_are_refused_with_a_typed_reject_then_scored()
    {
        var a = Node("a", _source, new GossipOptions { MaxRequestsPerWindow = 3 });
        using var peer = new RawPeer(_net, a, "greedy").Hello();
        var atTip = new GetBlocksMessage([_source.Tip.Hash], 10);
        for (var i = 0; i < 5; i++)
        {
            peer.Send(atTip);
        }

        _net.Pump();

        Assert.That(peer.Received.OfType<BlocksMessage>().Count(), Is.EqualTo(3));
        Assert.That(peer.Rejects.Select(r => r.Code), Is.EqualTo(new[] { (ushort)NetworkRejectCode.RateLimited, (ushort)NetworkRejectCode.RateLimited }));
        Assert.That(peer.Session.Penalties.Select(p => p.Offence), Is.EqualTo(new[] { PeerOffence.RequestFlood }), "the first refusal in a window is free");

        _t.Time.Advance(new GossipOptions().BudgetWindow);
        peer.Send(atTip);
        _net.Pump();
        Assert.That(peer.Received.OfType<BlocksMessage>().Count(), Is.EqualTo(4), "served again in the next window");
    }

    [Test]
    public void Response_bytes_over_the_per_peer_budget_are_refused_with_a_typed_reject()
    {
        var probe = Node("probe", _source);
        var a = Node("a", _source, new GossipOptions { MaxServedBytesPerWindow = probe.MaxResponseBytes });
        using var peer = new RawPeer(_net, a, "greedy").Hello();
        peer.Send(FromGenesis);
        peer.Send(FromGenesis);
        _net.Pump();

        Assert.That(peer.Received.OfType<BlocksMessage>().Count(), Is.EqualTo(1));
        var reject = peer.Rejects.Single();
        Assert.That(reject.Code, Is.EqualTo((ushort)NetworkRejectCode.RateLimited));
        Assert.That(reject.Reason, Does.Contain("response bytes"));
    }

    [Test]
    public void A_node_refused_for_budget_resumes_its_sync_after_the_window()
    {
        var probe = Node("probe", _source);
        var a = Node("a", _source, new GossipOptions { MaxServedBytesPerWindow = probe.MaxResponseBytes });
        var b = Node("b", BulkChain.NewChain(_t));
        var (ab, ba) = _net.Connect("a", "b");
        var sa = a.Attach(ab);
        var sb = b.Attach(ba);
        _net.Pump();
        Assert.That(b.Chain.Height, Is.InRange(1UL, (ulong)ChainLength), "one window's worth arrived, then the budget stopped it");

        _t.Time.Advance(new GossipOptions().BudgetWindow);
        b.Maintain();
        _net.Pump();

        Assert.That(b.Chain.Tip.Hash, Is.EqualTo(_source.Tip.Hash));
        Assert.That(new[] { sa.Score, sb.Score }, Is.All.Zero, "an honest requester that waits is never penalised");
    }
}

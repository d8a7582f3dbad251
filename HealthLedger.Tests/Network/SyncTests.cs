using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class SyncTests
{
    private static GossipNode Node(string name, Blockchain chain, TestLedger t, GossipOptions? options = null) =>
        new(name, chain, new TransactionPool(chain, t.Time), options, time: t.Time, random: new Random(name.Sum(ch => ch)));

    private static void SyncFreshNodeFrom(TestLedger t, Blockchain source, ulong expectedHeight)
    {
        var net = new InMemoryNetwork();
        var a = Node("a", source, t);
        var b = Node("b", BulkChain.NewChain(t), t);
        var (ab, ba) = net.Connect("a", "b", new LinkFaults { Fragment = true, Seed = 5 });
        var sa = a.Attach(ab);
        var sb = b.Attach(ba);
        net.Pump();

        Assert.That(b.Chain.Height, Is.EqualTo(expectedHeight));
        Assert.That(b.Chain.Tip.Hash, Is.EqualTo(source.Tip.Hash));
        Assert.That(new[] { sa.Link.IsOpen, sb.Link.IsOpen }, Is.All.True, "nobody was disconnected");
        Assert.That(new[] { sa.Score, sb.Score }, Is.All.Zero, "nobody was penalised");
        Assert.That(a.Bans.Count + b.Bans.Count, Is.Zero, "nobody was banned");
    }

    [Test]
    [Category("Slow")]
    public void A_chain_of_100_KiB_blocks_syncs_completely_to_a_fresh_node_and_nobody_is_banned()
    {
        var t = BulkChain.Ledger();
        var source = BulkChain.NewChain(t);
        BulkChain.Build(t, source, count: 180, blockBytes: 100 * 1024);
        Assert.That(source.GetBestAt(2)!.Block.Encode().Length, Is.InRange(99 * 1024, 100 * 1024));

        SyncFreshNodeFrom(t, source, 181);
    }

    [Test]
    [Category("Slow")]
    public void A_chain_of_near_limit_blocks_syncs_completely_to_a_fresh_node_and_nobody_is_banned()
    {
        var t = BulkChain.Ledger();
        var source = BulkChain.NewChain(t);
        var limit = t.Genesis.Limits.MaxBlockBytes;
        BulkChain.Build(t, source, count: 5, blockBytes: limit - 1024);
        Assert.That(source.GetBestAt(2)!.Block.Encode().Length, Is.InRange(limit - (16 * 1024), limit));

        SyncFreshNodeFrom(t, source, 6);
    }

    [Test]
    public void A_response_budget_smaller_than_one_block_still_sends_one_block_per_response()
    {
        var t = new TestLedger();
        var source = t.NewChain();
        t.Extend(source, source.Tip, 5);
        var net = new InMemoryNetwork();
        var a = Node("a", source, t, new GossipOptions { SyncResponseBytes = 16 });
        var b = Node("b", t.NewChain(), t, new GossipOptions { HeadersFirstSync = false });
        var (ab, ba) = net.Connect("a", "b");
        a.Attach(ab);
        var sb = b.Attach(ba);
        var batches = new List<int>();
        ba.Received += bytes => batches.AddRange(new FrameReader().Feed(bytes.Span).OfType<BlocksMessage>().Select(m => m.EncodedBlocks.Count));
        net.Pump();

        Assert.That(b.Chain.Tip.Hash, Is.EqualTo(source.Tip.Hash));
        Assert.That(batches, Is.EqualTo(new[] { 1, 1, 1, 1, 1, 0 }), "one block per response, then an empty one ends the sync");
        Assert.That(sb.Score, Is.Zero);
    }

    [Test]
    public void The_frame_limit_holds_the_largest_decodable_block_and_its_message_overhead()
    {
        Assert.That((long)Block.MaxEncodedBytes + MessageCodec.MaxBlockMessageOverhead, Is.LessThanOrEqualTo(MessageCodec.MaxBodyBytes));
        var oneBlock = MessageCodec.EncodeBody(new BlocksMessage([new byte[Block.MaxEncodedBytes]]));
        Assert.That(oneBlock.Length, Is.EqualTo(Block.MaxEncodedBytes + MessageCodec.MaxBlockMessageOverhead - 2), "one block: 2 + 1 + 5 bytes around it");
        Assert.That(MessageCodec.BlocksBodySize([Block.MaxEncodedBytes]), Is.EqualTo(oneBlock.Length));
    }

    [TestCase(1, 2)]
    [TestCase(15, 100)]
    [TestCase(16, 300)]
    [TestCase(500, 30_000)]
    public void The_computed_batch_size_equals_the_encoded_size(int blocks, int blockBytes)
    {
        var message = new BlocksMessage([.. Enumerable.Range(0, blocks).Select(_ => new byte[blockBytes])]);
        Assert.That(MessageCodec.BlocksBodySize(message.EncodedBlocks.Select(b => b.Length)), Is.EqualTo(MessageCodec.EncodeBody(message).Length));
    }

    [Test]
    public void A_node_refuses_options_whose_response_budget_cannot_fit_a_frame()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        Assert.Throws<ArgumentException>(() => Node("a", chain, t, new GossipOptions { SyncResponseBytes = MessageCodec.MaxBodyBytes }));
        Assert.Throws<ArgumentException>(() => Node("a", chain, t, new GossipOptions { MaxServedBytesPerWindow = 1024 }));
    }

    [Test]
    public void A_node_refuses_a_genesis_whose_largest_block_cannot_fit_a_frame()
    {
        var t = new TestLedger(configure: g => g with { Limits = g.Limits with { MaxBlockBytes = MessageCodec.MaxBodyBytes } });
        var chain = t.NewChain();
        Assert.Throws<ArgumentException>(() => Node("a", chain, t));
    }
}

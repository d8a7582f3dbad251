using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

/// <summary>Headers-first sync over the in-memory network: headers checked before bodies, bodies from several peers, misbehaviour scored.</summary>
[TestFixture]
public sealed class HeadersFirstSyncTests : GossipFixture
{
    private static readonly GossipOptions SmallBatches = new() { HeadersBatch = 50, MaxBlocksInFlightPerPeer = 8 };

    [Test]
    public void A_fresh_node_syncs_headers_first_from_three_peers_and_downloads_from_each()
    {
        var source = _t.NewChain();
        var tip = _t.Extend(source, source.Tip, 120);
        var servers = Enumerable.Range(0, 3).Select(i => NewNode($"s{i}", Copy(source))).ToList();
        var fresh = NewNode("fresh", options: SmallBatches);
        foreach (var s in servers)
        {
            var (a, b) = _net.Connect(s.Name, fresh.Name);
            s.Attach(a);
            fresh.Attach(b);
        }

        _net.Pump();

        Assert.That(fresh.Chain.Tip.Hash, Is.EqualTo(tip.Hash));
        Assert.That(fresh.BlocksDownloadedFrom.Keys, Is.EquivalentTo(new[] { "s0", "s1", "s2" }), "bodies came from every peer");
        Assert.That(fresh.BlocksDownloadedFrom.Values.Sum(), Is.EqualTo(120));
        Assert.That(fresh.Peers.Select(p => p.Score), Is.All.Zero);
        Assert.That(fresh.PendingHeaderCount, Is.Zero);
        Assert.That(fresh.IsCatchingUp, Is.False);
    }

    [Test]
    public void Headers_that_fail_the_context_free_checks_ban_the_sender_before_any_body_is_asked_for()
    {
        var a = NewNode("a");
        using var evil = TallPeer(a);
        var header = _t.MakeBlock(a.Chain.Tip, threshold: 99, timestampMs: _t.Time.NowMs).Header; // threshold above the genesis bound

        evil.Send(new HeadersMessage([HeaderCodec.Encode(header)]));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Single().Code, Is.EqualTo(RejectionCode.ThresholdOutOfBounds));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);
        Assert.That(evil.Received.OfType<GetBlockDataMessage>(), Is.Empty, "no body asked for a refused header");
        Assert.That(a.PendingHeaderCount, Is.Zero);
    }

    [Test]
    public void Headers_that_do_not_link_ban_the_sender_and_none_is_kept()
    {
        var a = NewNode("a");
        using var evil = TallPeer(a);
        var first = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs).Header;
        var stranger = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs, nonce: 7).Header; // a sibling, not a child

        evil.Send(new HeadersMessage([HeaderCodec.Encode(first), HeaderCodec.Encode(stranger)]));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.InvalidHeaders));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);
        Assert.That(a.PendingHeaderCount, Is.Zero, "one bad header refuses the whole answer");
    }

    [Test]
    public void Headers_nobody_asked_for_are_dropped_and_scored()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        evil.Send(new HeadersMessage([HeaderCodec.Encode(_t.MakeBlock(a.Chain.Tip).Header)]));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.UnsolicitedBlocks));
        Assert.That(a.PendingHeaderCount, Is.Zero);
    }

    [Test]
    public void A_body_that_does_not_match_its_header_bans_the_sender_and_is_asked_of_another_peer()
    {
        var source = _t.NewChain();
        var tip = _t.Extend(source, source.Tip, 3);
        var a = NewNode("a");
        using var evil = TallPeer(a, height: 3);
        evil.Send(HeadersOf(source, 1, 3));
        _net.Pump();
        var asked = evil.Received.OfType<GetBlockDataMessage>().Single();
        Assert.That(asked.Hashes, Has.Count.EqualTo(3));

        // The first block's header with another body: its hash is right, its Merkle root is not.
        var genuine = source.GetBestAt(1)!.Block;
        var forged = new Block(genuine.Header, [_t.RegisterPatient()]);
        evil.Send(new BlockDataMessage([forged.Encode().ToArray()]));
        _net.Pump();
        Assert.That(evil.Session.Penalties.Single().Code, Is.EqualTo(RejectionCode.BadMerkleRoot));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);

        var honest = NewNode("honest", source);
        var (x, y) = _net.Connect("honest", "a");
        honest.Attach(x);
        a.Attach(y);
        _net.Pump();
        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(tip.Hash));
    }

    [Test]
    public void A_block_request_a_peer_leaves_unanswered_is_asked_of_another_peer_after_the_timeout()
    {
        var source = _t.NewChain();
        var tip = _t.Extend(source, source.Tip, 20);
        var a = NewNode("a", options: SmallBatches);
        using var mute = TallPeer(a, "mute", height: 20);
        mute.Send(HeadersOf(source, 1, 20));
        _net.Pump();
        Assert.That(mute.Received.OfType<GetBlockDataMessage>().Single().Hashes, Has.Count.EqualTo(8), "at most the per-peer in-flight limit");

        var honest = NewNode("honest", source);
        var (x, y) = _net.Connect("honest", "a");
        honest.Attach(x);
        a.Attach(y);
        _net.Pump();
        Assert.That(a.Chain.Height, Is.EqualTo(0UL), "the mute peer holds the first blocks: nothing connects out of order");
        Assert.That(a.BlocksDownloadedFrom["honest"], Is.EqualTo(12), "the honest peer served the rest");

        _t.Time.Advance(new GossipOptions().BlockRequestTimeout);
        a.Maintain();
        _net.Pump();

        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(tip.Hash));
        Assert.That(a.BlocksDownloadedFrom["honest"], Is.EqualTo(20));
        Assert.That(mute.Session.Link.IsOpen, Is.True, "a slow peer loses its work, not its connection");
    }

    [Test]
    public void Headers_whose_bodies_nobody_serves_are_dropped_after_three_failed_fetches()
    {
        var elsewhere = _t.NewChain();
        _t.Extend(elsewhere, elsewhere.Tip, 10);
        var a = NewNode("a");
        using var teaser = TallPeer(a, "teaser", height: 10);
        teaser.Send(HeadersOf(elsewhere, 1, 10));
        _net.Pump();
        Assert.That(a.PendingHeaderCount, Is.EqualTo(10));
        Assert.That(a.IsCatchingUp, Is.True, "checked headers above our tip: a miner holds off");

        for (var round = 1; round <= 3; round++)
        {
            Assert.That(teaser.Received.OfType<GetBlockDataMessage>().Count(), Is.EqualTo(round), "asked again (no one else can serve)");
            teaser.Send(new BlockDataMessage([])); // "I have none of them"
            _net.Pump();
        }

        Assert.That(a.PendingHeaderCount, Is.Zero, "unservable headers do not keep the store (and header sync) blocked");
        Assert.That(a.IsCatchingUp, Is.False, "nor do they keep a miner waiting");
        Assert.That(teaser.Session.Score, Is.Zero, "leaving blocks out is not an offence");
    }

    [Test]
    public void Block_data_nobody_asked_for_is_dropped_and_scored()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        evil.Send(new BlockDataMessage([_t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs).Encode().ToArray()]));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.UnsolicitedBlocks));
        Assert.That(a.Chain.Height, Is.Zero);
    }

    [Test]
    public void A_header_request_is_answered_with_best_chain_headers_after_the_locator_within_the_count_asked()
    {
        var source = _t.NewChain();
        _t.Extend(source, source.Tip, 30);
        var a = NewNode("a", source);
        using var peer = new RawPeer(_net, a).Hello();
        peer.Send(new GetHeadersMessage([source.GetBestAt(10)!.Hash, source.GenesisEntry.Hash], 5));
        _net.Pump();

        var headers = peer.Received.OfType<HeadersMessage>().Single().EncodedHeaders.Select(b => HeaderCodec.Decode(b)).ToList();
        Assert.That(headers.Select(h => h.Height), Is.EqualTo(new ulong[] { 11, 12, 13, 14, 15 }));
    }

    [Test]
    public void An_answer_that_follows_a_locator_entry_we_have_forgotten_since_asking_costs_the_peer_nothing()
    {
        // We asked with a locator led by a pending header; by the time the answer came nobody had served that header's
        // body three times and it was dropped. The answer follows our own locator: not the peer's fault (in the
        // four-process demo this banned a restarted validator from every peer).
        var elsewhere = _t.NewChain();
        _t.Extend(elsewhere, elsewhere.Tip, 12);
        var a = NewNode("a");
        using var teaser = TallPeer(a, "teaser", height: 12);
        teaser.Send(HeadersOf(elsewhere, 1, 10));
        _net.Pump();
        Assert.That(a.PendingHeaderCount, Is.EqualTo(10));

        teaser.Send(new NewBlockMessage(elsewhere.GetBestAt(12)!.Block.Encode().ToArray())); // parentless here: ask again
        _net.Pump();
        var ask = teaser.Received.OfType<GetHeadersMessage>().Last();
        Assert.That(ask.Locator[0], Is.EqualTo(elsewhere.GetBestAt(10)!.Hash), "the locator starts at our highest pending header");

        for (var round = 1; round <= 3; round++)
        {
            teaser.Send(new BlockDataMessage([]));
            _net.Pump();
        }

        Assert.That(a.PendingHeaderCount, Is.Zero, "the pending headers were dropped while the question was out");
        teaser.Send(HeadersOf(elsewhere, 11, 11));
        _net.Pump();

        Assert.That(teaser.Session.Score, Is.Zero);
        Assert.That(teaser.Link.IsOpen, Is.True);
    }

    [Test]
    public void An_answer_that_follows_nothing_in_our_locator_is_still_penalised()
    {
        var elsewhere = _t.NewChain();
        _t.Extend(elsewhere, elsewhere.Tip, 12);
        var a = NewNode("a");
        using var evil = TallPeer(a);

        evil.Send(HeadersOf(elsewhere, 11, 11));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Select(p => p.Code), Has.Member(RejectionCode.UnknownParent));
    }

    [Test]
    public void Bodies_are_asked_of_the_peer_that_announced_their_headers_before_a_taller_peer_that_never_did()
    {
        // A branch only one peer holds (it mined alone for a while): a taller peer that never announced those headers
        // is idle too, and asking it first failed three times and dropped the branch.
        var elsewhere = _t.NewChain();
        _t.Extend(elsewhere, elsewhere.Tip, 5);
        var a = NewNode("a");
        using var tall = TallPeer(a, "tall", height: 100);
        using var owner = TallPeer(a, "owner", height: 5);

        owner.Send(HeadersOf(elsewhere, 1, 5));
        _net.Pump();

        Assert.That(owner.Received.OfType<GetBlockDataMessage>().SelectMany(m => m.Hashes).Count(), Is.EqualTo(5), "the announcer is asked for every body");
        Assert.That(tall.Received.OfType<GetBlockDataMessage>(), Is.Empty);
    }

    [Test]
    public void A_node_asked_again_on_every_parentless_block_paces_its_requests_below_the_peers_budget_and_resumes_after_the_window()
    {
        // Behind fast blocks, every relayed block is parentless here and used to trigger another header request: an
        // honest node sent its peers more than their 50 requests per window and was banned by all of them.
        var elsewhere = _t.NewChain();
        _t.Extend(elsewhere, elsewhere.Tip, 120);
        var a = NewNode("a");
        using var peer = TallPeer(a, "ahead", height: 120);
        var options = new GossipOptions();

        var answered = 0;
        void AnswerWhatWasAsked()
        {
            for (; answered < peer.Received.OfType<GetHeadersMessage>().Count(); answered++)
            {
                peer.Send(new HeadersMessage([])); // nothing new: the request is answered, the next may go out
            }

            _net.Pump();
        }

        for (var h = 2UL; h <= 101; h++)
        {
            AnswerWhatWasAsked();
            peer.Send(new NewBlockMessage(elsewhere.GetBestAt(h)!.Block.Encode().ToArray()));
            _net.Pump();
        }

        var asked = peer.Received.OfType<GetHeadersMessage>().Count();
        Assert.That(asked, Is.LessThanOrEqualTo(options.MaxRequestsPerWindow / 2), "half the peer's budget per window at most");
        Assert.That(peer.Session.Score, Is.Zero);

        AnswerWhatWasAsked();
        _t.Time.Advance(options.BudgetWindow);
        a.Maintain();
        _net.Pump();
        Assert.That(peer.Received.OfType<GetHeadersMessage>().Count(), Is.GreaterThan(asked), "asked again once the window has passed");
    }

    /// <summary>A headers answer holding <paramref name="chain"/>'s best-chain headers from height <paramref name="first"/> to <paramref name="last"/>.</summary>
    private static HeadersMessage HeadersOf(Blockchain chain, ulong first, ulong last) =>
        new([.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(h => HeaderCodec.Encode(chain.GetBestAt((ulong)h)!.Header))]);

    /// <summary>A raw peer past the handshake that claims a taller chain, so the node asks it for headers.</summary>
    private RawPeer TallPeer(GossipNode node, string name = "evil", ulong height = 50)
    {
        var peer = new RawPeer(_net, node, name);
        peer.Send(RawPeer.HelloFor(node) with { Height = height, TipHash = Hash256.Sha256("far ahead"u8) });
        _net.Pump();
        Assert.That(peer.Received.OfType<GetHeadersMessage>().Count(), Is.EqualTo(1), "a taller peer is asked for headers");
        return peer;
    }

    /// <summary>A fresh chain holding the same blocks.</summary>
    private Blockchain Copy(Blockchain source)
    {
        var copy = _t.NewChain();
        for (var h = 1UL; h <= source.Height; h++)
        {
            Assert.That(copy.AddBlock(source.GetBestAt(h)!.Block).Status, Is.EqualTo(BlockStatus.Connected));
        }

        return copy;
    }
}

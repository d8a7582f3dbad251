using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class HandshakeTests : GossipFixture
{
    [Test]
    public void A_peer_that_never_says_hello_gets_nothing_admitted_relayed_or_answered()
    {
        var a = NewNode("a");
        var c = NewNode("c");
        var (ac, ca) = _net.Connect("c", "a");
        a.Attach(ca);
        c.Attach(ac);
        _t.Extend(a.Chain, a.Chain.Tip, 3);
        using var evil = new RawPeer(_net, a);
        _net.Pump();
        var tx = _t.RegisterPatient();
        var block = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs);

        evil.Send(new NewTransactionMessage(tx.Encode().ToArray()));
        evil.Send(new GetBlocksMessage([a.Chain.GenesisEntry.Hash], 10));
        evil.Send(new NewBlockMessage(block.Encode().ToArray()));
        evil.Send(new PingMessage(1));
        _net.Pump();

        Assert.That(a.Pool.Contains(tx.Id), Is.False, "not admitted");
        Assert.That(c.Pool.Contains(tx.Id), Is.False, "not relayed");
        Assert.That(a.Chain.Height, Is.EqualTo(3UL), "its block was not offered to the chain");
        Assert.That(evil.Received.Select(m => m.Type), Is.EqualTo(new[] { MessageType.Hello }), "only our hello: no blocks, no pong");
        Assert.That(evil.Session.Penalties.Select(p => p.Offence), Is.EqualTo(Enumerable.Repeat(PeerOffence.MessageBeforeHandshake, 4)));
        Assert.That(evil.Session.Score, Is.EqualTo(40));

        evil.Hello();
        evil.Send(new NewTransactionMessage(tx.Encode().ToArray()));
        _net.Pump();
        Assert.That(a.Pool.Contains(tx.Id), Is.True, "the same transaction is admitted once the handshake is done");
        Assert.That(c.Pool.Contains(tx.Id), Is.True, $"and relayed (c at {c.Chain.Height}, {c.Pool.Submit(tx).Validation})");
    }

    [Test]
    public void A_peer_that_keeps_talking_without_a_hello_is_banned()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a);
        for (var i = 0; i < 10; i++)
        {
            evil.Send(new PingMessage((ulong)i));
        }

        _net.Pump();

        Assert.That(evil.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Misbehaviour));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);
    }

    [TestCase(2u, TestLedger.ChainId, true, NetworkRejectCode.UnsupportedProtocolVersion, TestName = "A_hello_with_another_protocol_version_is_refused")]
    [TestCase(1u, 99u, true, NetworkRejectCode.WrongChain, TestName = "A_hello_for_another_chain_id_is_refused")]
    [TestCase(1u, TestLedger.ChainId, false, NetworkRejectCode.WrongGenesis, TestName = "A_hello_with_another_genesis_is_refused")]
    public void A_mismatched_hello_is_refused_with_a_typed_reject_and_the_link_closed(uint version, uint chainId, bool sameGenesis, NetworkRejectCode expected)
    {
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "stranger");
        var genesis = sameGenesis ? a.Chain.GenesisEntry.Hash : Hash256.Sha256("another genesis"u8);

        peer.Send(new HelloMessage(version, chainId, genesis, 0, genesis, 7));
        _net.Pump();

        Assert.That(peer.Session.DisconnectCode, Is.EqualTo(expected));
        Assert.That(peer.Link.IsOpen, Is.False);
        Assert.That(peer.Rejects.Select(r => r.Code), Is.EqualTo(new[] { (ushort)expected }));
        Assert.That(peer.Session.HandshakeComplete, Is.False);
        Assert.That(a.Bans.IsBanned("stranger", out _), Is.False, "another chain is not misbehaviour");
    }

    [Test]
    public void A_connection_to_itself_is_refused()
    {
        var a = NewNode("a");
        var (one, two) = _net.Connect("a", "a");
        var s1 = a.Attach(one);
        var s2 = a.Attach(two);
        _net.Pump();

        Assert.That(new[] { s1.DisconnectCode, s2.DisconnectCode }, Has.Member(NetworkRejectCode.SelfConnection));
        Assert.That(a.Peers, Is.Empty);
    }

    [Test]
    public void A_peer_that_does_not_say_hello_in_time_is_disconnected()
    {
        var a = NewNode("a");
        using var slow = new RawPeer(_net, a, "slow");
        _net.Pump();

        _t.Time.Advance(TimeSpan.FromSeconds(9));
        a.Maintain();
        Assert.That(slow.Link.IsOpen, Is.True, "still within the timeout");

        _t.Time.Advance(TimeSpan.FromSeconds(1));
        a.Maintain();
        Assert.That(slow.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.HandshakeTimeout));
        Assert.That(slow.Link.IsOpen, Is.False);
    }

    [Test]
    public void A_second_hello_is_ignored_and_scored()
    {
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "chatty").Hello();
        peer.Send(new HelloMessage(1, 99, Hash256.Sha256("x"u8), 0, Hash256.Sha256("x"u8), 8));
        _net.Pump();

        Assert.That(peer.Link.IsOpen, Is.True, "the second hello did not re-run the handshake");
        Assert.That(peer.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.DuplicateHello));
    }

    [Test]
    public void The_hello_round_trips_with_its_nonce_and_reserved_authentication_field()
    {
        var hello = new HelloMessage(1, 7, Hash256.Sha256("g"u8), 3, Hash256.Sha256("t"u8), ulong.MaxValue) { NodeAuth = new byte[96] };
        var back = (HelloMessage)MessageCodec.DecodeBody(MessageCodec.EncodeBody(hello));

        Assert.That(back.Nonce, Is.EqualTo(ulong.MaxValue));
        Assert.That(back.NodeAuth.Length, Is.EqualTo(96));
        Assert.Throws<HealthLedger.Core.Encoding.LedgerFormatException>(() =>
            MessageCodec.DecodeBody(MessageCodec.EncodeBody(hello with { NodeAuth = new byte[MessageCodec.MaxNodeAuthBytes + 1] })));
    }

    [Test]
    public void Pings_over_the_per_peer_budget_are_dropped_and_scored()
    {
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "pinger").Hello();
        var budget = new GossipOptions().MaxControlMessagesPerWindow;
        for (var i = 0; i <= budget; i++)
        {
            peer.Send(new PingMessage((ulong)i));
        }

        _net.Pump();

        Assert.That(peer.Received.OfType<PongMessage>().Count(), Is.EqualTo(budget));
        Assert.That(peer.Session.Penalties.Select(p => p.Offence), Is.EqualTo(new[] { PeerOffence.ControlFlood }));
    }

    [TestCase(true, TestName = "A_header_request_the_peer_never_answers_is_forgotten_after_the_sync_timeout")]
    [TestCase(false, TestName = "A_block_request_the_peer_never_answers_is_forgotten_after_the_sync_timeout")]
    public void An_unanswered_catch_up_request_is_forgotten_after_the_sync_timeout(bool headersFirst)
    {
        var a = NewNode("a", options: new GossipOptions { HeadersFirstSync = headersFirst });
        using var mute = new RawPeer(_net, a, "mute");
        int Requests() => headersFirst ? mute.Received.OfType<GetHeadersMessage>().Count() : mute.Received.OfType<GetBlocksMessage>().Count();
        mute.Send(new HelloMessage(1, TestLedger.ChainId, a.Chain.GenesisEntry.Hash, 50, Hash256.Sha256("far ahead"u8), 9));
        _net.Pump();
        Assert.That(Requests(), Is.EqualTo(1), "a taller peer is asked for what it has");

        a.RequestSync();
        _net.Pump();
        Assert.That(Requests(), Is.EqualTo(1), "one request in flight per peer");

        _t.Time.Advance(new GossipOptions().SyncTimeout);
        a.Maintain();
        a.RequestSync();
        _net.Pump();
        Assert.That(Requests(), Is.EqualTo(2), "asked again once the first request timed out");
    }
}

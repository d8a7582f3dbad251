using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class BlockPenaltyTests : GossipFixture
{
    [TestCase(RejectionCode.InsufficientProofOfWork, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.WrongTarget, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.MalformedEncoding, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.TooLarge, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.BadMerkleRoot, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.HeightMismatch, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.MinerNotRegistered, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.InvalidSignature, PeerOffence.WorklessBlock, 100)]
    [TestCase(RejectionCode.BadSealFields, PeerOffence.InvalidSeal, 100)]
    [TestCase(RejectionCode.InvalidSealSignature, PeerOffence.InvalidSeal, 100)]
    [TestCase(RejectionCode.BadSequence, PeerOffence.InvalidBlock, 50)]
    [TestCase(RejectionCode.TimestampTooOld, PeerOffence.InvalidBlock, 50)]
    [TestCase(RejectionCode.TimestampTooFarInFuture, PeerOffence.FutureBlock, 5)]
    public void A_block_refusal_costs_the_sender_by_what_the_block_cost_to_make(RejectionCode code, PeerOffence offence, int points) =>
        Assert.That(BlockPenaltyPolicy.Classify(code, new GossipOptions()), Is.EqualTo((offence, points)));

    [TestCase(RejectionCode.UnknownParent)]
    [TestCase(RejectionCode.AlreadyKnown)]
    [TestCase(RejectionCode.KnownInvalid)]
    [TestCase(RejectionCode.ConflictsWithFinalizedBlock)]
    public void A_refusal_an_honest_peer_can_cause_costs_nothing(RejectionCode code) =>
        Assert.That(BlockPenaltyPolicy.Classify(code, new GossipOptions()), Is.Null);

    [Test]
    public void A_block_without_work_bans_its_sender_at_once()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        var bad = _t.MakeBlock(a.Chain.Tip, nonce: TestEngine.BadNonce, timestampMs: _t.Time.NowMs);

        evil.Send(new NewBlockMessage(bad.Encode().ToArray()));
        _net.Pump();

        var penalty = evil.Session.Penalties.Single();
        Assert.That((penalty.Offence, penalty.Code), Is.EqualTo((PeerOffence.WorklessBlock, RejectionCode.InsufficientProofOfWork)));
        Assert.That(evil.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Misbehaviour));
        Assert.That(evil.Rejects.Select(r => r.Code), Is.EqualTo(new[] { (ushort)RejectionCode.InsufficientProofOfWork, (ushort)NetworkRejectCode.Misbehaviour }));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);
    }

    [Test]
    public void A_peer_relaying_its_new_blocks_while_we_are_behind_it_is_not_scored_for_parentless_blocks()
    {
        // The peer's chain is 100 blocks ahead of ours (we restarted): it told us so in its hello, and relays the last 40
        // of them, each parentless here, over twice the orphan budget in one window.
        var source = _t.NewChain();
        var ahead = _t.Extend(source, source.Tip, 100);
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "ahead");
        peer.Send(RawPeer.HelloFor(a) with { Height = 100, TipHash = ahead.Hash });
        _net.Pump();
        for (var h = 61UL; h <= 100; h++)
        {
            peer.Send(new NewBlockMessage(source.GetBestAt(h)!.Block.Encode().ToArray()));
        }

        _net.Pump();

        Assert.That(peer.Session.Penalties, Is.Empty, "an honest peer ahead of us is not scored for relaying its tip");
        Assert.That(peer.Link.IsOpen, Is.True);
        Assert.That(a.Chain.OrphanCount, Is.LessThanOrEqualTo(new GossipOptions().MaxOrphansPerWindow), "what it relayed beyond the budget is not held");
        Assert.That(ahead.Height, Is.EqualTo(100UL));
    }

    [Test]
    public void A_peer_relaying_its_own_branch_below_our_tip_is_asked_for_it_and_not_scored_for_parentless_blocks()
    {
        // A validator restarted and mined alone for a while: its branch forks at #10 and its first block there never
        // reached us. It relays the next 18 of its blocks, each parentless here, below our tip, over the orphan budget.
        // Scoring them banned that honest validator from every peer in the four-process demo (it never rejoined).
        var source = _t.NewChain();
        var common = _t.Extend(source, source.Tip, 10);
        var ours = _t.Extend(source, common, 20);
        var theirs = _t.Extend(source, common, 19, nonceSalt: 7);
        var a = NewNode("a", ChainOf(ours));
        using var peer = new RawPeer(_net, a, "alone");
        peer.Send(RawPeer.HelloFor(a) with { Height = theirs.Height, TipHash = theirs.Hash });
        _net.Pump();

        var branch = Ancestry(theirs).Where(e => e.Height >= 12).ToList();
        Assert.That(branch, Has.Count.GreaterThan(new GossipOptions().MaxOrphansPerWindow));
        foreach (var e in branch)
        {
            peer.Send(new NewBlockMessage(e.Block.Encode().ToArray()));
        }

        _net.Pump();

        Assert.That(peer.Session.Penalties, Is.Empty, "parentless blocks of an honest branch cost nothing");
        Assert.That(peer.Link.IsOpen, Is.True);
        Assert.That(a.Bans.IsBanned("alone", out _), Is.False);
        Assert.That(a.Chain.OrphanCount, Is.LessThanOrEqualTo(new GossipOptions().MaxOrphansPerWindow), "what it relayed beyond the budget is not held");
        Assert.That(peer.Received.OfType<GetHeadersMessage>(), Is.Not.Empty, "the peer is asked for what leads to its blocks");
        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(ours.Hash));
    }

    private Blockchain ChainOf(ChainEntry tip)
    {
        var chain = _t.NewChain();
        foreach (var e in Ancestry(tip).Where(e => e.Height > 0).OrderBy(e => e.Height))
        {
            Assert.That(chain.AddBlock(e.Block).IsAccepted, Is.True);
        }

        return chain;
    }

    private static IEnumerable<ChainEntry> Ancestry(ChainEntry tip)
    {
        for (var e = tip; e is not null; e = e.Parent)
        {
            yield return e;
        }
    }

    [Test]
    public void Five_thousand_parentless_blocks_without_work_are_bounded_and_cost_the_sender_its_connection()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        _net.Pump();
        for (var i = 0; i < 5_000; i++)
        {
            var header = new BlockHeader(
                BlockHeader.CurrentVersion, TestLedger.ChainId, 7, _t.Time.NowMs, Hash256.Sha256(BitConverter.GetBytes(i)), MerkleTree.ComputeRoot([]),
                _t.Genesis.Consensus.InitialTargetBits, 1, _t.Genesis.Engine, _t.Validators[0].PublicKey, TestEngine.BadNonce, Signature.Empty);
            evil.Send(new NewBlockMessage(new Block(header, []).Encode().ToArray()));
        }

        _net.Pump();

        var options = new GossipOptions();
        Assert.That(a.Chain.OrphanCount, Is.LessThanOrEqualTo(options.MaxOrphansPerWindow), "one peer filled no more than its orphan budget");
        // Above our tip + 1 they are dropped unheld and unscored as orphans (an honest peer relays such blocks while we
        // catch up); the new-block budget then scores the flood.
        Assert.That(evil.Session.Penalties.Select(p => p.Offence), Has.All.EqualTo(PeerOffence.BlockFlood));
        Assert.That(evil.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Misbehaviour));
        Assert.That(a.Bans.IsBanned("evil", out _), Is.True);
        Assert.That(evil.Received.OfType<GetBlocksMessage>().Count(), Is.LessThanOrEqualTo(1), "orphans do not each trigger a request");
    }

    [Test]
    public void An_honest_peer_racing_ahead_is_asked_for_the_parent_and_not_penalised()
    {
        var a = NewNode("a");
        var b = NewNode("b");
        var (ab, ba) = _net.Connect("a", "b");
        var sa = a.Attach(ab);
        var sb = b.Attach(ba);
        _net.Pump();

        _t.Extend(b.Chain, b.Chain.Tip, 2);
        _t.Time.Advance(TimeSpan.FromSeconds(1));
        b.PublishBlock(_t.MakeBlock(b.Chain.Tip, timestampMs: _t.Time.NowMs));
        _net.Pump();

        Assert.That(a.Chain.Height, Is.EqualTo(3UL), $"orphans {a.Chain.OrphanCount}, penalties {string.Join(";", sa.Penalties)} / {string.Join(";", sb.Penalties)}");
        Assert.That(a.Chain.Tip.Hash, Is.EqualTo(b.Chain.Tip.Hash));
        Assert.That(new[] { sa.Score, sb.Score }, Is.All.Zero);
    }

    [Test]
    public void A_block_from_the_future_costs_a_small_score_and_no_ban()
    {
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "skewed").Hello();
        var early = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs + 60_000);

        peer.Send(new NewBlockMessage(early.Encode().ToArray()));
        _net.Pump();

        var penalty = peer.Session.Penalties.Single();
        Assert.That((penalty.Offence, penalty.Points, penalty.Code), Is.EqualTo((PeerOffence.FutureBlock, 5, RejectionCode.TimestampTooFarInFuture)));
        Assert.That(peer.Link.IsOpen, Is.True);
    }

    [Test]
    public void A_junk_seal_copy_costs_its_sender_but_not_the_peer_relaying_the_sealed_block()
    {
        var chain = new Blockchain(_t.Genesis, new SealCheckingEngine(), new InMemoryBlockStore(), _t.Time);
        var a = NewNode("a", chain);
        using var evil = new RawPeer(_net, a).Hello();
        using var honest = new RawPeer(_net, a, "honest").Hello();
        var good = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs);
        var junk = new Block(WithSeal(good.Header, new Signature(Enumerable.Repeat((byte)7, Signature.Length).ToArray())), good.Transactions);
        Assume.That(junk.Hash, Is.EqualTo(good.Hash), "the seal is not part of the hash");

        evil.Send(new NewBlockMessage(junk.Encode().ToArray()));
        _net.Pump();
        honest.Send(new NewBlockMessage(good.Encode().ToArray()));
        _net.Pump();

        Assert.That(evil.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.InvalidSeal));
        Assert.That(evil.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Misbehaviour));
        Assert.That(honest.Session.Score, Is.Zero, "whatever the chain says of the hash, the honest relayer is not blamed");
        Assert.That(honest.Link.IsOpen, Is.True);
    }

    [Test]
    public void A_block_batch_nobody_asked_for_is_dropped_and_scored()
    {
        var a = NewNode("a");
        using var evil = new RawPeer(_net, a).Hello();
        var block = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs);

        evil.Send(new BlocksMessage([block.Encode().ToArray()]));
        _net.Pump();

        Assert.That(a.Chain.Height, Is.Zero);
        Assert.That(evil.Session.Penalties.Single().Offence, Is.EqualTo(PeerOffence.UnsolicitedBlocks));
    }

    [Test]
    public void New_block_announcements_over_the_budget_are_dropped_and_only_a_flood_four_times_over_is_scored()
    {
        var a = NewNode("a");
        using var peer = new RawPeer(_net, a, "noisy").Hello();
        var block = _t.MakeBlock(a.Chain.Tip, timestampMs: _t.Time.NowMs);
        var budget = new GossipOptions().MaxNewBlocksPerWindow;
        for (var i = 0; i < 4 * budget; i++)
        {
            peer.Send(new NewBlockMessage(block.Encode().ToArray()));
        }

        _net.Pump();
        Assert.That(peer.Session.Penalties, Is.Empty, "a fast honest relay is dropped past the budget, not punished");

        peer.Send(new NewBlockMessage(block.Encode().ToArray()));
        _net.Pump();
        Assert.That(peer.Session.Penalties.Select(p => p.Offence), Is.EqualTo(new[] { PeerOffence.BlockFlood }), "four budgets in one window is a flood");

        _t.Time.Advance(new GossipOptions().BudgetWindow);
        peer.Send(new NewBlockMessage(block.Encode().ToArray()));
        _net.Pump();
        Assert.That(peer.Session.Penalties, Has.Count.EqualTo(1), "a new window, a new budget");
    }

    private static BlockHeader WithSeal(BlockHeader h, Signature seal) =>
        new(h.Version, h.ChainId, h.Height, h.TimestampMs, h.PreviousHash, h.MerkleRoot, h.TargetBits, h.Threshold, h.Engine, h.Miner, h.Nonce, seal);

    /// <summary>The test engine, except that a proof-of-work header carrying a seal signature is refused as <see cref="RejectionCode.BadSealFields"/>.</summary>
    private sealed class SealCheckingEngine : IConsensusEngine
    {
        private readonly TestEngine _inner = new();

        public ConsensusEngineId Id => _inner.Id;

        public ValidationResult ValidateSeal(BlockHeader header, IChainView parent) =>
            header.Seal != Signature.Empty
                ? ValidationResult.Reject(RejectionCode.BadSealFields, "a proof-of-work header carries a seal signature")
                : _inner.ValidateSeal(header, parent);

        public ValidationResult ValidateHeader(BlockHeader header, GenesisConfig genesis) =>
            header.Seal != Signature.Empty
                ? ValidationResult.Reject(RejectionCode.BadSealFields, "a proof-of-work header carries a seal signature")
                : ValidationResult.Ok;

        public System.Numerics.BigInteger GetWork(BlockHeader header, IChainView parent) => _inner.GetWork(header, parent);

        public uint GetNextTargetBits(IChainView parent) => _inner.GetNextTargetBits(parent);
    }
}

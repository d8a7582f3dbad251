using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Regression tests for the consensus attacks that issue 10 found accepted (symptoms 1, 2a–2d, 4, 9, 12): each one
/// is now refused with a typed result, and the honest chain carries on.
/// </summary>
[TestFixture]
public sealed class ConsensusAttackTests
{
    // ---- Symptom 1: a junk seal poisons a genuine block ----

    [Test]
    public void A_relayed_copy_with_a_junk_seal_does_not_poison_the_genuine_epow_block_or_its_descendants()
    {
        var net = new TestNetwork(nodes: 4, threshold: 1);
        var b1 = net.Mine(0);
        var b2 = net.Mine(0);
        var victim = net.Chains[1];

        var junk1 = WithSeal(b1, new Signature(Enumerable.Repeat((byte)0x5a, Signature.Length).ToArray()));
        var junk2 = WithSeal(b2, net.Keys[0].Sign("not the seal"u8));
        Assert.That(junk1.Hash, Is.EqualTo(b1.Hash), "the seal is not part of the hash");

        Assert.That(victim.AddBlock(junk1).Validation.Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
        Assert.That(victim.AddBlock(junk2).Validation.Code, Is.EqualTo(RejectionCode.InvalidSealSignature), "an orphan with a junk seal is refused before it is held");
        Assert.That(victim.OrphanCount, Is.Zero);

        Assert.That(victim.AddBlock(b2).Status, Is.EqualTo(BlockStatus.Orphan), "the genuine child is not KnownInvalid");
        var r = victim.AddBlock(b1);
        Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected), r.Validation.ToString());
        Assert.That(victim.Tip.Hash, Is.EqualTo(b2.Hash));
    }

    [Test]
    public void A_relayed_copy_with_a_junk_seal_does_not_poison_the_genuine_pow_block()
    {
        var t = new TestLedger();
        var miner = t.NewChain(engine: ProofOfWorkEngine.Instance);
        var victim = t.NewChain(engine: ProofOfWorkEngine.Instance);
        var block = MinePow(t, miner);

        var junk = WithSeal(block, new Signature(Enumerable.Repeat((byte)1, Signature.Length).ToArray()));
        Assert.That(victim.AddBlock(junk).Validation.Code, Is.EqualTo(RejectionCode.BadSealFields));
        Assert.That(victim.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
    }

    // ---- Symptom 2: finality hijacked ----

    [Test]
    public void A_lone_validator_cannot_finalise_its_own_branch_with_a_threshold_of_one()
    {
        var t = new TestLedger(minThreshold: 1);
        var chain = t.NewChain();
        var f = FinaliseOneBlock(t, chain);
        var honestTip = t.Extend(chain, chain.Tip, 6, nonceSalt: 100);

        // Validator 4 (no credit) mines A1 with k = 1 on the last final block and A2 carrying its own vote for A1.
        var a1 = t.MakeBlock(f, threshold: 1, nonce: 9001, miner: 4);
        Assert.That(chain.AddBlock(a1).Status, Is.EqualTo(BlockStatus.SideBranch));
        var a1Entry = chain.GetEntry(a1.Hash)!;
        var a2 = t.MakeBlock(a1Entry, [t.Attest(4, a1Entry, source: f)], threshold: 1, nonce: 9002, miner: 4);
        Assert.That(chain.AddBlock(a2).Status, Is.EqualTo(BlockStatus.SideBranch));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsJustified(a1.Hash), Is.False, "one vote of five is not a quorum, whatever k says");
            Assert.That(chain.LastFinal.Hash, Is.EqualTo(f.Hash));
            Assert.That(chain.Tip.Hash, Is.EqualTo(honestTip.Hash), "six honest blocks are not replaced by two");
        });
        var next = t.MakeBlock(honestTip, nonce: 777);
        Assert.That(chain.AddBlock(next).Status, Is.EqualTo(BlockStatus.Connected), "the honest continuation is accepted");
    }

    [Test]
    public void Three_colluders_cannot_finalise_after_the_validator_set_grew_from_five_to_eleven()
    {
        var t = new TestLedger(minThreshold: 1);
        var chain = t.NewChain();
        var newcomers = GrowValidatorSet(t, chain, 6);
        Assert.That(chain.State.ActiveValidators.Count(), Is.EqualTo(11));
        var f = chain.Tip;
        var a1 = t.MakeBlock(f, threshold: 1, nonce: 501, miner: 2);
        AddBlock(chain, a1);
        var a1Entry = chain.GetEntry(a1.Hash)!;
        var votes = new[] { t.Attest(2, a1Entry), t.Attest(3, a1Entry), t.Tx(newcomers[0], 0, Vote(a1Entry, chain.GenesisEntry)) };
        AddBlock(chain, t.MakeBlock(a1Entry, votes, threshold: 1, nonce: 502, miner: 3));

        Assert.That(FinalityQuorum.Required(11, 1), Is.EqualTo(8));
        Assert.That(chain.IsJustified(a1.Hash), Is.False, "three votes of eleven");
        Assert.That(chain.LastFinal.Height, Is.Zero);
    }

    [Test]
    public void Two_disjoint_groups_of_three_out_of_eleven_cannot_finalise_conflicting_blocks()
    {
        var t = new TestLedger(minThreshold: 1);
        var chain = t.NewChain();
        var newcomers = GrowValidatorSet(t, chain, 6);
        var fork = chain.Tip;
        var a = chain.GetEntry(AddBlock(chain, t.MakeBlock(fork, nonce: 601, miner: 0)))!;
        var b = chain.GetEntry(AddBlock(chain, t.MakeBlock(fork, nonce: 602, miner: 1)))!;
        var groupA = new[] { t.Attest(0, a), t.Attest(1, a), t.Tx(newcomers[0], 0, Vote(a, chain.GenesisEntry)) };
        var groupB = new[] { t.Attest(2, b), t.Attest(3, b), t.Tx(newcomers[1], 0, Vote(b, chain.GenesisEntry)) };
        var a2 = chain.GetEntry(AddBlock(chain, t.MakeBlock(a, groupA, nonce: 603)))!;
        var b2 = chain.GetEntry(AddBlock(chain, t.MakeBlock(b, groupB, nonce: 604)))!;
        AddBlock(chain, t.MakeBlock(a2, [.. groupA.Take(2).Select((_, i) => t.Attest(i, a2, source: a))], nonce: 605));
        AddBlock(chain, t.MakeBlock(b2, [.. new[] { 2, 3 }.Select(i => t.Attest(i, b2, source: b))], nonce: 606));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsJustified(a.Hash) || chain.IsJustified(b.Hash), Is.False);
            Assert.That(chain.LastFinal.Height, Is.Zero, "no split: neither side reaches eight votes");
        });
    }

    [Test]
    public void A_branch_that_presents_the_honest_validators_votes_first_does_not_displace_the_honest_chain()
    {
        var t = new TestLedger(minThreshold: 3);
        var chain = t.NewChain();
        var f = chain.Tip;
        var h1 = chain.GetEntry(AddBlock(chain, t.MakeBlock(f, threshold: 3, nonce: 701)))!;
        var h2 = chain.GetEntry(AddBlock(chain, t.MakeBlock(h1, threshold: 3, nonce: 702)))!;
        var h3 = chain.GetEntry(AddBlock(chain, t.MakeBlock(h2, threshold: 3, nonce: 703)))!;

        // The honest validators' votes for h1 are public (gossiped); the attacker includes them first, on a branch from h1.
        var publicVotes = Enumerable.Range(0, 4).Select(v => t.Attest(v, h1)).ToArray();
        var a2 = t.MakeBlock(h1, publicVotes, threshold: 3, nonce: 704, miner: 4);
        Assert.That(chain.AddBlock(a2).Status, Is.EqualTo(BlockStatus.SideBranch));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsJustified(h1.Hash), Is.True, "the votes count wherever they are included");
            Assert.That(chain.Tip.Hash, Is.EqualTo(h3.Hash), "h1 is on both branches: work decides, and the honest branch has more");
        });
    }

    // ---- Symptom 4: orphans and future timestamps cost nothing ----

    [Test]
    public void Parentless_blocks_without_proof_of_work_are_refused_before_they_are_held()
    {
        var t = new TestLedger();
        var chain = t.NewChain(engine: ProofOfWorkEngine.Instance);
        var refused = 0;
        for (var i = 0; i < 200; i++)
        {
            var orphan = UnminedChild(t, Hash256.Sha256(BitConverter.GetBytes(i)), height: 5, nonce: (ulong)i);
            if (CompactTarget.Meets(orphan.Hash, CompactTarget.Decode(t.Genesis.Consensus.PowLimitBits)))
            {
                continue; // about one in 65,536 meets the pow limit by chance
            }

            Assert.That(chain.AddBlock(orphan).Validation.Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
            refused++;
        }

        Assert.That(refused, Is.GreaterThan(190));
        Assert.That(chain.OrphanCount, Is.Zero);
    }

    [Test]
    public void A_block_from_the_future_without_work_is_refused_for_its_work_first()
    {
        var t = new TestLedger();
        var chain = t.NewChain(engine: ProofOfWorkEngine.Instance);
        var block = UnminedChild(t, chain.Tip.Hash, height: 1, nonce: 3, timestampMs: t.Time.NowMs + 3_600_000);
        Assume.That(CompactTarget.Meets(block.Hash, CompactTarget.Decode(t.Genesis.Consensus.PowLimitBits)), Is.False);

        Assert.That(chain.AddBlock(block).Validation.Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
    }

    [Test]
    public void Held_orphans_stay_within_the_byte_budget()
    {
        var t = new TestLedger();
        var options = new ChainOptions { MaxOrphans = 1_000, MaxOrphanBytes = 64 * 1024 };
        var chain = new Blockchain(t.Genesis, new TestEngine(), new InMemoryBlockStore(), t.Time, options: options);
        var registrations = Enumerable.Range(0, 20).Select(i => t.Tx(KeyPair.FromLabel($"flood-{i}"), 0, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))))).ToArray();
        for (var i = 0; i < 300; i++)
        {
            var parent = Hash256.Sha256(BitConverter.GetBytes(i + 10_000));
            var header = new BlockHeader(BlockHeader.CurrentVersion, TestLedger.ChainId, 9, t.Time.NowMs, parent, MerkleTree.ComputeRoot([.. registrations.Select(r => r.Id)]), t.Genesis.Consensus.InitialTargetBits, 1, t.Genesis.Engine, t.Validators[0].PublicKey, (ulong)i, Signature.Empty);
            Assert.That(chain.AddBlock(new Block(header, registrations)).Status, Is.EqualTo(BlockStatus.Orphan));
        }

        Assert.That(chain.OrphanBytes, Is.LessThanOrEqualTo(options.MaxOrphanBytes));
        Assert.That(chain.OrphanCount, Is.LessThan(300));
    }

    // ---- Symptom 9: replay trusts the store blindly ----

    [Test]
    public void Replay_refuses_a_stored_block_without_proof_of_work()
    {
        var t = new TestLedger();
        var store = new InMemoryBlockStore();
        var genesis = Blockchain.CreateGenesisBlock(t.Genesis);
        var forged = UnminedChild(t, genesis.Hash, height: 1, nonce: 1, bits: new Blockchain(t.Genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore(), t.Time).CreateTemplate(t.Validators[0].PublicKey, [], 1).TargetBits);
        Assume.That(CompactTarget.Meets(forged.Hash, CompactTarget.Decode(forged.Header.TargetBits)), Is.False);
        store.Append(forged.Hash, forged.Encode().Span);

        var ex = Assert.Throws<InvalidDataException>(() => t.NewChain(store, ProofOfWorkEngine.Instance));
        Assert.That(ex!.Message, Does.Contain(nameof(RejectionCode.InsufficientProofOfWork)));
    }

    [Test]
    public void Replay_refuses_a_stored_node_registration_with_a_forged_authority_signature()
    {
        var t = new TestLedger();
        var store = new InMemoryBlockStore();
        var miner = t.NewChain(engine: ProofOfWorkEngine.Instance);
        var attacker = KeyPair.FromLabel("store-attacker");
        var forgedTx = new Transaction(Transaction.CurrentVersion, TestLedger.ChainId, t.Authority.PublicKey, 0, t.Time.NowMs, new NodeRegistration(attacker.PublicKey, NodeRoles.Validator, "evil"), Signature.Empty);
        var block = MinePow(t, miner, [forgedTx], skipValidation: true);
        store.Append(block.Hash, block.Encode().Span);

        var ex = Assert.Throws<InvalidDataException>(() => t.NewChain(store, ProofOfWorkEngine.Instance));
        Assert.That(ex!.Message, Does.Contain(nameof(RejectionCode.InvalidSignature)));
    }

    // ---- Symptom 12 (chain side): a store from another chain ----

    [Test]
    public void A_store_that_records_another_genesis_is_refused_with_a_typed_error()
    {
        var one = new TestLedger();
        var two = new TestLedger(configure: g => g with { ChainId = 2 });
        var store = new InMemoryBlockStore(Blockchain.GenesisHash(one.Genesis));

        Assert.Throws<BlockStoreGenesisMismatchException>(() => two.NewChain(store));
        Assert.DoesNotThrow(() => one.NewChain(store));
    }

    [Test]
    public void Opening_a_store_written_by_another_chain_fails_instead_of_holding_its_blocks_as_orphans()
    {
        var one = new TestLedger();
        var store = new InMemoryBlockStore();
        var chain = one.NewChain(store);
        one.Extend(chain, chain.Tip, 3);
        var two = new TestLedger(configure: g => g with { ChainId = 2 });

        Assert.Throws<InvalidDataException>(() => two.NewChain(store));
    }

    // ---- helpers ----

    private static Block WithSeal(Block block, Signature seal)
    {
        var h = block.Header;
        var header = new BlockHeader(h.Version, h.ChainId, h.Height, h.TimestampMs, h.PreviousHash, h.MerkleRoot, h.TargetBits, h.Threshold, h.Engine, h.Miner, h.Nonce, seal);
        return new Block(header, block.Transactions);
    }

    private static Block MinePow(TestLedger t, Blockchain chain, IReadOnlyList<Transaction>? txs = null, bool skipValidation = false)
    {
        txs ??= [];
        t.Time.Advance(TimeSpan.FromSeconds(1));
        var template = chain.CreateTemplate(t.Validators[0].PublicKey, txs, 1);
        var sealedHeader = ProofOfWorkEngine.Instance.CreateSealer(SimdNonceSearcher.Instance).Seal(template, ProofOfWorkEngine.Instance.GetEffectiveTarget(t.Validators[0].PublicKey, chain.TipView), null).Header!;
        var block = new Block(sealedHeader, txs);
        if (!skipValidation)
        {
            Assert.That(chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
        }

        return block;
    }

    private static Block UnminedChild(TestLedger t, Hash256 parent, ulong height, ulong nonce, long? timestampMs = null, uint? bits = null)
    {
        var header = new BlockHeader(BlockHeader.CurrentVersion, TestLedger.ChainId, height, timestampMs ?? t.Time.NowMs, parent, MerkleTree.ComputeRoot([]), bits ?? t.Genesis.Consensus.PowLimitBits, 1, t.Genesis.Engine, t.Validators[0].PublicKey, nonce, Signature.Empty);
        return new Block(header, []);
    }

    private static Hash256 AddBlock(Blockchain chain, Block block)
    {
        var r = chain.AddBlock(block);
        Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
        return block.Hash;
    }

    private static Attestation Vote(ChainEntry target, ChainEntry source) => new(target.Hash, target.Height, source.Hash, source.Height);

    /// <summary>Justifies and finalises the chain's first block with votes from four of the five validators; returns it.</summary>
    private static ChainEntry FinaliseOneBlock(TestLedger t, Blockchain chain)
    {
        var b1 = t.Extend(chain, chain.Tip, 1);
        var b2 = chain.GetEntry(AddBlock(chain, t.MakeBlock(b1, [.. Enumerable.Range(0, 4).Select(v => t.Attest(v, b1))], nonce: 11)))!;
        AddBlock(chain, t.MakeBlock(b2, [.. Enumerable.Range(0, 4).Select(v => t.Attest(v, b2, source: b1))], nonce: 12));
        Assert.That(chain.LastFinal.Hash, Is.EqualTo(b1.Hash));
        return b1;
    }

    /// <summary>The authority registers <paramref name="count"/> more validators in one block; returns their keys.</summary>
    private static KeyPair[] GrowValidatorSet(TestLedger t, Blockchain chain, int count)
    {
        var keys = Enumerable.Range(0, count).Select(i => KeyPair.FromLabel($"newcomer-{i}")).ToArray();
        var txs = keys.Select((k, i) => t.Tx(t.Authority, (ulong)i, new NodeRegistration(k.PublicKey, NodeRoles.Validator, $"newcomer-{i}"))).ToArray();
        AddBlock(chain, t.MakeBlock(chain.Tip, txs, nonce: 400));
        return keys;
    }
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class BlockchainValidationTests
{
    private TestLedger _t = null!;
    private Blockchain _chain = null!;

    [SetUp]
    public void SetUp()
    {
        _t = new TestLedger();
        _chain = _t.NewChain();
    }

    private BlockAddResult Add(params Transaction[] txs) => _chain.AddBlock(_t.MakeBlock(_chain.Tip, txs));

    private void AssertRejected(BlockAddResult result, RejectionCode code)
    {
        Assert.That(result.Status, Is.EqualTo(BlockStatus.Invalid), result.Validation.ToString());
        Assert.That(result.Validation.Code, Is.EqualTo(code), result.Validation.ToString());
    }

    private void SetUpPatientAndDevice()
    {
        Assert.That(Add(_t.RegisterPatient()).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(Add(_t.RegisterDevice()).Status, Is.EqualTo(BlockStatus.Connected));
    }

    [Test]
    public void A_valid_block_becomes_the_tip_and_updates_state()
    {
        SetUpPatientAndDevice();
        var r = Add(_t.Anchor(0, "bp-reading"));

        Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(_chain.Height, Is.EqualTo(3UL));
        Assert.That(_chain.State.RecordCount, Is.EqualTo(1));
        Assert.That(_chain.State.GetDevice(_t.Device.Address)!.Patient, Is.EqualTo(_t.Patient.Address));
    }

    [Test]
    public void Wrong_chain_id_is_rejected()
    {
        var tx = Transaction.Create(_t.Patient, 99, 0, _t.Time.NowMs, new PatientRegistration(Hash256.Sha256("x"u8)));
        AssertRejected(Add(tx), RejectionCode.WrongChainId);
    }

    [Test]
    public void Forged_signature_is_rejected()
    {
        var good = _t.RegisterPatient();
        var forged = new Transaction(good.Version, good.ChainId, good.Sender, good.Sequence, good.TimestampMs, good.Payload, _t.Device.Sign("other"u8));
        AssertRejected(Add(forged), RejectionCode.InvalidSignature);
    }

    [Test]
    public void Device_without_proof_of_possession_is_rejected()
    {
        Add(_t.RegisterPatient());
        var pop = _t.Device.Sign("not the pop message"u8);
        var tx = _t.Tx(_t.Provider, 0, new DeviceRegistration(_t.Device.PublicKey, _t.Patient.Address, DeviceClass.Wearable, pop));
        AssertRejected(Add(tx), RejectionCode.InvalidProofOfPossession);
    }

    [Test]
    public void Proof_of_possession_made_for_another_provider_is_rejected()
    {
        Add(_t.RegisterPatient());
        var pop = _t.Device.Sign(DeviceRegistration.ProofOfPossessionMessage(TestLedger.ChainId, _t.Device.PublicKey, _t.Patient.Address, _t.Gateway.Address));
        var tx = _t.Tx(_t.Provider, 0, new DeviceRegistration(_t.Device.PublicKey, _t.Patient.Address, DeviceClass.Wearable, pop));
        AssertRejected(Add(tx), RejectionCode.InvalidProofOfPossession);
    }

    [Test]
    public void Bad_merkle_root_is_rejected()
    {
        var block = _t.MakeBlock(_chain.Tip, [_t.RegisterPatient()], merkleRoot: Hash256.Sha256("wrong"u8));
        AssertRejected(_chain.AddBlock(block), RejectionCode.BadMerkleRoot);
    }

    [Test]
    public void The_same_transaction_twice_in_a_block_is_rejected()
    {
        var tx = _t.RegisterPatient();
        AssertRejected(Add(tx, tx), RejectionCode.DuplicateTransaction);
    }

    [Test]
    public void Timestamp_not_after_median_time_past_is_rejected()
    {
        _t.Extend(_chain, _chain.Tip, 3);
        var block = _t.MakeBlock(_chain.Tip, timestampMs: _chain.MedianTimePast(_chain.Tip));
        var r = _chain.AddBlock(block);
        AssertRejected(r, RejectionCode.TimestampTooOld);
        Assert.That(r.Validation.Limit, Is.EqualTo(_chain.MedianTimePast(_chain.Tip)));
    }

    [Test]
    public void Timestamp_too_far_in_future_is_rejected_but_accepted_once_time_catches_up()
    {
        var future = _t.Time.NowMs + _t.Genesis.Consensus.MaxFutureDriftMs + 5_000;
        var block = _t.MakeBlock(_chain.Tip, timestampMs: future);
        AssertRejected(_chain.AddBlock(block), RejectionCode.TimestampTooFarInFuture);

        _t.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.That(_chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
    }

    [TestCase((ushort)0)]
    [TestCase((ushort)6)]
    public void Threshold_outside_genesis_bounds_is_rejected(ushort k)
    {
        var r = _chain.AddBlock(_t.MakeBlock(_chain.Tip, threshold: k));
        AssertRejected(r, RejectionCode.ThresholdOutOfBounds);
        Assert.That(r.Validation.Actual, Is.EqualTo(k));
    }

    [Test]
    public void Seal_refused_by_the_engine_is_rejected_and_remembered()
    {
        var block = _t.MakeBlock(_chain.Tip, nonce: TestEngine.BadNonce);
        AssertRejected(_chain.AddBlock(block), RejectionCode.InsufficientProofOfWork);
        AssertRejected(_chain.AddBlock(block), RejectionCode.KnownInvalid);
        AssertRejected(_chain.AddBlock(_t.MakeBlock(_chain.GetEntry(_chain.Tip.Hash)!, nonce: 5) is var b && b.Header.PreviousHash == block.Hash ? b : new Block(new BlockHeader(1, TestLedger.ChainId, 2, _t.Time.NowMs, block.Hash, MerkleTree.ComputeRoot([]), _t.Genesis.Consensus.InitialTargetBits, 1, _t.Genesis.Engine, _t.Validators[0].PublicKey, 3, Signature.Empty), [])), RejectionCode.KnownInvalid);
    }

    [Test]
    public void Bad_sequence_is_rejected_with_expected_value()
    {
        var r = Add(_t.Tx(_t.Patient, 5, new PatientRegistration(Hash256.Sha256("x"u8))));
        AssertRejected(r, RejectionCode.BadSequence);
        Assert.That((r.Validation.Actual, r.Validation.Limit), Is.EqualTo(((long?)5, (long?)0)));
    }

    [Test]
    public void Replaying_a_mined_transaction_is_rejected()
    {
        var tx = _t.RegisterPatient();
        Add(tx);
        AssertRejected(Add(tx), RejectionCode.BadSequence);
    }

    [Test]
    public void Node_registration_by_a_non_authority_is_rejected()
    {
        using var newNode = KeyPair.FromLabel("new-node");
        AssertRejected(Add(_t.Tx(_t.Provider, 0, new NodeRegistration(newNode.PublicKey, NodeRoles.Validator, "x"))), RejectionCode.NotAuthorized);
    }

    [Test]
    public void Registering_the_same_patient_twice_is_rejected()
    {
        Add(_t.RegisterPatient());
        AssertRejected(Add(_t.RegisterPatient(seq: 1)), RejectionCode.AlreadyRegistered);
    }

    [Test]
    public void Device_for_unknown_patient_is_rejected() =>
        AssertRejected(Add(_t.RegisterDevice()), RejectionCode.UnknownEntity);

    [Test]
    public void Anchor_from_revoked_device_is_rejected()
    {
        SetUpPatientAndDevice();
        Add(_t.Tx(_t.Patient, 1, new DeviceRevocation(_t.Device.Address)));
        AssertRejected(Add(_t.Anchor(0)), RejectionCode.DeviceRevoked);
    }

    [Test]
    public void Attestation_for_a_block_not_on_this_branch_is_rejected() =>
        AssertRejected(Add(_t.Tx(_t.Validators[1], 0, new Attestation(Hash256.Sha256("nowhere"u8), 1, _chain.GenesisEntry.Hash, 0))), RejectionCode.UnknownAttestedBlock);

    [Test]
    public void Conflicting_attestation_is_rejected_and_becomes_evidence_that_penalises()
    {
        var a = _t.Extend(_chain, _chain.Tip, 1);
        var side = _t.MakeBlock(_chain.GenesisEntry, nonce: 77);
        _chain.AddBlock(side);
        var first = _t.Attest(1, a);
        Add(first);
        var conflicting = _t.Tx(_t.Validators[1], 0, new Attestation(side.Hash, 1, _chain.GenesisEntry.Hash, 0));
        AssertRejected(Add(conflicting), RejectionCode.ConflictingAttestation);

        var evidence = EvidenceVerifier.FromAttestations(first, conflicting);
        Assert.That(Add(_t.Tx(_t.Validators[2], 0, evidence)).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(_chain.State.GetNode(_t.Validators[1].Address)!.Activity.PenaltyHeights, Has.Length.EqualTo(1));
        AssertRejected(Add(_t.Tx(_t.Validators[3], 0, evidence)), RejectionCode.DuplicateEvidence);
    }

    [Test]
    public void Evidence_that_proves_nothing_is_rejected()
    {
        var a = _t.Extend(_chain, _chain.Tip, 1);
        var at1 = _t.Attest(1, a);
        var at2 = _t.Attest(2, a);
        AssertRejected(Add(_t.Tx(_t.Validators[3], 0, EvidenceVerifier.FromAttestations(at1, at2))), RejectionCode.InvalidEvidence);
    }

    [Test]
    public void Grant_already_expired_is_rejected()
    {
        Add(_t.RegisterPatient());
        AssertRejected(Add(_t.Tx(_t.Patient, 1, new AccessGrant(_t.Provider.Address, RecordScope.Vitals, 1000))), RejectionCode.Expired);
    }

    [Test]
    public void Intrusion_report_from_a_non_gateway_is_rejected()
    {
        SetUpPatientAndDevice();
        AssertRejected(Add(_t.Tx(_t.Provider, 1, new IntrusionReport(_t.Device.Address, _t.Time.NowMs, 9000, Hash256.Sha256("m"u8)))), RejectionCode.NotAuthorized);
        Assert.That(Add(_t.Tx(_t.Gateway, 0, new IntrusionReport(_t.Device.Address, _t.Time.NowMs, 9000, Hash256.Sha256("m"u8)))).Status, Is.EqualTo(BlockStatus.Connected));
    }

    [Test]
    public void Revoked_node_cannot_act()
    {
        Add(_t.Tx(_t.Authority, 0, new NodeRevocation(_t.Validators[4].Address)));
        AssertRejected(Add(_t.Attest(4, _chain.Tip)), RejectionCode.NodeRevoked);
    }

    [Test]
    public void Field_out_of_range_is_rejected_at_shape_stage()
    {
        var tx = _t.Tx(_t.Patient, 0, new AccessGrant(_t.Provider.Address, RecordScope.None, 10));
        AssertRejected(Add(tx), RejectionCode.FieldOutOfRange);
    }

    [Test]
    public void Block_from_another_engine_is_rejected()
    {
        var good = _t.MakeBlock(_chain.Tip);
        var h = good.Header;
        var other = new BlockHeader(h.Version, h.ChainId, h.Height, h.TimestampMs, h.PreviousHash, h.MerkleRoot, h.TargetBits, h.Threshold, ConsensusEngineId.EnhancedProofOfWork, h.Miner, h.Nonce, h.Seal);
        AssertRejected(_chain.AddBlock(new Block(other, [])), RejectionCode.WrongConsensusEngine);
    }

    [Test]
    public void Too_many_transactions_is_rejected()
    {
        var t = new TestLedger(configure: g => g with { Limits = new LedgerLimits { MaxTransactionsPerBlock = 1 } });
        var chain = t.NewChain();
        var r = chain.AddBlock(t.MakeBlock(chain.Tip, [t.RegisterPatient(), t.Tx(t.Device, 0, new PatientRegistration(Hash256.Sha256("d"u8)))]));
        Assert.That(r.Validation.Code, Is.EqualTo(RejectionCode.TooManyTransactions));
    }

    [Test]
    public void Oversized_block_is_rejected()
    {
        var t = new TestLedger(configure: g => g with { Limits = new LedgerLimits { MaxBlockBytes = 300 } });
        var chain = t.NewChain();
        var r = chain.AddBlock(t.MakeBlock(chain.Tip, [t.RegisterPatient(), t.Tx(t.Device, 0, new PatientRegistration(Hash256.Sha256("d"u8)))]));
        Assert.That(r.Validation.Code, Is.EqualTo(RejectionCode.TooLarge));
    }

    [Test]
    public void Orphan_is_held_then_connected_when_its_parent_arrives()
    {
        var b1 = _t.MakeBlock(_chain.Tip, nonce: 11);
        var e1 = new ChainEntry(b1, _chain.Tip, 0, _chain.State);
        var b2 = _t.MakeBlock(e1, nonce: 12);

        Assert.That(_chain.AddBlock(b2).Status, Is.EqualTo(BlockStatus.Orphan));
        Assert.That(_chain.OrphanCount, Is.EqualTo(1));
        var r = _chain.AddBlock(b1);
        Assert.That(r.ConnectedCount, Is.EqualTo(2));
        Assert.That(_chain.Tip.Hash, Is.EqualTo(b2.Hash));
        Assert.That(_chain.OrphanCount, Is.Zero);
    }

    [Test]
    public void Known_block_is_reported_as_already_known()
    {
        var block = _t.MakeBlock(_chain.Tip);
        _chain.AddBlock(block);
        Assert.That(_chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.AlreadyKnown));
    }

    [Test]
    public void A_merkle_proof_of_a_mined_record_verifies_from_the_header_alone()
    {
        SetUpPatientAndDevice();
        var txs = new[] { _t.Anchor(0, "a"), _t.Anchor(1, "b"), _t.Anchor(2, "c") };
        var block = _t.MakeBlock(_chain.Tip, txs);
        _chain.AddBlock(block);

        var proof = block.CreateProof(2);
        Assert.That(MerkleTree.Verify(proof, _chain.Tip.Header.MerkleRoot), Is.True);
        Assert.That(proof.LeafId, Is.EqualTo(txs[2].Id));
    }

    [Test]
    public void Malformed_bytes_are_rejected_and_nothing_changes()
    {
        var tip = _chain.Tip.Hash;
        var bytes = _t.MakeBlock(_chain.Tip).Encode().ToArray();
        AssertRejected(_chain.AddEncodedBlock(bytes.AsMemory(0, bytes.Length - 3)), RejectionCode.MalformedEncoding);
        Assert.That(_chain.Tip.Hash, Is.EqualTo(tip));
        Assert.That(_chain.AddEncodedBlock(bytes).Status, Is.EqualTo(BlockStatus.Connected));
    }

    [Test]
    public void Unsupported_transaction_version_is_rejected()
    {
        var good = _t.RegisterPatient();
        var v2 = new Transaction(2, good.ChainId, good.Sender, good.Sequence, good.TimestampMs, good.Payload, good.Signature);
        AssertRejected(Add(v2), RejectionCode.UnsupportedVersion);
    }

    [Test]
    public void Non_genesis_block_at_height_zero_is_rejected()
    {
        var h = _t.MakeBlock(_chain.Tip).Header;
        var zero = new BlockHeader(h.Version, h.ChainId, 0, h.TimestampMs, h.PreviousHash, h.MerkleRoot, h.TargetBits, h.Threshold, h.Engine, h.Miner, h.Nonce, h.Seal);
        AssertRejected(_chain.AddBlock(new Block(zero, [])), RejectionCode.BadHeight);
    }

    [Test]
    public void Height_that_skips_is_rejected()
    {
        var h = _t.MakeBlock(_chain.Tip).Header;
        var skip = new BlockHeader(h.Version, h.ChainId, 5, h.TimestampMs, h.PreviousHash, h.MerkleRoot, h.TargetBits, h.Threshold, h.Engine, h.Miner, h.Nonce, h.Seal);
        var r = _chain.AddBlock(new Block(skip, []));
        AssertRejected(r, RejectionCode.HeightMismatch);
        Assert.That((r.Validation.Actual, r.Validation.Limit), Is.EqualTo(((long?)5, (long?)1)));
    }

    private BlockHeader SignedHeader(ChainEntry parent, int miner, ulong nonce)
    {
        var h = _t.MakeBlock(parent, nonce: nonce, miner: miner).Header;
        return h.WithSeal(_t.Validators[miner].Sign(h.GetSealMessage()));
    }

    [Test]
    public void Two_signed_headers_on_one_parent_are_evidence_that_penalises_the_miner()
    {
        var evidence = EvidenceVerifier.FromHeaders(SignedHeader(_chain.Tip, 3, 1), SignedHeader(_chain.Tip, 3, 2));
        Assert.That(Add(_t.Tx(_t.Validators[1], 0, evidence)).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(_chain.State.GetNode(_t.Validators[3].Address)!.Activity.PenaltyHeights, Has.Length.EqualTo(1));
    }

    [Test]
    public void Headers_at_one_height_on_different_parents_are_not_evidence()
    {
        var a = _t.Extend(_chain, _chain.Tip, 1, nonceSalt: 1);
        var side = _t.MakeBlock(_chain.GenesisEntry, nonce: 99);
        _chain.AddBlock(side);
        var evidence = EvidenceVerifier.FromHeaders(SignedHeader(a, 3, 5), SignedHeader(_chain.GetEntry(side.Hash)!, 3, 6));
        AssertRejected(Add(_t.Tx(_t.Validators[1], 0, evidence)), RejectionCode.InvalidEvidence);
    }

    [Test]
    public void Evidence_with_a_forged_seal_is_rejected()
    {
        var good = SignedHeader(_chain.Tip, 3, 1);
        var forged = _t.MakeBlock(_chain.Tip, nonce: 2, miner: 3).Header;
        forged = forged.WithSeal(_t.Validators[0].Sign(forged.GetSealMessage()));
        AssertRejected(Add(_t.Tx(_t.Validators[1], 0, EvidenceVerifier.FromHeaders(good, forged))), RejectionCode.InvalidEvidence);
    }
}

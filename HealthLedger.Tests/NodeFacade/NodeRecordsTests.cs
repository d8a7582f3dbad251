using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Node;
using HealthLedger.Node.Records;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;

namespace HealthLedger.Tests.NodeFacade;

/// <summary>
/// A mining node with records: ingestion through the gate into the local store, key release recorded on-chain before
/// the key leaves, every refusal typed, and no anchor without ciphertext nor ciphertext without an anchor.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class NodeRecordsTests
{
    private const uint ChainId = 41;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly KeyPair _hospital = KeyPair.FromLabel("nr-hospital");
    private readonly KeyPair _granted = KeyPair.FromLabel("nr-granted");
    private readonly KeyPair _otherScope = KeyPair.FromLabel("nr-lab-only");
    private readonly KeyPair _expiring = KeyPair.FromLabel("nr-expiring");
    private readonly KeyPair _revoked = KeyPair.FromLabel("nr-revoked");
    private readonly KeyPair _stranger = KeyPair.FromLabel("nr-stranger");
    private readonly KeyPair _patient = KeyPair.FromLabel("nr-patient");
    private readonly KeyPair _device = KeyPair.FromLabel("nr-device");
    private readonly KeyPair _unregistered = KeyPair.FromLabel("nr-unregistered-device");
    private string _dir = null!;
    private LedgerNode _node = null!;
    private NodeRecords _records = null!;
    private AnchoredIngestion _record = null!;
    private long _expiresAtMs;
    private ulong _patientSeq;
    private readonly List<Hash256> _releases = [];

    private static DateTimeOffset Now => DateTimeOffset.UtcNow;

    private Address Patient => _patient.Address;

    [OneTimeSetUp]
    public async Task StartNodeWithARecordAndGrants()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hl-node-records-" + Guid.NewGuid().ToString("N"));
        var genesis = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = Now.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel("nr-authority").PublicKey],
            InitialNodes =
            [
                new GenesisNode(_hospital.PublicKey, NodeRoles.Validator | NodeRoles.Provider | NodeRoles.Gateway, "hospital"),
                new GenesisNode(_granted.PublicKey, NodeRoles.Provider, "clinic"),
                new GenesisNode(_otherScope.PublicKey, NodeRoles.Provider, "lab"),
                new GenesisNode(_expiring.PublicKey, NodeRoles.Provider, "locum"),
                new GenesisNode(_revoked.PublicKey, NodeRoles.Provider, "former"),
            ],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(4), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        };
        // The gate: a submission attached as the string "attack" is refused with a score, as the detector would.
        var gate = new DelegateAdmissionFilter("test-gate", c => c.Attachment is "attack"
            ? ValidationResult.Reject(RejectionCode.RefusedByGate, "classified as an attack", 9_000, 5_000)
            : ValidationResult.Ok);
        _node = LedgerNode.Create(new LedgerNodeOptions
        {
            Genesis = genesis,
            NodeKey = _hospital,
            DataDirectory = _dir,
            MinBlockInterval = TimeSpan.FromMilliseconds(100),
            Gates = [gate],
            Records = new RecordsOptions { ReleaseInclusionTimeout = TimeSpan.FromSeconds(30) },
        });
        await _node.StartAsync();
        _records = _node.Records!;

        await Submit(_patient, _patientSeq++, new PatientRegistration(Hash256.Sha256("nr-mrn"u8)));
        var pop = _device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, _device.PublicKey, Patient, _hospital.Address));
        await Submit(_hospital, null, new DeviceRegistration(_device.PublicKey, Patient, DeviceClass.Wearable, pop));
        await WaitUntil(() => _node.Chain.State.GetDevice(_device.Address) is not null, "the device is registered");

        var ingested = await _records.IngestAsync(_device.Address, RecordType.Vitals, MeasuredAt, Vitals(MeasuredAt), SignAnchor, "normal", CancellationToken.None);
        Assert.That(ingested.IsSuccess, Is.True, ingested.ToString());
        _record = ingested.Value;

        var day = Now.AddDays(1).ToUnixTimeMilliseconds();
        _expiresAtMs = Now.AddSeconds(10).ToUnixTimeMilliseconds();
        await Submit(_patient, _patientSeq++, new AccessGrant(_granted.Address, RecordScope.Vitals, day));
        await Submit(_patient, _patientSeq++, new AccessGrant(_otherScope.Address, RecordScope.Lab | RecordScope.Ecg, day));
        await Submit(_patient, _patientSeq++, new AccessGrant(_expiring.Address, RecordScope.Vitals, _expiresAtMs));
        await Submit(_patient, _patientSeq++, new AccessGrant(_revoked.Address, RecordScope.Vitals, day));
        await WaitUntil(() => _node.Chain.State.GetGrant(Patient, _revoked.Address, RecordType.Vitals) is not null && _node.Chain.State.GetRecord(_record.Record.CiphertextHash) is not null, "the record and the grants are mined");
        await Submit(_patient, _patientSeq++, new AccessRevoke(_revoked.Address, RecordScope.Vitals));
        await WaitUntil(() => _node.Chain.State.GetGrant(Patient, _revoked.Address, RecordType.Vitals) is null, "the revocation is mined");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        await _node.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static DateTimeOffset MeasuredAt { get; } = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 5_000);

    private Hl7.Fhir.Model.Bundle Vitals(DateTimeOffset at, decimal heartRate = 72m) =>
        VitalSignsBundle.Build(Patient, _device.Address, at, [new(VitalSign.HeartRate, heartRate), new(VitalSign.OxygenSaturation, 97m)], SystemRandomSource.Instance);

    private Transaction SignAnchor(RecordAnchor anchor, ulong sequence) => Transaction.Create(_device, ChainId, sequence, Now.ToUnixTimeMilliseconds(), anchor);

    private async Task Submit(KeyPair signer, ulong? sequence, TransactionPayload payload)
    {
        var seq = sequence ?? _node.Pool.PendingState.GetNextSequence(signer.Address);
        var result = await _node.SubmitAsync(Transaction.Create(signer, ChainId, seq, Now.ToUnixTimeMilliseconds(), payload));
        Assert.That(result.Accepted, Is.True, result.Validation.ToString());
    }

    private KeyReleaseRequest Request(KeyPair who, EncryptionPublicKey replyKey, long? atMs = null) =>
        KeyReleaseRequest.Create(who, ChainId, _record.Record.ContentAddress.ToString(), _record.Record.CiphertextHash, replyKey, atMs ?? Now.ToUnixTimeMilliseconds(), SystemRandomSource.Instance);

    private async Task<byte[]> OpenAsync(ReleasedRecordKey released, EncryptionKeyPair replyKey)
    {
        var envelope = await _records.ReadEnvelopeAsync(_record.Record.ContentAddress.ToString(), CancellationToken.None);
        var plaintext = RecordEnvelope.Decode(envelope.Value).Value.Open(released.Wrap, replyKey);
        Assert.That(plaintext.IsSuccess, Is.True, plaintext.ToString());
        return plaintext.Value;
    }

    // The CIDs the local store holds (its files, without pin markers and temporary files).
    private string[] StoredCids() =>
        [.. Directory.EnumerateFiles(Path.Combine(_dir, "records"), "b*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".pin", StringComparison.Ordinal) && !f.Contains("/.tmp/", StringComparison.Ordinal))
            .Select(Path.GetFileName)
            .Order(StringComparer.Ordinal)!];

    [Test, Order(1)]
    public async Task The_patient_is_released_the_key_without_a_grant_and_the_fhir_payload_round_trips()
    {
        using var identityKey = IdentityEncryptionKeys.FromIdentity(_patient);

        var released = await _records.ReleaseAsync(Request(_patient, identityKey.PublicKey), CancellationToken.None);

        Assert.That(released.IsSuccess, Is.True, released.ToString());
        _releases.Add(released.Value.ReleaseTransactionId);
        var json = await OpenAsync(released.Value, identityKey);
        var codec = new FhirRecordCodec();
        var bundle = codec.ParseAndValidate(json, new FhirSubject(Patient, _device.Address, MeasuredAt.ToUnixTimeMilliseconds()));
        Assert.Multiple(() =>
        {
            Assert.That(bundle.IsSuccess, Is.True, bundle.ToString());
            Assert.That(released.Value.Decision.GrantHeight, Is.Zero);
            Assert.That(_node.Chain.GetBestAt(released.Value.RecordedAtHeight)!.Block.Transactions.Any(t => t.Id == released.Value.ReleaseTransactionId), Is.True, "the release was in a best-chain block when the key was handed over");
            // The patient's own wrap in the envelope opens with the identity key as well (no registered key needed).
            var envelope = RecordEnvelope.Decode(_records.ReadEnvelopeAsync(_record.Record.ContentAddress.ToString(), CancellationToken.None).Result.Value).Value;
            Assert.That(envelope.Open(Patient, identityKey).IsSuccess, Is.True);
        });
    }

    [Test, Order(2)]
    public async Task A_provider_with_an_active_grant_for_the_type_gets_a_key_that_decrypts_the_record()
    {
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);

        var released = await _records.ReleaseAsync(Request(_granted, reply.PublicKey), CancellationToken.None);

        Assert.That(released.IsSuccess, Is.True, released.ToString());
        _releases.Add(released.Value.ReleaseTransactionId);
        Assert.Multiple(async () =>
        {
            Assert.That(released.Value.Decision.GrantHeight, Is.EqualTo(_node.Chain.State.GetGrant(Patient, _granted.Address, RecordType.Vitals)!.GrantedAtHeight));
            Assert.That(await OpenAsync(released.Value, reply), Is.Not.Empty);
        });
    }

    [Test, Order(3)]
    public async Task Never_granted_wrong_scope_expired_and_revoked_providers_are_refused_and_nothing_is_recorded()
    {
        await WaitUntil(() => Now.ToUnixTimeMilliseconds() > _expiresAtMs, "the short grant expires");
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
        var heightBefore = _node.Chain.Height;
        var pending = _node.Pool.Count;

        var outcomes = new Dictionary<string, RecordOutcome<ReleasedRecordKey>>
        {
            ["never"] = await _records.ReleaseAsync(Request(_stranger, reply.PublicKey), CancellationToken.None),
            ["scope"] = await _records.ReleaseAsync(Request(_otherScope, reply.PublicKey), CancellationToken.None),
            ["expired"] = await _records.ReleaseAsync(Request(_expiring, reply.PublicKey), CancellationToken.None),
            ["revoked"] = await _records.ReleaseAsync(Request(_revoked, reply.PublicKey), CancellationToken.None),
        };

        Assert.Multiple(() =>
        {
            foreach (var (name, outcome) in outcomes)
            {
                Assert.That(outcome.Failure?.Stage, Is.EqualTo(RecordStage.Grant), name);
                Assert.That(outcome.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.AccessDenied), name);
            }
            Assert.That(outcomes["never"].Failure!.Actual, Is.EqualTo((long)GrantStatus.NotGranted));
            Assert.That(outcomes["scope"].Failure!.Actual, Is.EqualTo((long)GrantStatus.OutOfScope));
            Assert.That(outcomes["expired"].Failure!.Actual, Is.EqualTo((long)GrantStatus.Expired));
            Assert.That(outcomes["revoked"].Failure!.Actual, Is.EqualTo((long)GrantStatus.NotGranted), "a revoke removes the grant");
            Assert.That(_node.Pool.Snapshot().Any(t => t.Kind == TransactionKind.KeyRelease), Is.False, "no release was written for a refusal");
        });
        _ = heightBefore + (ulong)pending;
    }

    [Test, Order(4)]
    public async Task Replayed_forged_stale_and_foreign_requests_are_refused()
    {
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
        using var attacker = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
        var request = Request(_granted, reply.PublicKey);
        var first = await _records.ReleaseAsync(request, CancellationToken.None);
        Assert.That(first.IsSuccess, Is.True, first.ToString());
        _releases.Add(first.Value.ReleaseTransactionId);

        var replay = await _records.ReleaseAsync(request, CancellationToken.None);
        var forged = await _records.ReleaseAsync(Request(_granted, reply.PublicKey) with { ReplyKey = attacker.PublicKey }, CancellationToken.None);
        var stale = await _records.ReleaseAsync(Request(_granted, reply.PublicKey, Now.AddMinutes(-6).ToUnixTimeMilliseconds()), CancellationToken.None);
        var foreign = await _records.ReleaseAsync(KeyReleaseRequest.Create(_granted, ChainId + 1, _record.Record.ContentAddress.ToString(), _record.Record.CiphertextHash, reply.PublicKey, Now.ToUnixTimeMilliseconds(), SystemRandomSource.Instance), CancellationToken.None);
        var unknown = await _records.ReleaseAsync(Request(_granted, reply.PublicKey) with { CiphertextHash = Hash256.Sha256("nothing"u8) }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(replay.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.ReplayedRequest));
            Assert.That(forged.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.BadSignature));
            Assert.That(stale.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.StaleRequest));
            Assert.That(foreign.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.StaleRequest));
            Assert.That(unknown.Failure?.RecordCode, Is.EqualTo(RecordErrorCode.NotFound));
            Assert.That(new[] { replay, forged, stale, foreign, unknown }.All(o => o.Failure!.Stage == RecordStage.Request), Is.True);
        });
    }

    [Test, Order(5)]
    public async Task Releases_appear_on_chain_and_in_the_patients_list_in_order()
    {
        await WaitUntil(() => _node.Index!.GetPatientReleases(Patient, 100).Items.Count >= _releases.Count, "the index has every release");

        var page1 = _node.Index!.GetPatientReleases(Patient, 2);
        var all = page1.Items.Concat(_node.Index.GetPatientReleases(Patient, 100, page1.Next).Items).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(all.Select(r => r.TransactionId), Is.EqualTo(_releases));
            Assert.That(all.Select(r => r.Recipient), Is.EqualTo(new[] { Patient, _granted.Address, _granted.Address }));
            Assert.That(all.All(r => r.Releaser == _hospital.Address && r.CiphertextHash == _record.Record.CiphertextHash), Is.True);
            Assert.That(all.Select(r => r.Height), Is.Ordered);
        });
    }

    [Test, Order(6)]
    public async Task Ingestion_failing_at_any_step_leaves_no_anchor_and_no_ciphertext()
    {
        var before = StoredCids();
        Assert.That(before, Is.EqualTo(new[] { _record.Record.ContentAddress.ToString() }));
        var at = MeasuredAt.AddSeconds(1);

        var unknownDevice = _records.Prepare(_unregistered.Address, RecordType.Vitals, at, Vitals(at));
        var invalidFhir = _records.Prepare(_device.Address, RecordType.Vitals, at, Vitals(at, heartRate: 900m));
        var wrongTime = _records.Prepare(_device.Address, RecordType.Vitals, at.AddSeconds(1), Vitals(at));
        var gate = await _records.IngestAsync(_device.Address, RecordType.Vitals, at, Vitals(at), SignAnchor, "attack", CancellationToken.None);
        var badSequence = await _records.IngestAsync(_device.Address, RecordType.Vitals, at, Vitals(at), (a, s) => SignAnchor(a, s + 5), "normal", CancellationToken.None);
        var otherSigner = await _records.IngestAsync(_device.Address, RecordType.Vitals, at, Vitals(at), (a, s) => Transaction.Create(_unregistered, ChainId, 0, Now.ToUnixTimeMilliseconds(), a), "normal", CancellationToken.None);
        var otherAnchor = await _records.IngestAsync(_device.Address, RecordType.Vitals, at, Vitals(at), (a, s) => SignAnchor(a with { MeasuredAtMs = a.MeasuredAtMs + 1 }, s), "normal", CancellationToken.None);
        var never = await _records.CommitAsync(SignAnchor(new RecordAnchor("bafkreinever", Hash256.Sha256("never"u8), RecordType.Vitals, at.ToUnixTimeMilliseconds()), 1), null, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That((unknownDevice.Failure?.Stage, unknownDevice.Failure?.ChainCode), Is.EqualTo((RecordStage.Device, (RejectionCode?)RejectionCode.UnknownEntity)));
            Assert.That((invalidFhir.Failure?.Stage, invalidFhir.Failure?.RecordCode), Is.EqualTo((RecordStage.Fhir, (RecordErrorCode?)RecordErrorCode.InvalidFhir)));
            Assert.That((wrongTime.Failure?.Stage, wrongTime.Failure?.RecordCode), Is.EqualTo((RecordStage.Fhir, (RecordErrorCode?)RecordErrorCode.InvalidFhir)));
            Assert.That((gate.Failure?.Stage, gate.Failure?.ChainCode, gate.Failure?.Actual), Is.EqualTo((RecordStage.Anchor, (RejectionCode?)RejectionCode.RefusedByGate, (long?)9_000)));
            Assert.That((badSequence.Failure?.Stage, badSequence.Failure?.ChainCode), Is.EqualTo((RecordStage.Anchor, (RejectionCode?)RejectionCode.BadSequence)));
            Assert.That((otherSigner.Failure?.Stage, otherSigner.Failure?.RecordCode), Is.EqualTo((RecordStage.Anchor, (RecordErrorCode?)RecordErrorCode.ContextMismatch)));
            Assert.That((otherAnchor.Failure?.Stage, otherAnchor.Failure?.RecordCode), Is.EqualTo((RecordStage.Anchor, (RecordErrorCode?)RecordErrorCode.ContextMismatch)));
            Assert.That((never.Failure?.Stage, never.Failure?.RecordCode), Is.EqualTo((RecordStage.Anchor, (RecordErrorCode?)RecordErrorCode.NotFound)));
            Assert.That(StoredCids(), Is.EqualTo(before), "no unreferenced ciphertext");
            Assert.That(_node.Pool.Snapshot().Any(t => t.Kind == TransactionKind.RecordAnchor), Is.False, "no anchor waits in the mempool");
            Assert.That(_node.Chain.State.RecordCount, Is.EqualTo(1), "no anchor on-chain");
            Assert.That(_records.PreparedCount, Is.Zero, "every prepared record was taken or refused");
        });

        var ok = await _records.IngestAsync(_device.Address, RecordType.Vitals, at, Vitals(at), SignAnchor, "normal", CancellationToken.None);
        Assert.That(ok.IsSuccess, Is.True, ok.ToString());
        Assert.That(StoredCids(), Has.Length.EqualTo(2), "a good record after all that is stored");
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }
}

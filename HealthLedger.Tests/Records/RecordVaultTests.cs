using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;
using Observation = Hl7.Fhir.Model.Observation;

namespace HealthLedger.Tests.Records;

public sealed class RecordVaultTests
{
    private RecordWorld _w = null!;
    private string _dir = null!;
    private FileSystemContentStore _disk = null!;
    private FaultyStore _store = null!;
    private RecordVault _vault = null!;

    [SetUp]
    public void SetUp()
    {
        _w = new RecordWorld();
        _dir = RecordsTestSupport.TempDirectory();
        _disk = new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = _dir });
        _store = new FaultyStore(_disk);
        _vault = _w.Vault(_store);
    }

    [TearDown]
    public void TearDown()
    {
        _w.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Test]
    public async Task Ingested_record_is_pinned_and_yields_the_anchor_fields()
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;
        var anchor = record.ToAnchor();
        var stored = (await _disk.GetAsync(record.ContentAddress, CancellationToken.None)).Value;

        Assert.Multiple(async () =>
        {
            Assert.That(await _disk.HasAsync(record.ContentAddress, CancellationToken.None), Has.Property("Value").True);
            Assert.That(anchor.ContentAddress, Is.EqualTo(record.ContentAddress.ToString()));
            Assert.That(anchor.CiphertextHash, Is.EqualTo(Hash256.Sha256(stored)));
            Assert.That(anchor.RecordType, Is.EqualTo(RecordType.Vitals));
            Assert.That(anchor.MeasuredAtMs, Is.EqualTo(RecordWorld.MeasuredAt.ToUnixTimeMilliseconds()));
            Assert.That(anchor.CheckShape(), Is.Null, "a well-formed on-chain payload");
        });
    }

    [Test]
    public async Task Patient_and_custodian_read_back_the_same_bundle()
    {
        var bundle = _w.Vitals();
        var record = (await _vault.IngestAsync(_w.Submission(bundle), CancellationToken.None)).Value;

        var asPatient = await _vault.OpenAsync(record.ToAnchoredRecord(), _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);
        var asCustodian = await _vault.OpenAsync(record.ToAnchoredRecord(), _w.Custodian.Address, _w.CustodianKey, null, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(Hl7.Fhir.Model.PocoEqualityComparisons.IsExactly(asPatient.Value, bundle), Is.True, asPatient.ToString());
            Assert.That(Hl7.Fhir.Model.PocoEqualityComparisons.IsExactly(asCustodian.Value, bundle), Is.True, asCustodian.ToString());
        });
    }

    [Test]
    public async Task An_invalid_observation_is_refused_before_anything_is_stored()
    {
        var bundle = _w.Vitals();
        ((Observation)bundle.Entry[1].Resource!).Status = null;

        var result = await _vault.IngestAsync(_w.Submission(bundle), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidFhir));
            Assert.That(_store.Puts, Is.Zero);
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task A_patient_key_that_is_no_curve_point_is_refused_before_anything_is_stored()
    {
        // y = 2^255 - 1 is above the field prime: no canonical Ed25519 point, so no X25519 image to wrap to.
        var notAPoint = Enumerable.Repeat((byte)0xFF, 31).Append((byte)0x7F).ToArray();
        var forged = _w.Submission() with { Patient = new HealthLedger.Core.Crypto.PublicKey(notAPoint) };

        var result = await _vault.IngestAsync(forged, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidKey));
            Assert.That(_store.Puts, Is.Zero);
        });
    }

    [Test]
    public async Task A_failing_pin_leaves_no_ciphertext_behind()
    {
        _store.FailPin = true;

        var result = await _vault.IngestAsync(_w.Submission(), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.StoreUnavailable));
            Assert.That(_store.Puts, Is.EqualTo(1));
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task A_refused_commit_step_leaves_no_ciphertext_behind()
    {
        IngestedRecord? seen = null;

        var result = await _vault.IngestAsync(_w.Submission(), (r, _) =>
        {
            seen = r;
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, "mempool refused the anchor"));
        }, CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.CommitFailed));
            Assert.That(seen, Is.Not.Null, "the commit step ran after the store");
            Assert.That((await _disk.HasAsync(seen!.ContentAddress, CancellationToken.None)).Value, Is.False);
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task A_throwing_commit_step_leaves_no_ciphertext_behind()
    {
        var result = await _vault.IngestAsync(_w.Submission(), (_, _) => throw new InvalidOperationException("node stopped"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.CommitFailed));
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task A_successful_commit_step_sees_the_stored_and_pinned_record()
    {
        bool pinnedDuringCommit = false;

        var result = await _vault.IngestAsync(_w.Submission(), async (r, ct) =>
        {
            pinnedDuringCommit = (await _disk.HasAsync(r.ContentAddress, ct)).Value;
            return RecordResult.Ok;
        }, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsSuccess, Is.True, result.ToString());
            Assert.That(pinnedDuringCommit, Is.True);
            Assert.That(_disk.Enumerate().Count(), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task A_store_that_names_the_content_wrongly_is_refused_with_cid_mismatch_and_cleaned_up()
    {
        _store.LieAboutCid = true;

        var result = await _vault.IngestAsync(_w.Submission(), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.CidMismatch));
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task A_failing_put_is_reported_and_nothing_stays()
    {
        _store.FailPut = true;

        var result = await _vault.IngestAsync(_w.Submission(), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.StoreUnavailable));
            Assert.That(_disk.Enumerate(), Is.Empty);
        });
    }

    [TestCase("../../../../etc/passwd")]
    [TestCase("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku/../../x")]
    [TestCase("/etc/passwd")]
    [TestCase("")]
    public async Task An_anchored_address_that_is_not_a_cid_never_reaches_the_store(string address)
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;
        var anchor = record.ToAnchoredRecord() with { ContentAddress = address };

        var result = await _vault.OpenAsync(anchor, _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.InvalidAddress));
    }

    [Test]
    public async Task An_anchor_with_another_ciphertext_hash_is_refused()
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;
        var anchor = record.ToAnchoredRecord() with { CiphertextHash = Hash256.Sha256([1]) };

        var result = await _vault.OpenAsync(anchor, _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.CiphertextHashMismatch));
    }

    [Test]
    public async Task An_anchor_claiming_another_time_or_type_is_refused_as_context_mismatch()
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;
        var otherTime = record.ToAnchoredRecord() with { MeasuredAtMs = record.MeasuredAtMs + 1 };
        var otherType = record.ToAnchoredRecord() with { RecordType = RecordType.Lab };

        var byTime = await _vault.OpenAsync(otherTime, _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);
        var byType = await _vault.OpenAsync(otherType, _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(byTime.Error?.Code, Is.EqualTo(RecordErrorCode.ContextMismatch));
            Assert.That(byType.Error?.Code, Is.EqualTo(RecordErrorCode.ContextMismatch));
        });
    }

    [Test]
    public async Task A_stored_envelope_changed_on_disk_is_refused_with_cid_mismatch()
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;
        var path = _disk.Locate(record.ContentAddress, createShard: false).Value;
        var bytes = File.ReadAllBytes(path);
        bytes[^30] ^= 1;
        File.WriteAllBytes(path, bytes);

        var result = await _vault.OpenAsync(record.ToAnchoredRecord(), _w.Patient.Address, _w.PatientKey, null, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.CidMismatch));
    }

    [Test]
    public async Task A_provider_without_a_wrap_cannot_open_the_record()
    {
        var record = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value;

        var result = await _vault.OpenAsync(record.ToAnchoredRecord(), _w.Provider.Address, _w.ProviderKey, null, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
    }
}

using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Storage;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Records.Access;

public sealed class KeyReleaseServiceTests
{
    private RecordWorld _w = null!;
    private string _dir = null!;
    private RecordVault _vault = null!;
    private InMemoryGrants _grants = null!;
    private ManualTimeProvider _clock = null!;
    private KeyReleaseService _service = null!;
    private AnchoredRecord _anchor = null!;

    [SetUp]
    public async Task SetUp()
    {
        _w = new RecordWorld();
        _dir = RecordsTestSupport.TempDirectory();
        _vault = _w.Vault(new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = _dir }));
        _grants = new InMemoryGrants();
        _clock = new ManualTimeProvider();
        _service = new KeyReleaseService(_vault, _grants, _clock);
        _anchor = (await _vault.IngestAsync(_w.Submission(), CancellationToken.None)).Value.ToAnchoredRecord();
    }

    [TearDown]
    public void TearDown()
    {
        _w.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private KeyReleaseRequest Request(HealthLedger.Core.Crypto.KeyPair who, EncryptionKeyPair replyTo, long? atMs = null, string? address = null, uint chain = RecordWorld.ChainId) =>
        KeyReleaseRequest.Create(who, chain, address ?? _anchor.ContentAddress, _anchor.CiphertextHash, replyTo.PublicKey, atMs ?? _clock.NowMs, _w.Random);

    [Test]
    public async Task A_provider_with_an_active_grant_gets_a_key_that_opens_the_record()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));

        var wrap = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey), _anchor, CancellationToken.None);
        var opened = await _vault.OpenAsync(_anchor, _w.Provider.Address, _w.ProviderKey, wrap.Value.Wrap, CancellationToken.None);

        Assert.That(opened.IsSuccess, Is.True, opened.ToString());
    }

    [Test]
    public async Task The_patient_gets_a_key_without_any_grant()
    {
        using var replyKey = EncryptionKeyPair.Generate(_w.Random);

        var wrap = await _service.ReleaseAsync(Request(_w.Patient, replyKey), _anchor, CancellationToken.None);
        var opened = await _vault.OpenAsync(_anchor, _w.Patient.Address, replyKey, wrap.Value.Wrap, CancellationToken.None);

        Assert.That(opened.IsSuccess, Is.True, opened.ToString());
    }

    [Test]
    public async Task A_provider_never_granted_is_refused()
    {
        var result = await _service.ReleaseAsync(Request(_w.Stranger, _w.ProviderKey), _anchor, CancellationToken.None);

        AssertDenied(result, GrantStatus.NotGranted);
    }

    [Test]
    public async Task A_revoked_provider_is_refused()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));
        _grants.Revoke(_w.Patient.Address, _w.Provider.Address);

        var result = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey), _anchor, CancellationToken.None);

        AssertDenied(result, GrantStatus.Revoked);
    }

    [Test]
    public async Task A_provider_whose_grant_expired_is_refused_even_with_a_request_signed_before_expiry()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddMinutes(1));
        var signedBefore = Request(_w.Provider, _w.ProviderKey);
        _clock.Advance(TimeSpan.FromMinutes(2));

        var result = await _service.ReleaseAsync(signedBefore, _anchor, CancellationToken.None);

        AssertDenied(result, GrantStatus.Expired);
    }

    [Test]
    public async Task A_provider_granted_another_record_type_is_refused()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Lab | RecordScope.Ecg, _clock.GetUtcNow().AddDays(30));

        var result = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey), _anchor, CancellationToken.None);

        AssertDenied(result, GrantStatus.OutOfScope);
    }

    [Test]
    public async Task A_request_with_a_forged_signature_is_refused()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));
        using var attackerKey = EncryptionKeyPair.Generate(_w.Random);
        var forged = Request(_w.Provider, _w.ProviderKey) with { ReplyKey = attackerKey.PublicKey };

        var result = await _service.ReleaseAsync(forged, _anchor, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.BadSignature));
    }

    [Test]
    public async Task A_request_signed_outside_the_clock_window_is_refused()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));

        var old = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey, _clock.NowMs - 6 * 60_000), _anchor, CancellationToken.None);
        var future = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey, _clock.NowMs + 6 * 60_000), _anchor, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(old.Error?.Code, Is.EqualTo(RecordErrorCode.StaleRequest));
            Assert.That(future.Error?.Code, Is.EqualTo(RecordErrorCode.StaleRequest));
        });
    }

    [Test]
    public async Task A_request_for_another_chain_or_record_is_refused()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));

        var otherChain = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey, chain: RecordWorld.ChainId + 1), _anchor, CancellationToken.None);
        var otherRecord = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey, address: "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"), _anchor, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(otherChain.Error?.Code, Is.EqualTo(RecordErrorCode.StaleRequest));
            Assert.That(otherRecord.Error?.Code, Is.EqualTo(RecordErrorCode.ContextMismatch));
        });
    }

    [Test]
    public async Task A_released_wrap_does_not_open_for_anyone_else()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30));
        var wrap = (await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey), _anchor, CancellationToken.None)).Value.Wrap;

        var byStranger = await _vault.OpenAsync(_anchor, _w.Stranger.Address, _w.ProviderKey, wrap, CancellationToken.None);
        var withOtherKey = await _vault.OpenAsync(_anchor, _w.Provider.Address, _w.PatientKey, wrap, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(byStranger.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
            Assert.That(withOtherKey.Error?.Code, Is.EqualTo(RecordErrorCode.WrongKeyWrap));
        });
    }

    private static void AssertDenied(RecordResult<ReleasedKey> result, GrantStatus status)
    {
        Assert.Multiple(() =>
        {
            Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.AccessDenied));
            Assert.That((GrantStatus?)result.Error?.Actual, Is.EqualTo(status));
        });
    }

    [Test]
    public async Task A_replayed_request_is_refused_and_a_fresh_nonce_is_served()
    {
        var request = Request(_w.Patient, _w.PatientKey);

        var first = await _service.ReleaseAsync(request, _anchor, CancellationToken.None);
        var replay = await _service.ReleaseAsync(request, _anchor, CancellationToken.None);
        var fresh = await _service.ReleaseAsync(Request(_w.Patient, _w.PatientKey), _anchor, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(first.IsSuccess, Is.True, first.ToString());
            Assert.That(replay.Error?.Code, Is.EqualTo(RecordErrorCode.ReplayedRequest));
            Assert.That(fresh.IsSuccess, Is.True, fresh.ToString());
        });
    }

    [Test]
    public async Task A_request_naming_another_ciphertext_hash_is_refused()
    {
        var request = KeyReleaseRequest.Create(_w.Patient, RecordWorld.ChainId, _anchor.ContentAddress, HealthLedger.Core.Crypto.Hash256.Sha256("other"u8), _w.PatientKey.PublicKey, _clock.NowMs, _w.Random);

        var result = await _service.ReleaseAsync(request, _anchor, CancellationToken.None);

        Assert.That(result.Error?.Code, Is.EqualTo(RecordErrorCode.ContextMismatch));
    }

    [Test]
    public async Task The_record_step_sees_the_decision_and_its_refusal_withholds_the_key()
    {
        _grants.Grant(_w.Patient.Address, _w.Provider.Address, RecordScope.Vitals, _clock.GetUtcNow().AddDays(30), grantHeight: 17);
        ReleaseDecision? seen = null;
        var request = Request(_w.Provider, _w.ProviderKey);

        var refused = await _service.ReleaseAsync(request, _anchor, (d, _) =>
        {
            seen = d;
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, "chain busy"));
        }, CancellationToken.None);
        var recorded = await _service.ReleaseAsync(Request(_w.Provider, _w.ProviderKey), _anchor, (_, _) => Task.FromResult(RecordResult.Ok), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(refused.Error?.Code, Is.EqualTo(RecordErrorCode.NotRecorded));
            Assert.That(seen, Is.EqualTo(new ReleaseDecision(_anchor, _w.Provider.Address, _clock.NowMs, 17, request.RequestId)));
            Assert.That(recorded.Value.Decision.GrantHeight, Is.EqualTo(17UL));
        });
    }

    [Test]
    public async Task A_full_replay_window_refuses_rather_than_forgets()
    {
        var small = new KeyReleaseService(_vault, _grants, _clock, new KeyReleaseOptions { MaxRememberedRequests = 2 });
        var results = new List<RecordErrorCode?>();
        for (var i = 0; i < 3; i++)
        {
            results.Add((await small.ReleaseAsync(Request(_w.Patient, _w.PatientKey), _anchor, CancellationToken.None)).Error?.Code);
        }
        _clock.Advance(TimeSpan.FromMinutes(6)); // the first two requests are stale now, and forgotten
        results.Add((await small.ReleaseAsync(Request(_w.Patient, _w.PatientKey), _anchor, CancellationToken.None)).Error?.Code);

        Assert.That(results, Is.EqualTo(new RecordErrorCode?[] { null, null, RecordErrorCode.TooLarge, null }));
    }
}

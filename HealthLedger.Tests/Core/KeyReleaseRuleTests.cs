using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>A key release is recorded by an active node and judged at its own time against the state it is applied to (docs/format.md, "Key releases").</summary>
[TestFixture]
public sealed class KeyReleaseRuleTests
{
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;

    private TestLedger _t = null!;
    private LedgerState _state = null!;
    private long _now;
    private ulong _height;
    private readonly Dictionary<Address, ulong> _sequences = [];
    private Hash256 _vitals;
    private Hash256 _lab;

    [SetUp]
    public void SetUp()
    {
        _t = new TestLedger();
        _state = LedgerState.CreateGenesis(_t.Genesis);
        _now = _t.Time.NowMs;
        _height = 0;
        _sequences.Clear();
        Apply(_t.Patient, new PatientRegistration(Hash256.Sha256("mrn"u8)));
        var pop = _t.Device.Sign(DeviceRegistration.ProofOfPossessionMessage(TestLedger.ChainId, _t.Device.PublicKey, _t.Patient.Address, _t.Provider.Address));
        Apply(_t.Provider, new DeviceRegistration(_t.Device.PublicKey, _t.Patient.Address, DeviceClass.Wearable, pop));
        _vitals = Hash256.Sha256("vitals"u8);
        _lab = Hash256.Sha256("lab"u8);
        Apply(_t.Device, new RecordAnchor("bafyvitals", _vitals, RecordType.Vitals, _now - 1000));
        Apply(_t.Device, new RecordAnchor("bafylab", _lab, RecordType.Lab, _now - 1000));
    }

    private ValidationResult TryApply(KeyPair signer, TransactionPayload payload)
    {
        var seq = _sequences.GetValueOrDefault(signer.Address);
        var tx = Transaction.Create(signer, TestLedger.ChainId, seq, _now, payload);
        var (next, result) = _state.ApplyTransaction(tx, new BlockContext(++_height, _now, TestLedger.ChainId, _ => null));
        if (next is not null)
        {
            _state = next;
            _sequences[signer.Address] = seq + 1;
        }

        return result;
    }

    private void Apply(KeyPair signer, TransactionPayload payload)
    {
        var result = TryApply(signer, payload);
        Assert.That(result.IsValid, Is.True, result.ToString());
    }

    private ulong GrantVitals(long expiresAtMs)
    {
        Apply(_t.Patient, new AccessGrant(_t.Provider.Address, RecordScope.Vitals, expiresAtMs));
        return _state.GetGrant(_t.Patient.Address, _t.Provider.Address, RecordType.Vitals)!.GrantedAtHeight;
    }

    private ValidationResult Release(Address recipient, ulong grantHeight, Hash256? record = null, long? at = null, KeyPair? by = null) =>
        TryApply(by ?? _t.Gateway, new KeyRelease(record ?? _vitals, recipient, at ?? _now, grantHeight, Hash256.Sha256("request"u8)));

    [Test]
    public void The_patient_is_always_released_to_and_names_no_grant()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Release(_t.Patient.Address, 0).IsValid, Is.True);
            Assert.That(Release(_t.Patient.Address, 3).Code, Is.EqualTo(RejectionCode.FieldOutOfRange));
        });
    }

    [Test]
    public void A_provider_with_an_active_grant_for_the_type_is_released_to()
    {
        var height = GrantVitals(_now + Hour);
        Assert.That(Release(_t.Provider.Address, height).IsValid, Is.True);
    }

    [Test]
    public void A_never_granted_provider_is_refused() =>
        Assert.That(Release(_t.Provider.Address, 0).Code, Is.EqualTo(RejectionCode.NotAuthorized));

    [Test]
    public void A_grant_for_another_type_does_not_cover_the_record()
    {
        Apply(_t.Patient, new AccessGrant(_t.Provider.Address, RecordScope.Lab, _now + Hour));
        var labHeight = _state.GetGrant(_t.Patient.Address, _t.Provider.Address, RecordType.Lab)!.GrantedAtHeight;

        Assert.Multiple(() =>
        {
            Assert.That(Release(_t.Provider.Address, labHeight, _vitals).Code, Is.EqualTo(RejectionCode.NotAuthorized));
            Assert.That(Release(_t.Provider.Address, labHeight, _lab).IsValid, Is.True);
        });
    }

    [Test]
    public void A_release_after_the_grant_expired_is_refused_with_both_times()
    {
        var height = GrantVitals(_now + 1000);
        _now += 2000;

        var result = Release(_t.Provider.Address, height);

        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(RejectionCode.Expired));
            Assert.That(result.Actual, Is.EqualTo(_now));
            Assert.That(result.Limit, Is.EqualTo(_now - 1000));
        });
    }

    [Test]
    public void A_revoked_grant_is_refused()
    {
        var height = GrantVitals(_now + Hour);
        Apply(_t.Patient, new AccessRevoke(_t.Provider.Address, RecordScope.Vitals));
        Assert.That(Release(_t.Provider.Address, height).Code, Is.EqualTo(RejectionCode.NotAuthorized));
    }

    [Test]
    public void A_release_naming_a_superseded_grant_is_refused()
    {
        var first = GrantVitals(_now + Hour);
        var second = GrantVitals(_now + 2 * Hour);

        Assert.Multiple(() =>
        {
            Assert.That(first, Is.Not.EqualTo(second));
            Assert.That(Release(_t.Provider.Address, first).Code, Is.EqualTo(RejectionCode.NotAuthorized));
            Assert.That(Release(_t.Provider.Address, second).IsValid, Is.True);
        });
    }

    [Test]
    public void A_recipient_whose_node_was_revoked_is_refused()
    {
        var height = GrantVitals(_now + Hour);
        Apply(_t.Authority, new NodeRevocation(_t.Provider.Address));
        Assert.That(Release(_t.Provider.Address, height).Code, Is.EqualTo(RejectionCode.NotAuthorized));
    }

    [Test]
    public void Only_an_active_node_records_releases()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Release(_t.Patient.Address, 0, by: _t.Patient).Code, Is.EqualTo(RejectionCode.NotAuthorized));
            Assert.That(Release(_t.Patient.Address, 0, by: _t.Device).Code, Is.EqualTo(RejectionCode.NotAuthorized));
        });
    }

    [Test]
    public void An_unknown_record_is_refused() =>
        Assert.That(Release(_t.Patient.Address, 0, Hash256.Sha256("nothing"u8)).Code, Is.EqualTo(RejectionCode.UnknownEntity));

    [TestCase(-KeyRelease.MaxAgeMs - 1, false)]
    [TestCase(-KeyRelease.MaxAgeMs, true)]
    [TestCase(KeyRelease.MaxAheadMs, true)]
    [TestCase(KeyRelease.MaxAheadMs + 1, false)]
    public void A_release_must_be_dated_near_the_block_time(long offsetMs, bool valid)
    {
        var result = Release(_t.Patient.Address, 0, at: _now + offsetMs);
        Assert.That(result.IsValid ? RejectionCode.None : result.Code, Is.EqualTo(valid ? RejectionCode.None : RejectionCode.FieldOutOfRange));
    }

    [Test]
    public void A_grant_cannot_be_reached_by_dating_a_release_back()
    {
        // Granted until now + 1 s; ten seconds later a release dated inside the grant is still inside the age window,
        // so it applies (it was made while the grant held); one dated after expiry does not.
        var height = GrantVitals(_now + 1000);
        var grantedAt = _now;
        _now += 10_000;

        Assert.Multiple(() =>
        {
            Assert.That(Release(_t.Provider.Address, height, at: grantedAt + 500).IsValid, Is.True);
            Assert.That(Release(_t.Provider.Address, height, at: grantedAt + 1000).Code, Is.EqualTo(RejectionCode.Expired));
        });
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Access grants are keyed by (patient, grantee, record type), each with its own expiry (issue 10 symptom 7;
/// docs/format.md, "Access grants").
/// </summary>
[TestFixture]
public sealed class AccessGrantTests
{
    private static readonly long Hour = (long)TimeSpan.FromHours(1).TotalMilliseconds;
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    private TestLedger _t = null!;
    private LedgerState _state = null!;
    private long _now;
    private ulong _height;
    private ulong _patientSeq;
    private ulong _deviceSeq;

    [SetUp]
    public void SetUp()
    {
        _t = new TestLedger();
        _state = LedgerState.CreateGenesis(_t.Genesis);
        _now = _t.Time.NowMs;
        (_height, _patientSeq, _deviceSeq) = (0, 0, 0);
        Apply(_t.RegisterPatient(_patientSeq++));
        Apply(_t.RegisterDevice());
        AnchorRecord(RecordType.Vitals, "vitals-1");
        AnchorRecord(RecordType.Lab, "lab-1");
        AnchorRecord(RecordType.Ecg, "ecg-1");
    }

    private Address Patient => _t.Patient.Address;

    private Address Provider => _t.Provider.Address;

    private ValidationResult TryApply(Transaction tx)
    {
        var (next, result) = _state.ApplyTransaction(tx, new BlockContext(++_height, _now, TestLedger.ChainId, _ => null));
        _state = next ?? _state;
        return result;
    }

    private void Apply(Transaction tx)
    {
        var result = TryApply(tx);
        Assert.That(result.IsValid, Is.True, result.ToString());
    }

    private void AnchorRecord(RecordType type, string label) =>
        Apply(_t.Tx(_t.Device, _deviceSeq++, new RecordAnchor("bafy" + label, Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(label)), type, _now - 1000)));

    private ValidationResult Grant(RecordScope scope, long expiresAtMs) =>
        TryApply(_t.Tx(_t.Patient, _patientSeq++, new AccessGrant(Provider, scope, expiresAtMs)));

    private ValidationResult Revoke(RecordScope scope) =>
        TryApply(_t.Tx(_t.Patient, _patientSeq++, new AccessRevoke(Provider, scope)));

    private RecordType[] ReadableTypesAt(long nowMs) =>
        [.. _state.GetReadableRecords(Patient, Provider, nowMs).Select(r => r.RecordType).Distinct().Order()];

    [Test]
    public void A_later_grant_of_another_type_does_not_extend_the_first()
    {
        var start = _now;
        Assert.That(Grant(RecordScope.Vitals, start + Hour).IsValid, Is.True);
        _now += 60_000;
        Assert.That(Grant(RecordScope.Lab, start + 30 * Day).IsValid, Is.True);

        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals)!.ExpiresAtMs, Is.EqualTo(start + Hour));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Lab)!.ExpiresAtMs, Is.EqualTo(start + 30 * Day));
        Assert.That(ReadableTypesAt(start + 2 * Hour), Is.EqualTo(new[] { RecordType.Lab }), "vitals expired after one hour");
        Assert.That(ReadableTypesAt(start + 30 * Hour), Is.EqualTo(new[] { RecordType.Lab }));
        Assert.That(ReadableTypesAt(start + 30 * Day), Is.Empty);
    }

    [Test]
    public void Before_the_first_expiry_both_types_are_readable()
    {
        Grant(RecordScope.Vitals, _now + Hour);
        Grant(RecordScope.Lab, _now + Day);
        Assert.That(ReadableTypesAt(_now + Hour - 1), Is.EqualTo(new[] { RecordType.Vitals, RecordType.Lab }));
        Assert.That(ReadableTypesAt(_now + Hour), Is.EqualTo(new[] { RecordType.Lab }), "access ends at the expiry instant");
    }

    [Test]
    public void A_grant_covering_several_types_creates_one_grant_per_type()
    {
        Assert.That(Grant(RecordScope.Vitals | RecordScope.Ecg, _now + Day).IsValid, Is.True);

        var grants = _state.GetGrants(Patient).ToList();
        Assert.That(grants.Select(g => g.RecordType), Is.EqualTo(new[] { RecordType.Vitals, RecordType.Ecg }));
        Assert.That(grants.Select(g => (g.Patient, g.Grantee, g.ExpiresAtMs)).Distinct(), Is.EqualTo(new[] { (Patient, Provider, _now + Day) }));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Lab), Is.Null);
    }

    [Test]
    public void Revoking_one_type_leaves_the_others_with_their_own_expiry()
    {
        Grant(RecordScope.Vitals | RecordScope.Ecg, _now + Day);
        Grant(RecordScope.Lab, _now + 2 * Day);

        Assert.That(Revoke(RecordScope.Vitals).IsValid, Is.True);

        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals), Is.Null);
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Ecg)!.ExpiresAtMs, Is.EqualTo(_now + Day));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Lab)!.ExpiresAtMs, Is.EqualTo(_now + 2 * Day));
        Assert.That(ReadableTypesAt(_now + 1), Is.EqualTo(new[] { RecordType.Ecg, RecordType.Lab }));
    }

    [Test]
    public void Revoking_every_type_removes_the_patients_grants()
    {
        Grant(RecordScope.Vitals | RecordScope.Lab, _now + Day);
        Assert.That(Revoke(RecordScope.All).IsValid, Is.True);
        Assert.That(_state.GetGrants(Patient), Is.Empty);
        Assert.That(ReadableTypesAt(_now + 1), Is.Empty);
    }

    [TestCase(RecordScope.Lab, TestName = "a type that was never granted")]
    [TestCase(RecordScope.Glucose | RecordScope.Imaging, TestName = "several types none of which was granted")]
    public void Revoking_only_types_without_a_grant_is_refused(RecordScope scope)
    {
        Grant(RecordScope.Vitals, _now + Day);
        var result = Revoke(scope);
        Assert.That(result.Code, Is.EqualTo(RejectionCode.UnknownEntity));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals), Is.Not.Null, "nothing changed");
    }

    [TestCase(30L * 24, 1L, TestName = "re-grant shortens: thirty days then one hour")]
    [TestCase(1L, 30L * 24, TestName = "re-grant lengthens: one hour then thirty days")]
    public void A_re_grant_of_the_same_type_replaces_its_expiry(long firstHours, long secondHours)
    {
        var start = _now;
        Grant(RecordScope.Vitals | RecordScope.Lab, start + firstHours * Hour);
        _now += 1000;
        Assert.That(Grant(RecordScope.Vitals, start + secondHours * Hour).IsValid, Is.True);

        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals)!.ExpiresAtMs, Is.EqualTo(start + secondHours * Hour));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals)!.GrantedAtHeight, Is.EqualTo(_height));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Lab)!.ExpiresAtMs, Is.EqualTo(start + firstHours * Hour), "the other type keeps its expiry");
    }

    [TestCase(-1L, TestName = "expiry one millisecond before the block time")]
    [TestCase(0L, TestName = "expiry at the block time")]
    [TestCase(-30L * 24 * 3_600_000, TestName = "expiry a month ago")]
    public void A_grant_whose_expiry_is_not_after_the_block_time_is_refused_as_expired(long offsetMs)
    {
        var result = Grant(RecordScope.Vitals, _now + offsetMs);
        Assert.That((result.Code, result.Actual, result.Limit), Is.EqualTo((RejectionCode.Expired, (long?)(_now + offsetMs), (long?)_now)));
        Assert.That(_state.GetGrants(Patient), Is.Empty);
    }

    [Test]
    public void An_expired_re_grant_does_not_shorten_an_existing_grant()
    {
        Grant(RecordScope.Vitals, _now + Day);
        Assert.That(Grant(RecordScope.Vitals, _now - 1).Code, Is.EqualTo(RejectionCode.Expired));
        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals)!.ExpiresAtMs, Is.EqualTo(_now + Day));
    }

    [Test]
    public void A_revoked_provider_reads_nothing_although_its_grant_remains()
    {
        Grant(RecordScope.All, _now + Day);
        Apply(_t.Tx(_t.Authority, 0, new NodeRevocation(Provider)));

        Assert.That(_state.GetGrant(Patient, Provider, RecordType.Vitals), Is.Not.Null);
        Assert.That(_state.GetReadableRecords(Patient, Provider, _now + 1), Is.Empty);
    }

    [Test]
    public void Grants_to_different_providers_are_independent()
    {
        using var other = KeyPair.FromLabel("validator-0");
        Grant(RecordScope.Vitals, _now + Hour);
        Assert.That(ReadableTypesAt(_now + 1), Is.EqualTo(new[] { RecordType.Vitals }));
        Assert.That(_state.GetReadableRecords(Patient, other.Address, _now + 1), Is.Empty);
        Assert.That(_state.GetGrant(Patient, other.Address, RecordType.Vitals), Is.Null);
    }
}

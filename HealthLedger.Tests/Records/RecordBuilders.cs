using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Content;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;
using Hl7.Fhir.Model;
using Address = HealthLedger.Core.Crypto.Address;

namespace HealthLedger.Tests.Records;

/// <summary>The cast of the records tests: a patient, a device, a custodian hospital and two providers, each with keys.</summary>
internal sealed class RecordWorld : IDisposable
{
    public const uint ChainId = 7;

    public RecordWorld()
    {
        Random = SystemRandomSource.Instance;
        PatientKey = IdentityEncryptionKeys.FromIdentity(Patient);
        CustodianKey = IdentityEncryptionKeys.FromIdentity(Custodian);
        ProviderKey = EncryptionKeyPair.Generate(Random);
    }

    public IRandomSource Random { get; }

    public KeyPair Patient { get; } = KeyPair.FromLabel("records-patient");

    public KeyPair Device { get; } = KeyPair.FromLabel("records-device");

    public KeyPair Custodian { get; } = KeyPair.FromLabel("records-hospital");

    public KeyPair Provider { get; } = KeyPair.FromLabel("records-clinic");

    public KeyPair Stranger { get; } = KeyPair.FromLabel("records-stranger");

    public EncryptionKeyPair PatientKey { get; }

    public EncryptionKeyPair CustodianKey { get; }

    public EncryptionKeyPair ProviderKey { get; }

    public static DateTimeOffset MeasuredAt { get; } = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);

    public Bundle Vitals(params VitalSignReading[] readings) =>
        VitalSignsBundle.Build(Patient.Address, Device.Address, MeasuredAt,
            readings.Length > 0 ? readings : [new(VitalSign.HeartRate, 72m), new(VitalSign.OxygenSaturation, 97m), new(VitalSign.BodyTemperature, 36.8m)],
            Random);

    public RecordSubmission Submission(Bundle? bundle = null) =>
        new(Device.Address, Patient.PublicKey, RecordType.Vitals, MeasuredAt, bundle ?? Vitals());

    public RecordVault Vault(IContentStore store) =>
        new(ChainId, store, new RecordCustodian(Custodian.Address, CustodianKey), new FhirRecordCodec(), Random);

    public void Dispose()
    {
        PatientKey.Dispose();
        CustodianKey.Dispose();
        ProviderKey.Dispose();
        foreach (var k in new[] { Patient, Device, Custodian, Provider, Stranger })
        {
            k.Dispose();
        }
    }
}

/// <summary>A store decorator that fails chosen steps, or lies about CIDs, around a real store.</summary>
internal sealed class FaultyStore(IContentStore inner) : IContentStore
{
    public bool FailPut { get; set; }

    public bool FailPin { get; set; }

    public bool LieAboutCid { get; set; }

    public int Puts { get; private set; }

    public long MaxContentBytes => inner.MaxContentBytes;

    public async Task<RecordResult<Cid>> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Puts++;
        if (FailPut)
        {
            return RecordResult<Cid>.Fail(RecordErrorCode.StoreUnavailable, "injected put failure");
        }
        var put = await inner.PutAsync(content, cancellationToken);
        return LieAboutCid && put.IsSuccess ? UnixFsDag.ComputeCid([1, 2, 3]) : put;
    }

    public Task<RecordResult<byte[]>> GetAsync(Cid cid, CancellationToken cancellationToken) => inner.GetAsync(cid, cancellationToken);

    public Task<RecordResult> PinAsync(Cid cid, CancellationToken cancellationToken) =>
        FailPin ? System.Threading.Tasks.Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, "injected pin failure")) : inner.PinAsync(cid, cancellationToken);

    public Task<RecordResult<bool>> HasAsync(Cid cid, CancellationToken cancellationToken) => inner.HasAsync(cid, cancellationToken);

    public Task<RecordResult> RemoveAsync(Cid cid, CancellationToken cancellationToken) => inner.RemoveAsync(cid, cancellationToken);
}

/// <summary>An in-memory grant table: (patient, provider, type) → status, with expiry.</summary>
internal sealed class InMemoryGrants : IGrantOracle
{
    private readonly Dictionary<(Address, Address), (RecordScope Scope, DateTimeOffset Expires, bool Revoked, ulong Height)> _grants = [];

    public void Grant(Address patient, Address provider, RecordScope scope, DateTimeOffset expires, ulong grantHeight = 1) => _grants[(patient, provider)] = (scope, expires, false, grantHeight);

    public void Revoke(Address patient, Address provider) => _grants[(patient, provider)] = _grants[(patient, provider)] with { Revoked = true };

    public ValueTask<GrantCheck> CheckAsync(Address patient, Address provider, RecordType type, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (!_grants.TryGetValue((patient, provider), out var g))
        {
            return ValueTask.FromResult(new GrantCheck(GrantStatus.NotGranted));
        }
        var status = g.Revoked ? GrantStatus.Revoked
            : at >= g.Expires ? GrantStatus.Expired
            : !g.Scope.Covers(type) ? GrantStatus.OutOfScope
            : GrantStatus.Active;
        return ValueTask.FromResult(new GrantCheck(status, status == GrantStatus.Active ? g.Height : 0));
    }
}

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;

namespace HealthLedger.Benchmarks.Records;

/// <summary>Where the vault keeps envelopes.</summary>
public enum RecordStoreKind
{
    /// <summary><see cref="FileSystemContentStore"/> in a temporary directory.</summary>
    Local,

    /// <summary><see cref="KuboContentStore"/> against the daemon named by HEALTHLEDGER_IPFS_API.</summary>
    Ipfs,
}

/// <summary>
/// Ingestion (build the FHIR bundle, validate, encrypt, store, pin) and retrieval (fetch, check CID and hash,
/// decrypt, parse and validate) of vital-signs records whose FHIR JSON is about 1 KiB, 64 KiB or 1 MiB, on the local
/// store and on IPFS. IPFS needs <c>eval "$(bash .ci/ipfs/ipfs.sh start)"</c> first.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(InProcessShortConfig))]
public class RecordVaultBenchmarks : IDisposable
{
    private const uint ChainId = 1;
    private readonly KeyPair _patient = KeyPair.FromLabel("bench-patient");
    private readonly KeyPair _device = KeyPair.FromLabel("bench-device");
    private readonly KeyPair _hospital = KeyPair.FromLabel("bench-hospital");
    private EncryptionKeyPair _patientKey = null!;
    private EncryptionKeyPair _hospitalKey = null!;
    private HttpClient? _http;
    private string? _dir;
    private RecordVault _vault = null!;
    private VitalSignReading[] _readings = [];
    private AnchoredRecord _stored = null!;

    /// <summary>The store.</summary>
    [Params(RecordStoreKind.Local, RecordStoreKind.Ipfs)]
    public RecordStoreKind Store { get; set; }

    /// <summary>Target size of the FHIR JSON, in KiB.</summary>
    [Params(1, 64, 1024)]
    public int PayloadKiB { get; set; }

    /// <summary>Opens the store and ingests one record to read back.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _patientKey = IdentityEncryptionKeys.FromIdentity(_patient);
        _hospitalKey = IdentityEncryptionKeys.FromIdentity(_hospital);
        IContentStore store;
        if (Store == RecordStoreKind.Local)
        {
            _dir = Path.Combine(Path.GetTempPath(), "hl-bench-records-" + Guid.NewGuid().ToString("N"));
            store = new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = _dir });
        }
        else
        {
            var api = Environment.GetEnvironmentVariable("HEALTHLEDGER_IPFS_API")
                ?? throw new InvalidOperationException("Set HEALTHLEDGER_IPFS_API (eval \"$(bash .ci/ipfs/ipfs.sh start)\").");
            _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            store = new KuboContentStore(_http, new KuboContentStoreOptions { Endpoint = new Uri(api) }, TimeProvider.System);
        }
        var codec = new FhirRecordCodec(new FhirLimits { MaxObservations = 100_000, MaxPayloadBytes = 4 * 1024 * 1024 });
        _vault = new RecordVault(ChainId, store, new RecordCustodian(_hospital.Address, _hospitalKey), codec, SystemRandomSource.Instance);

        // Size the bundle: observations cycle through the vital signs until the JSON reaches the target.
        var one = codec.Serialize(Bundle(1)).Length;
        var two = codec.Serialize(Bundle(2)).Length;
        var count = Math.Max(1, (PayloadKiB * 1024 - one) / (two - one) + 1);
        _readings = Readings(count);
        _stored = _vault.IngestAsync(Submission(), CancellationToken.None).GetAwaiter().GetResult().Value.ToAnchoredRecord();
    }

    /// <summary>Build FHIR, validate, encrypt, store and pin one record.</summary>
    [Benchmark(Baseline = true)]
    public async Task<IngestedRecord> Ingest() => (await _vault.IngestAsync(Submission(), CancellationToken.None).ConfigureAwait(false)).Value;

    /// <summary>Fetch, verify, decrypt and parse one record as the patient.</summary>
    [Benchmark]
    public async Task<int> Retrieve()
    {
        var bundle = (await _vault.OpenAsync(_stored, _patient.Address, _patientKey, null, CancellationToken.None).ConfigureAwait(false)).Value;
        return bundle.Entry.Count;
    }

    /// <summary>Removes the temporary store.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _http?.Dispose();
        if (_dir is not null && Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _patientKey?.Dispose();
        _hospitalKey?.Dispose();
        _patient.Dispose();
        _device.Dispose();
        _hospital.Dispose();
        _http?.Dispose();
        GC.SuppressFinalize(this);
    }

    private RecordSubmission Submission() =>
        new(_device.Address, _patient.PublicKey, RecordType.Vitals, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000),
            VitalSignsBundle.Build(_patient.Address, _device.Address, DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000), _readings, SystemRandomSource.Instance));

    private Hl7.Fhir.Model.Bundle Bundle(int count) =>
        VitalSignsBundle.Build(_patient.Address, _device.Address, DateTimeOffset.UnixEpoch.AddYears(57), Readings(count), SystemRandomSource.Instance);

    private static VitalSignReading[] Readings(int count) =>
        Enumerable.Range(0, count).Select(i => VitalSignCode.All[i % VitalSignCode.All.Count]).Select(c => new VitalSignReading(c.Sign, (c.Minimum + c.Maximum) / 2)).ToArray();
}

/// <summary>
/// In process (no generated project to build: on the shared two-core machine that build timed out), 2 warm-up and
/// 8 measured iterations: I/O-bound cases whose spread is dominated by the machine's load, not by the iteration count.
/// </summary>
internal sealed class InProcessShortConfig : ManualConfig
{
    public InProcessShortConfig() =>
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(8));
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using HealthLedger.Api;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Node;
using HealthLedger.Node.Records;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace HealthLedger.Tests.Api;

/// <summary>The record endpoints and <see cref="RecordsClient"/>, success and error paths, against a real Kestrel on loopback over a mining node.</summary>
[TestFixture]
[Category("Slow")]
public sealed class RecordsApiTests
{
    private const uint ChainId = 43;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly KeyPair _hospital = KeyPair.FromLabel("ra-hospital");
    private readonly KeyPair _patient = KeyPair.FromLabel("ra-patient");
    private readonly KeyPair _device = KeyPair.FromLabel("ra-device");
    private readonly KeyPair _stranger = KeyPair.FromLabel("ra-stranger");
    private string _dir = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private LedgerNode _node = null!;
    private RecordsClient _client = null!;
    private RecordAnchorResponse _stored = null!;

    [OneTimeSetUp]
    public async Task StartNodeAndApi()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hl-records-api-" + Guid.NewGuid().ToString("N"));
        var genesis = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel("ra-authority").PublicKey],
            InitialNodes = [new GenesisNode(_hospital.PublicKey, NodeRoles.Validator | NodeRoles.Provider, "hospital"), new GenesisNode(_stranger.PublicKey, NodeRoles.Provider, "elsewhere")],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(4), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var detector = new HealthLedger.Detection.Runtime.FakeIntrusionDetector(s => s.Fields.TryGetValue("SrcLoad", out var v) && v.Number > 1_000 ? 0.9f : 0.1f);
        var gate = new HealthLedger.Detection.Gate.DetectorAdmissionFilter(new HealthLedger.Detection.Gate.DetectorGate(detector, TimeProvider.System));
        builder.Services.AddHealthLedgerNode(new LedgerNodeOptions
        {
            Genesis = genesis,
            NodeKey = _hospital,
            DataDirectory = _dir,
            MinBlockInterval = TimeSpan.FromMilliseconds(100),
            Gates = [gate],
            Records = new RecordsOptions(),
        });
        builder.Services.AddHealthLedgerApi();
        _app = builder.Build();
        _app.MapHealthLedgerApi();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
        _node = _app.Services.GetRequiredService<LedgerNode>();
        _client = new RecordsClient(_http, ChainId);

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.That((await _node.SubmitAsync(Transaction.Create(_patient, ChainId, 0, now, new PatientRegistration(Hash256.Sha256("ra-mrn"u8))))).Accepted, Is.True);
        var pop = _device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, _device.PublicKey, _patient.Address, _hospital.Address));
        Assert.That((await _node.SubmitAsync(Transaction.Create(_hospital, ChainId, 0, now, new DeviceRegistration(_device.PublicKey, _patient.Address, DeviceClass.Wearable, pop)))).Accepted, Is.True);
        await WaitUntil(() => _node.Chain.State.GetDevice(_device.Address) is not null, "the device is registered");
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static DateTimeOffset MeasuredAt { get; } = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 5_000);

    private string FhirJson(DateTimeOffset at, decimal heartRate = 72m) =>
        System.Text.Encoding.UTF8.GetString(new FhirRecordCodec().Serialize(VitalSignsBundle.Build(_patient.Address, _device.Address, at, [new(VitalSign.HeartRate, heartRate)], SystemRandomSource.Instance)));

    private static Dictionary<string, JsonElement> Load(double srcLoad) => new() { ["SrcLoad"] = JsonSerializer.SerializeToElement(srcLoad) };

    private static async Task<JsonElement> ProblemOf(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.Clone();
    }

    [Test, Order(1)]
    public async Task A_device_ingests_through_the_client_and_the_anchor_is_mined()
    {
        var result = await _client.IngestAsync(_device, RecordType.Vitals, MeasuredAt, FhirJson(MeasuredAt), Load(12.5));

        Assert.That(result.IsSuccess, Is.True, result.Error?.ToString());
        _stored = result.Value!;
        await WaitUntil(() => _node.Chain.State.GetRecord(Hash256.Parse(_stored.CiphertextHash)) is not null, "the anchor is mined");
        var record = await _http.GetFromJsonAsync<RecordResponse>($"/v1/records/{_stored.CiphertextHash}");
        Assert.That(record!.ContentAddress, Is.EqualTo(_stored.ContentAddress));
    }

    [Test, Order(2)]
    public async Task The_patient_gets_the_key_over_http_decrypts_the_fhir_and_sees_the_release_listed()
    {
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);

        var released = await _client.ReleaseAsync(_patient, _stored.ContentAddress, Hash256.Parse(_stored.CiphertextHash), reply.PublicKey);

        Assert.That(released.IsSuccess, Is.True, released.Error?.ToString());
        var json = RecordsClient.Open(released.Value.Envelope, released.Value.Wrap, reply);
        Assert.That(json.IsSuccess, Is.True, json.ToString());
        var bundle = new FhirRecordCodec().ParseAndValidate(json.Value, new FhirSubject(_patient.Address, _device.Address, MeasuredAt.ToUnixTimeMilliseconds()));
        await WaitUntil(() => _node.Index!.GetPatientReleases(_patient.Address, 10).Items.Count == 1, "the index lists the release");
        var page = await _client.GetReleasesAsync(_patient.Address, limit: 10);
        Assert.Multiple(() =>
        {
            Assert.That(bundle.IsSuccess, Is.True, bundle.ToString());
            Assert.That(page.Value!.Items.Single().Recipient, Is.EqualTo(_patient.Address.ToString()));
            Assert.That(page.Value.Items.Single().TransactionId, Is.EqualTo(released.Value.Release.ReleaseTransactionId));
            Assert.That(page.Value.Next, Is.Null);
        });
    }

    [Test, Order(3)]
    public async Task A_provider_without_a_grant_is_forbidden_and_a_replayed_request_is_unauthorized()
    {
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
        var denied = await _client.ReleaseAsync(_stranger, _stored.ContentAddress, Hash256.Parse(_stored.CiphertextHash), reply.PublicKey);

        var request = HealthLedger.Records.Access.KeyReleaseRequest.Create(_patient, ChainId, _stored.ContentAddress, Hash256.Parse(_stored.CiphertextHash), reply.PublicKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), 7UL);
        var nonce = new byte[16];
        nonce[0] = 7;
        var body = new KeyReleaseRequestBody(Convert.ToHexStringLower(_patient.PublicKey.ToArray()), _stored.CiphertextHash, reply.PublicKey.ToString(), request.RequestedAtMs, Convert.ToHexStringLower(nonce), Convert.ToHexStringLower(request.Signature.ToArray()));
        var first = await _http.PostAsJsonAsync($"/v1/records/{_stored.ContentAddress}/release", body);
        var replay = await _http.PostAsJsonAsync($"/v1/records/{_stored.ContentAddress}/release", body);
        var replayProblem = await ProblemOf(replay);

        Assert.Multiple(() =>
        {
            Assert.That(denied.Error?.Status, Is.EqualTo(403));
            Assert.That((denied.Error?.Title, denied.Error?.Stage, denied.Error?.CodeSet), Is.EqualTo(("AccessDenied", "Grant", "records")));
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(replay.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(replayProblem.GetProperty("title").GetString(), Is.EqualTo("ReplayedRequest"));
        });
    }

    [Test, Order(4)]
    public async Task Invalid_fhir_an_unknown_device_and_an_attack_are_refused_with_their_stage_and_nothing_is_stored()
    {
        var at = MeasuredAt.AddSeconds(1);
        using var unknownDevice = KeyPair.FromLabel("ra-unknown-device");

        var invalid = await _client.IngestAsync(_device, RecordType.Vitals, at, FhirJson(at, heartRate: 900m), Load(12.5));
        var unknown = await _client.IngestAsync(unknownDevice, RecordType.Vitals, at, FhirJson(at), Load(12.5));
        var attack = await _client.IngestAsync(_device, RecordType.Vitals, at, FhirJson(at), Load(5_000));
        var notAnObject = await _http.PostAsJsonAsync("/v1/records", new { device = _device.Address.ToString(), recordType = "Vitals", measuredAtMs = 1, fhir = "text" });
        var badType = await _http.PostAsJsonAsync("/v1/records", new { device = _device.Address.ToString(), recordType = "7", measuredAtMs = 1, fhir = new { } });

        Assert.Multiple(() =>
        {
            Assert.That((invalid.Error?.Status, invalid.Error?.Title, invalid.Error?.Stage), Is.EqualTo(((int?)422, "InvalidFhir", "Fhir")));
            Assert.That((unknown.Error?.Status, unknown.Error?.Title, unknown.Error?.Stage, unknown.Error?.CodeSet), Is.EqualTo(((int?)404, "UnknownEntity", "Device", "chain")));
            Assert.That((attack.Error?.Status, attack.Error?.Title, attack.Error?.Stage, attack.Error?.CodeSet), Is.EqualTo(((int?)422, "RefusedByGate", "Anchor", "chain")));
            Assert.That(notAnObject.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badType.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(_node.Records!.PreparedCount, Is.Zero);
            Assert.That(Directory.EnumerateFiles(Path.Combine(_dir, "records"), "b*", SearchOption.AllDirectories).Count(f => !f.EndsWith(".pin", StringComparison.Ordinal)), Is.EqualTo(1), "only the first record's envelope");
        });
    }

    [Test, Order(5)]
    public async Task Malformed_requests_get_problem_details()
    {
        var badHex = await _http.PostAsJsonAsync($"/v1/records/{_stored.ContentAddress}/release", new KeyReleaseRequestBody("zz", _stored.CiphertextHash, "00", 1, "00", "00"));
        var notJson = await _http.PostAsync($"/v1/records/{_stored.ContentAddress}/release", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        var tooLarge = await _http.PostAsync($"/v1/records/{_stored.ContentAddress}/release", new ByteArrayContent(new byte[8192]));
        var badCid = await _http.GetAsync("/v1/records/..%2F..%2Fetc%2Fpasswd/ciphertext");
        var envelope = await _http.GetAsync($"/v1/records/{_stored.ContentAddress}/ciphertext");
        var badToken = await _http.GetAsync($"/v1/patients/{_patient.Address}/releases?after=AQ");
        var anchorForOther = await _http.PostAsJsonAsync("/v1/records/bafkreiother/anchor", new RecordAnchorRequest("AAAA", null, 1));

        Assert.Multiple(async () =>
        {
            Assert.That(badHex.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(notJson.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(tooLarge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
            Assert.That(badCid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That((await ProblemOf(badCid)).GetProperty("title").GetString(), Is.EqualTo("InvalidAddress"));
            Assert.That(envelope.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Hash256.Sha256(await envelope.Content.ReadAsByteArrayAsync()).ToString(), Is.EqualTo(_stored.CiphertextHash));
            Assert.That(badToken.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(anchorForOther.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(badHex.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        });
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

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HealthLedger.Api;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace HealthLedger.Tests.Api;

/// <summary>Every endpoint's success and error paths, against a real Kestrel on loopback over a mining node.</summary>
[TestFixture]
[Category("Slow")]
public sealed class HealthLedgerApiTests
{
    private const uint ChainId = 31;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly KeyPair _validator = KeyPair.FromLabel("api-validator");
    private readonly KeyPair _patient = KeyPair.FromLabel("api-patient");
    private readonly KeyPair _device = KeyPair.FromLabel("api-device");
    private string _dir = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;
    private LedgerNode _node = null!;

    [OneTimeSetUp]
    public async Task StartNodeAndApi()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hl-api-test-" + Guid.NewGuid().ToString("N"));
        var genesis = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel("api-authority").PublicKey],
            InitialNodes = [new GenesisNode(_validator.PublicKey, NodeRoles.Validator | NodeRoles.Provider, "hospital")],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(4), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        // The ingestion gate: a detector that scores a submission by its "SrcLoad" field (an attack above 0.5).
        var detector = new HealthLedger.Detection.Runtime.FakeIntrusionDetector(s => s.Fields.TryGetValue("SrcLoad", out var v) && v.Number > 1_000 ? 0.9f : 0.1f);
        var gate = new HealthLedger.Detection.Gate.DetectorAdmissionFilter(new HealthLedger.Detection.Gate.DetectorGate(detector, TimeProvider.System));
        builder.Services.AddHealthLedgerNode(new LedgerNodeOptions { Genesis = genesis, NodeKey = _validator, DataDirectory = _dir, MinBlockInterval = TimeSpan.FromMilliseconds(100), Gates = [gate] });
        builder.Services.AddHealthLedgerApi();
        _app = builder.Build();
        _app.MapHealthLedgerApi();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
        _node = _app.Services.GetRequiredService<LedgerNode>();
    }

    [OneTimeTearDown]
    public async Task Stop()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test, Order(1)]
    public async Task Health_and_head_report_the_chain()
    {
        var health = await _http.GetFromJsonAsync<HealthResponse>("/healthz");
        Assert.That(health!.Status, Is.EqualTo("ok"));
        await WaitUntil(() => _node.Chain.Height >= 2, "the node mines");
        var head = await _http.GetFromJsonAsync<HeadResponse>("/v1/head");
        Assert.That(head!.Tip.Height, Is.GreaterThanOrEqualTo(2UL));
        Assert.That(head.LastFinal.Height, Is.LessThanOrEqualTo(head.Tip.Height));
    }

    [Test, Order(2)]
    public async Task A_submitted_registration_device_and_anchor_are_mined_and_the_record_comes_with_a_verified_proof()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.That((await Post(Transaction.Create(_patient, ChainId, 0, now, new PatientRegistration(Hash256.Sha256("api-mrn:salt"u8))).Encode().ToArray())).StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        await WaitUntil(() => _node.Chain.State.GetPatient(_patient.Address) is not null, "the patient is registered");

        var pop = _device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, _device.PublicKey, _patient.Address, _validator.Address));
        var seq = _node.Pool.PendingState.GetNextSequence(_validator.Address);
        var register = await Post(Transaction.Create(_validator, ChainId, seq, now, new DeviceRegistration(_device.PublicKey, _patient.Address, DeviceClass.Wearable, pop)).Encode().ToArray());
        Assert.That(register.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await register.Content.ReadAsStringAsync());
        await WaitUntil(() => _node.Chain.State.GetDevice(_device.Address) is not null, "the device is registered");

        // Ingestion through the gate: an attack-like submission is refused with its score, a normal one is admitted.
        var attack = Transaction.Create(_device, ChainId, 0, now, new RecordAnchor("bafkreiapiattackapiattackapiattackapiattackapiattackapiat", Hash256.Sha256("attack"u8), RecordType.Vitals, now - 2000));
        var refused = await _http.PostAsJsonAsync("/v1/ingest", new IngestRequest(Convert.ToBase64String(attack.Encode().ToArray()), new Dictionary<string, JsonElement> { ["SrcLoad"] = JsonSerializer.SerializeToElement(5_000) }, now));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.That(problem.RootElement.GetProperty("title").GetString(), Is.EqualTo("RefusedByGate"));
            Assert.That(problem.RootElement.GetProperty("actual").GetInt64(), Is.EqualTo(9_000), "the score in basis points");
        }

        var ciphertextHash = Hash256.Sha256("api-ciphertext"u8);
        var anchor = Transaction.Create(_device, ChainId, 0, now, new RecordAnchor("bafkreiapitestapitestapitestapitestapitestapitestapitestapi", ciphertextHash, RecordType.Vitals, now - 1000));
        var ingested = await _http.PostAsJsonAsync("/v1/ingest", new IngestRequest(Convert.ToBase64String(anchor.Encode().ToArray()), new Dictionary<string, JsonElement> { ["SrcLoad"] = JsonSerializer.SerializeToElement(12.5) }, now));
        Assert.That(ingested.StatusCode, Is.EqualTo(HttpStatusCode.Accepted), await ingested.Content.ReadAsStringAsync());
        await WaitUntil(() => _node.Chain.State.GetRecord(ciphertextHash) is not null, "the anchor is mined");

        var record = await _http.GetFromJsonAsync<RecordResponse>($"/v1/records/{ciphertextHash}");
        Assert.Multiple(() =>
        {
            Assert.That(record!.Patient, Is.EqualTo(_patient.Address.ToString()));
            Assert.That(record.TransactionId, Is.EqualTo(anchor.Id.ToString()));
            Assert.That(record.ProofVerified, Is.True);
        });

        await WaitUntil(() => _node.Index!.GetRecord(ciphertextHash) is not null, "the index has the record");
        var page = await _http.GetFromJsonAsync<RecordPage>($"/v1/patients/{_patient.Address}/records?limit=10");
        Assert.That(page!.Items.Select(r => r.CiphertextHash), Is.EqualTo(new[] { ciphertextHash.ToString() }));
        Assert.That(page.Next, Is.Null);

        var devicePage = await _http.GetFromJsonAsync<RecordPage>($"/v1/devices/{_device.Address}/records?limit=10");
        Assert.That(devicePage!.Items.Select(r => r.CiphertextHash), Is.EqualTo(new[] { ciphertextHash.ToString() }));

        // The anchor by transaction id: included (or final) on the best chain, with a proof that verifies.
        var located = await _http.GetFromJsonAsync<TransactionResponse>($"/v1/transactions/{anchor.Id}");
        Assert.Multiple(() =>
        {
            Assert.That(located!.Status, Is.AnyOf("included", "final"));
            Assert.That(located.Kind, Is.EqualTo(nameof(TransactionKind.RecordAnchor)));
            Assert.That(located.Sender, Is.EqualTo(_device.Address.ToString()));
            Assert.That(located.Block!.Height, Is.EqualTo(record!.Block.Height));
            Assert.That(located.ProofIndex, Is.EqualTo(record.ProofIndex));
            Assert.That(located.ProofVerified, Is.True);
        });

        var device = await _http.GetFromJsonAsync<DeviceResponse>($"/v1/devices/{_device.Address}");
        Assert.That(device!.Patient, Is.EqualTo(_patient.Address.ToString()));
        Assert.That(await _http.GetFromJsonAsync<List<GrantResponse>>($"/v1/patients/{_patient.Address}/grants"), Is.Empty);

        var block = await _http.GetFromJsonAsync<BlockResponse>($"/v1/blocks/{record!.Block.Height}");
        Assert.That(block!.Transactions, Does.Contain(anchor.Id.ToString()));
        var byHash = await _http.GetFromJsonAsync<BlockResponse>($"/v1/blocks/{block.Hash}");
        Assert.That(byHash!.Height, Is.EqualTo(block.Height));

        // The same transaction again is refused with the chain's typed code, and nothing changes.
        var again = await Post(anchor.Encode().ToArray());
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await Code(again), Is.AnyOf("AlreadyRegistered", "BadSequence", "DuplicateInMempool"));
    }

    [TestCase("/v1/blocks/99999999", HttpStatusCode.NotFound, "UnknownEntity")]
    [TestCase("/v1/blocks/not-a-block", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/blocks/zz00000000000000000000000000000000000000000000000000000000000000", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/records/00000000000000000000000000000000000000000000000000000000000000aa", HttpStatusCode.NotFound, "UnknownEntity")]
    [TestCase("/v1/records/short", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/devices/hl0000000000000000000000000000000000000000", HttpStatusCode.NotFound, "UnknownEntity")]
    [TestCase("/v1/devices/not-an-address", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/devices/not-an-address/records", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/devices/hl0000000000000000000000000000000000000000/records?limit=1001", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/transactions/00000000000000000000000000000000000000000000000000000000000000aa", HttpStatusCode.NotFound, "UnknownEntity")]
    [TestCase("/v1/transactions/xyz", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/patients/hlzz/grants", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/patients/hl0000000000000000000000000000000000000000/records?limit=0", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    [TestCase("/v1/patients/hl0000000000000000000000000000000000000000/records?after=%21%21", HttpStatusCode.BadRequest, "FieldOutOfRange")]
    public async Task Unknown_or_malformed_ids_get_a_problem_with_a_typed_code(string path, HttpStatusCode status, string code)
    {
        var response = await _http.GetAsync(path);
        Assert.That(response.StatusCode, Is.EqualTo(status));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That(await Code(response), Is.EqualTo(code));
    }

    [Test]
    public async Task Malformed_and_oversized_submissions_are_refused_and_change_nothing()
    {
        var pending = _node.Pool.Count;
        var garbage = await Post([0x91, 0x01, 0x02]);
        Assert.That(garbage.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await Code(garbage), Is.EqualTo("MalformedEncoding"));

        var huge = await Post(new byte[20_000]);
        Assert.That(huge.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await Code(huge), Is.EqualTo("TooLarge"));

        var forged = new Transaction(Transaction.CurrentVersion, ChainId, KeyPair.FromLabel("api-forger").PublicKey, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new PatientRegistration(Hash256.Sha256("x"u8)), Signature.Empty);
        var refused = await Post(forged.Encode().ToArray());
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await Code(refused), Is.EqualTo("InvalidSignature"));
        Assert.That(_node.Pool.Count, Is.LessThanOrEqualTo(pending));
    }

    [Test]
    public async Task Validators_peers_and_the_openapi_document_are_served()
    {
        var validators = await _http.GetFromJsonAsync<List<NodeResponse>>("/v1/validators");
        Assert.That(validators!.Select(v => v.Address), Is.EqualTo(new[] { _validator.Address.ToString() }));
        Assert.That(await _http.GetFromJsonAsync<List<string>>("/v1/peers"), Is.Empty);
        var openApi = await _http.GetStringAsync("/openapi/v1.json");
        Assert.That(openApi, Does.Contain("/v1/head").And.Contain("/v1/transactions").And.Contain("/v1/records/{ciphertextHash}"));
    }

    private async Task<HttpResponseMessage> Post(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await _http.PostAsync("/v1/transactions", content);
    }

    private static async Task<string?> Code(HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("title").GetString();
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

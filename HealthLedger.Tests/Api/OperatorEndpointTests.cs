using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HealthLedger.Api;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace HealthLedger.Tests.Api;

/// <summary>The operator endpoints under /v1/admin need the node's bearer token, against a real Kestrel on loopback.</summary>
[TestFixture]
public sealed class OperatorEndpointTests
{
    private const string Token = "q3c5yH0m2Jx9vR7tLw4pZb8nK1sD6fGa0eUiOyT_-Xc";
    private string _dir = null!;
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartApi()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hl-operator-test-" + Guid.NewGuid().ToString("N"));
        var validator = KeyPair.FromLabel("operator-validator");
        var genesis = new GenesisConfig
        {
            ChainId = 32,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel("operator-authority").PublicKey],
            InitialNodes = [new GenesisNode(validator.PublicKey, NodeRoles.Validator | NodeRoles.Provider, "hospital")],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(4), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddHealthLedgerNode(new LedgerNodeOptions { Genesis = genesis, NodeKey = validator, DataDirectory = _dir, Mine = false, Index = false });
        builder.Services.AddHealthLedgerApi(new HealthLedgerApiOptions { OperatorToken = Token });
        _app = builder.Build();
        _app.MapHealthLedgerApi();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };
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

    [TestCase(null)]
    [TestCase("Basic b3BlcmF0b3I6c2VjcmV0")]
    [TestCase("Bearer")]
    [TestCase("Bearer ")]
    public async Task A_request_without_a_bearer_token_gets_401_with_a_challenge_and_changes_nothing(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/ingestion") { Content = JsonContent.Create(new IngestionState(true)) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Does.Contain("Bearer"));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await GetIngestion(Token)).Paused, Is.False, "nothing changed");
    }

    [TestCase("q3c5yH0m2Jx9vR7tLw4pZb8nK1sD6fGa0eUiOyT_-Xd")]
    [TestCase("q3c5yH0m2Jx9vR7tLw4pZb8nK1sD6fGa0eUiOyT_-X")]
    [TestCase("wrong")]
    public async Task Another_token_gets_403_and_changes_nothing(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/ingestion") { Content = JsonContent.Create(new IngestionState(true)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        Assert.That((await GetIngestion(Token)).Paused, Is.False, "nothing changed");
    }

    [Test]
    public async Task The_operator_pauses_ingestion_which_then_answers_503_and_resumes_it()
    {
        Assert.That((await SetIngestion(paused: true)).Paused, Is.True);
        var body = new IngestRequest(Convert.ToBase64String([1, 2, 3]), new Dictionary<string, JsonElement>(), 1);
        using (var paused = await _http.PostAsJsonAsync("/v1/ingest", body))
        {
            Assert.That(paused.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(paused.Headers.RetryAfter, Is.Not.Null);
        }

        Assert.That((await SetIngestion(paused: false)).Paused, Is.False);
        using var resumed = await _http.PostAsJsonAsync("/v1/ingest", body);
        Assert.That(resumed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "ingestion reads the request again (and refuses these bytes)");
    }

    [Test]
    public async Task Without_a_configured_token_every_operator_request_gets_403()
    {
        var filter = new OperatorAuthorization(new HealthLedgerApiOptions());
        var http = new DefaultHttpContext();
        http.Request.Headers.Authorization = "Bearer " + Token;
        var reachedEndpoint = false;
        var result = await filter.InvokeAsync(EndpointFilterInvocationContext.Create(http), _ =>
        {
            reachedEndpoint = true;
            return ValueTask.FromResult<object?>(null);
        });
        Assert.That(reachedEndpoint, Is.False);
        Assert.That(result, Is.InstanceOf<Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult>());
        Assert.That(((Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult)result!).StatusCode, Is.EqualTo(StatusCodes.Status403Forbidden));
    }

    [Test]
    public async Task Finality_is_served_before_any_block_is_final()
    {
        var finality = await _http.GetFromJsonAsync<FinalityResponse>("/v1/finality");
        Assert.That(finality!.LastFinal.Height, Is.Zero);
        Assert.That(finality.Blocks, Is.Zero);
        Assert.That(finality.P50Ms, Is.Null);
    }

    private async Task<IngestionState> GetIngestion(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/admin/ingestion");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return (await response.Content.ReadFromJsonAsync<IngestionState>())!;
    }

    private async Task<IngestionState> SetIngestion(bool paused)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/admin/ingestion") { Content = JsonContent.Create(new IngestionState(paused)) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<IngestionState>())!;
    }
}

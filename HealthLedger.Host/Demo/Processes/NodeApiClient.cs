using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using HealthLedger.Api;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>The outcome of one submission through a node's API.</summary>
/// <param name="Status">The HTTP status (0 when the node could not be reached).</param>
/// <param name="Code">The problem's <c>code</c> (the chain's rejection code), or 0.</param>
/// <param name="Detail">The problem's detail, or null.</param>
internal readonly record struct ApiOutcome(int Status, int Code, string? Detail)
{
    public bool Admitted => Status == 202;

    public bool RefusedByGate => Status == 422 && Code == (int)Core.Validation.RejectionCode.RefusedByGate;
}

/// <summary>What the demo asks a node's HTTP API (loopback), with short timeouts; an unreachable node reads as null.</summary>
internal sealed class NodeApiClient(HttpClient http, string baseUrl)
{
    public string BaseUrl => baseUrl;

    public async Task<HealthResponse?> HealthAsync(CancellationToken ct) => await GetAsync<HealthResponse>("/healthz", ct).ConfigureAwait(false);

    public async Task<HeadResponse?> HeadAsync(CancellationToken ct) => await GetAsync<HeadResponse>("/v1/head", ct).ConfigureAwait(false);

    public async Task<FinalityResponse?> FinalityAsync(CancellationToken ct) => await GetAsync<FinalityResponse>("/v1/finality", ct).ConfigureAwait(false);

    public async Task<BlockResponse?> BlockAsync(ulong height, CancellationToken ct) => await GetAsync<BlockResponse>($"/v1/blocks/{height}", ct).ConfigureAwait(false);

    public async Task<DeviceResponse?> DeviceAsync(string address, CancellationToken ct) => await GetAsync<DeviceResponse>($"/v1/devices/{address}", ct).ConfigureAwait(false);

    public async Task<List<GrantResponse>?> GrantsAsync(string patient, CancellationToken ct) => await GetAsync<List<GrantResponse>>($"/v1/patients/{patient}/grants", ct).ConfigureAwait(false);

    /// <summary>All of a patient's anchored records in this node's index (every page), or null when unreachable.</summary>
    public async Task<List<RecordSummary>?> PatientRecordsAsync(string patient, CancellationToken ct)
    {
        var all = new List<RecordSummary>();
        string? after = null;
        for (var page = 0; page < 1_000; page++)
        {
            var r = await GetAsync<RecordPage>($"/v1/patients/{patient}/records?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after)), ct).ConfigureAwait(false);
            if (r is null)
            {
                return null;
            }

            all.AddRange(r.Items);
            if (r.Next is null)
            {
                return all;
            }

            after = r.Next;
        }

        return all;
    }

    public async Task<ApiOutcome> SubmitAsync(Transaction tx, CancellationToken ct)
    {
        using var content = new ReadOnlyMemoryContent(tx.Encode());
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await SendAsync(() => http.PostAsync(baseUrl + "/v1/transactions", content, ct), ct).ConfigureAwait(false);
    }

    /// <summary>A record's envelope as the node serves it (GET /v1/records/{cid}/ciphertext), or null when it does not (or is unreachable).</summary>
    public async Task<byte[]?> CiphertextAsync(string contentAddress, CancellationToken ct)
    {
        try
        {
            using var response = await http.GetAsync($"{baseUrl}/v1/records/{Uri.EscapeDataString(contentAddress)}/ciphertext", ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }

    private static async Task<ApiOutcome> SendAsync(Func<Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        try
        {
            using var response = await send().ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return new ApiOutcome((int)response.StatusCode, 0, null);
            }

            var code = 0;
            string? detail = null;
            try
            {
                using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
                code = doc.RootElement.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 0;
                detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            }
            catch (JsonException)
            {
                // not a problem-details body
            }

            return new ApiOutcome((int)response.StatusCode, code, detail);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return new ApiOutcome(0, 0, ex.Message);
        }
    }

    private async Task<T?> GetAsync<T>(string path, CancellationToken ct)
        where T : class
    {
        try
        {
            using var response = await http.GetAsync(baseUrl + path, ct).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<T>(ct).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            return null;
        }
    }
}

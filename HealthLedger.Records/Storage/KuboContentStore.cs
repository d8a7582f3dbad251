using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using HealthLedger.Records.Content;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace HealthLedger.Records.Storage;

/// <summary>
/// A content store over the IPFS RPC HTTP API (Kubo's <c>/api/v0/add</c>, <c>/cat</c>, <c>/pin/add</c>,
/// <c>/pin/ls</c>, <c>/pin/rm</c>; js-ipfs serves the same). The node is not trusted: the CID it returns for an add
/// must equal the one computed here, and bytes from <c>cat</c> are re-hashed, read only up to the size limit.
/// Every call has a per-attempt and a total timeout and is retried with exponential back-off and jitter (Polly).
/// </summary>
/// <remarks>Thread safety: safe for concurrent use (one shared <see cref="System.Net.Http.HttpClient"/>, no other mutable state).</remarks>
public sealed class KuboContentStore : IContentStore
{
    private readonly HttpClient _http;
    private readonly KuboContentStoreOptions _options;
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Creates a store. The <see cref="HttpClient"/> belongs to the caller; its own timeout should be infinite or longer than <see cref="KuboContentStoreOptions.TotalTimeout"/>.</summary>
    public KuboContentStore(HttpClient http, KuboContentStoreOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _http = http;
        _options = options;
        var builder = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddTimeout(options.TotalTimeout);
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryDelay,
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<TimeoutRejectedException>().Handle<TransientResponseException>(),
            });
        }
        _pipeline = builder.AddTimeout(options.AttemptTimeout).Build();
    }

    /// <inheritdoc />
    public long MaxContentBytes => _options.MaxContentBytes;

    /// <inheritdoc />
    public async Task<RecordResult<Cid>> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > MaxContentBytes)
        {
            return RecordResult<Cid>.Fail(RecordErrorCode.TooLarge, "content larger than the store accepts", content.Length, MaxContentBytes);
        }
        var expected = UnixFsDag.ComputeCid(content.Span);
        var added = await AddAsync(content, rawLeaves: true, cancellationToken).ConfigureAwait(false);
        if (!added.IsSuccess)
        {
            return added.Error!;
        }
        if (added.Value != expected.ToString())
        {
            // Added unpinned: the node may collect it. Nothing references it.
            return RecordResult<Cid>.Fail(RecordErrorCode.CidMismatch, $"the node named the content {Truncate(added.Value)}, computed {expected}");
        }
        return expected;
    }

    /// <inheritdoc />
    public async Task<RecordResult<byte[]>> GetAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (cid.IsEmpty)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.InvalidAddress, "empty CID");
        }
        var result = await CallAsync("cat", $"arg={cid}", null, MaxContentBytes, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            return result.Error!;
        }
        var bytes = result.Value;
        var actual = UnixFsDag.ComputeCid(bytes);
        return actual == cid ? bytes : RecordResult<byte[]>.Fail(RecordErrorCode.CidMismatch, $"the node returned bytes that hash to {actual}, not {cid}");
    }

    /// <inheritdoc />
    public async Task<RecordResult> PinAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (cid.IsEmpty)
        {
            return RecordResult.Fail(RecordErrorCode.InvalidAddress, "empty CID");
        }
        var result = await CallAsync("pin/add", $"arg={cid}&recursive=true", null, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? RecordResult.Ok : result.Error!;
    }

    /// <inheritdoc />
    public async Task<RecordResult<bool>> HasAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (cid.IsEmpty)
        {
            return RecordResult<bool>.Fail(RecordErrorCode.InvalidAddress, "empty CID");
        }
        var result = await CallAsync("pin/ls", $"arg={cid}&type=recursive", null, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            return IsNotPinned(result.Error!) ? false : result.Error!;
        }
        return true;
    }

    /// <inheritdoc />
    public async Task<RecordResult> RemoveAsync(Cid cid, CancellationToken cancellationToken)
    {
        if (cid.IsEmpty)
        {
            return RecordResult.Fail(RecordErrorCode.InvalidAddress, "empty CID");
        }
        var result = await CallAsync("pin/rm", $"arg={cid}&recursive=true", null, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        return result.IsSuccess || IsNotPinned(result.Error!) ? RecordResult.Ok : result.Error!;
    }

    /// <summary>Adds content with the default layout and returns the CID text the node printed, unchecked (tests and tools).</summary>
    internal async Task<RecordResult<string>> AddAsync(ReadOnlyMemory<byte> content, bool rawLeaves, CancellationToken cancellationToken)
    {
        var query = "cid-version=1&cid-base=base32&hash=sha2-256&chunker=size-262144&pin=false&raw-leaves=" + (rawLeaves ? "true" : "false");
        var result = await CallAsync("add", query, content, _options.MaxResponseBytes, cancellationToken).ConfigureAwait(false);
        if (!result.IsSuccess)
        {
            return result.Error!;
        }
        try
        {
            using var doc = JsonDocument.Parse(result.Value);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("Hash", out var hash) && hash.ValueKind == JsonValueKind.String)
            {
                return hash.GetString()!;
            }
        }
        catch (JsonException)
        {
        }
        return RecordResult<string>.Fail(RecordErrorCode.StoreUnavailable, "the add response has no Hash");
    }

    /// <summary>The CID text the node printed for <paramref name="content"/>, or throws (tests only).</summary>
    internal async Task<string> AddUncheckedAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken, bool rawLeaves = true)
    {
        var result = await AddAsync(content, rawLeaves, cancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? result.Value : throw new InvalidOperationException(result.Error!.ToString());
    }

    private async Task<RecordResult<byte[]>> CallAsync(string command, string query, ReadOnlyMemory<byte>? upload, long maxBytes, CancellationToken cancellationToken)
    {
        var uri = new Uri(_options.Endpoint, $"api/v0/{command}?{query}");
        try
        {
            return await _pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, uri);
                    if (upload is { } bytes)
                    {
                        var part = new ReadOnlyMemoryContent(bytes);
                        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                        var form = new MultipartFormDataContent { { part, "file", "record" } };
                        request.Content = form;
                    }
                    using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, token).ConfigureAwait(false);
                    if (IsTransient(response.StatusCode))
                    {
                        throw new TransientResponseException(response.StatusCode);
                    }
                    if (!response.IsSuccessStatusCode)
                    {
                        var body = await ReadBoundedAsync(response.Content, _options.MaxResponseBytes, token).ConfigureAwait(false);
                        var message = body.Bytes is null ? "(error body too long)" : ErrorMessage(body.Bytes);
                        return RecordResult<byte[]>.Fail(RecordErrorCode.StoreUnavailable, $"{command}: HTTP {(int)response.StatusCode}: {message}");
                    }
                    var read = await ReadBoundedAsync(response.Content, maxBytes, token).ConfigureAwait(false);
                    return read.Bytes is null
                        ? RecordResult<byte[]>.Fail(RecordErrorCode.TooLarge, $"{command}: response larger than allowed", read.Length, maxBytes)
                        : read.Bytes;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException or TransientResponseException)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.StoreUnavailable, $"{command}: {e.Message}");
        }
    }

    private static async Task<(byte[]? Bytes, long Length)> ReadBoundedAsync(HttpContent content, long maxBytes, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is long declared && declared > maxBytes)
        {
            return (null, declared);
        }
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            long total = 0;
            int n;
            while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                total += n;
                if (total > maxBytes)
                {
                    return (null, total);
                }
                buffer.Write(chunk, 0, n);
            }
            return (buffer.ToArray(), total);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests or HttpStatusCode.BadGateway
            or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    private static bool IsNotPinned(RecordError error) => error.Detail.Contains("not pinned", StringComparison.OrdinalIgnoreCase);

    private static string ErrorMessage(byte[] body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("Message", out var m) && m.ValueKind == JsonValueKind.String)
            {
                return Truncate(m.GetString()!);
            }
        }
        catch (JsonException)
        {
        }
        return Truncate(System.Text.Encoding.UTF8.GetString(body));
    }

    private static string Truncate(string text) => text.Length <= 200 ? text : text[..200] + "…";

    /// <summary>An HTTP status worth retrying.</summary>
    private sealed class TransientResponseException(HttpStatusCode status)
        : Exception("HTTP " + ((int)status).ToString(CultureInfo.InvariantCulture))
    {
    }
}

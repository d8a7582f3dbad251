using System.Globalization;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;
using HealthLedger.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace HealthLedger.Api;

/// <summary>
/// The HTTP API of a <see cref="LedgerNode"/> (resolved from the host's services), as minimal-API endpoints under
/// <c>/v1</c> plus <c>/healthz</c>. Reads come from the chain (thread-safe); a submission goes through the node's
/// mempool and gossip like any peer's. Every error is a problem-details body with the chain's typed rejection code in
/// <c>code</c>; malformed or oversized requests get 4xx and change nothing. Bind the host to loopback unless it is
/// behind an authenticating proxy. A submission needs no credential because every transaction carries its sender's
/// signature; the operator endpoints under <c>/v1/admin</c>, which change what the node does, need the operator's
/// bearer token (<see cref="HealthLedgerApiOptions.OperatorToken"/>).
/// </summary>
public static class HealthLedgerApi
{
    /// <summary>Largest request body the API reads (a transaction is at most the genesis limit, 8 KiB by default).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>Registers what the API needs: problem details and the OpenAPI document (<c>/openapi/v1.json</c>).</summary>
    /// <param name="services">The host's services.</param>
    /// <param name="options">The operator token and other settings (none: operator endpoints disabled).</param>
    public static IServiceCollection AddHealthLedgerApi(this IServiceCollection services, HealthLedgerApiOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        options ??= new HealthLedgerApiOptions();
        services.AddSingleton(options);
        services.AddSingleton<IngestionSwitch>();
        services.AddSingleton<OperatorAuthorization>();
        services.AddProblemDetails();
        services.AddOpenApi("v1");
        return services;
    }

    /// <summary>Maps the API's endpoints and its OpenAPI document.</summary>
    public static IEndpointRouteBuilder MapHealthLedgerApi(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapOpenApi();
        endpoints.MapGet("/healthz", (LedgerNode node) =>
            TypedResults.Ok(new HealthResponse("ok", node.Chain.Height, node.Chain.LastFinal.Height, node.ConnectedPeers.Count)))
            .WithName("Health").WithSummary("Liveness, tip and final height, peers.");

        var v1 = endpoints.MapGroup("/v1");
        v1.MapGet("/head", (LedgerNode node) =>
        {
            var chain = node.Chain;
            return TypedResults.Ok(new HeadResponse(Ref(chain.Tip), Ref(chain.LastFinal), Ref(chain.HighestJustified), chain.BlockCount, node.Pool.Count));
        }).WithName("GetHead").WithSummary("The best chain's tip, the last final and the highest justified block.");

        v1.MapGet("/blocks/{id}", GetBlock).WithName("GetBlock").WithSummary("A block by height (on the best chain) or by hash (any branch).");
        v1.MapPost("/transactions", SubmitAsync).WithName("SubmitTransaction")
            .WithSummary("Submits a signed transaction: the body is its canonical encoding (application/octet-stream).")
            .Accepts<byte[]>("application/octet-stream");
        v1.MapPost("/ingest", IngestAsync).WithName("Ingest")
            .WithSummary("A device's record through the detection gate: its signed anchor plus the submission's features; an attack is refused (RefusedByGate, score and threshold in basis points).");
        v1.MapGet("/records/{ciphertextHash}", GetRecord).WithName("GetRecord").WithSummary("An anchored record and a Merkle proof of its anchor.");
        v1.MapGet("/validators", (LedgerNode node) => TypedResults.Ok(node.Chain.State.ActiveValidators.Select(NodeOf).ToList()))
            .WithName("GetValidators").WithSummary("The active validators in the tip's state.");
        v1.MapGet("/devices/{address}", (LedgerNode node, string address) =>
            TryParseAddress(address, out var id)
                ? node.Chain.State.GetDevice(id) is { } d
                    ? Results.Ok(new DeviceResponse(d.Id.ToString(), d.Patient.ToString(), d.Provider.ToString(), d.DeviceClass.ToString(), d.RegisteredAtHeight, d.Revoked))
                    : Problem(StatusCodes.Status404NotFound, RejectionCode.UnknownEntity, $"no device {address}")
                : Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "an address is hl followed by 40 hexadecimal digits"))
            .WithName("GetDevice").WithSummary("A registered device.");
        v1.MapGet("/patients/{address}/grants", (LedgerNode node, string address) =>
            TryParseAddress(address, out var id)
                ? Results.Ok(node.Chain.State.GetGrants(id).Select(g => new GrantResponse(g.Grantee.ToString(), g.RecordType.ToString(), g.ExpiresAtMs, g.GrantedAtHeight)).ToList())
                : Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "an address is hl followed by 40 hexadecimal digits"))
            .WithName("GetGrants").WithSummary("A patient's grants, one per provider and record type, each with its own expiry.");
        v1.MapGet("/patients/{address}/records", GetPatientRecords).WithName("GetPatientRecords")
            .WithSummary("A patient's records from the persistent index, oldest first, a page at a time (limit 1..1000, after = the previous page's next).");
        v1.MapGet("/devices/{address}/records", GetDeviceRecords).WithName("GetDeviceRecords")
            .WithSummary("A device's records from the persistent index, oldest first, a page at a time (limit 1..1000, after = the previous page's next).");
        v1.MapGet("/transactions/{id}", GetTransaction).WithName("GetTransaction")
            .WithSummary("A transaction by id: pending in this node's mempool, or included in a block of the best chain (with a Merkle proof) and whether that block is final.");
        v1.MapGet("/finality", (LedgerNode node) =>
        {
            var log = node.Chain.FinalityLog;
            var latencies = log.Select(f => f.LatencyMs).Order().ToArray();
            return TypedResults.Ok(new FinalityResponse(Ref(node.Chain.LastFinal), latencies.Length, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies.Length > 0 ? latencies[^1] : null));
        }).WithName("GetFinality").WithSummary("The last final block and the time from sealing to finality (p50, p99, max, in ms) over the blocks this node saw become final since it started (at most the newest 4,096).");

        var admin = v1.MapGroup("/admin").AddEndpointFilter<OperatorAuthorization>();
        admin.MapGet("/ingestion", (IngestionSwitch ingestion) => TypedResults.Ok(new IngestionState(ingestion.Paused)))
            .WithName("GetIngestion").WithSummary("Operator: whether device ingestion (POST /v1/ingest) is paused. Needs the operator's bearer token.");
        admin.MapPost("/ingestion", (IngestionSwitch ingestion, IngestionState request) =>
        {
            ingestion.Paused = request.Paused;
            return TypedResults.Ok(new IngestionState(ingestion.Paused));
        }).WithName("SetIngestion").WithSummary("Operator: pauses or resumes device ingestion (while paused, POST /v1/ingest answers 503). Needs the operator's bearer token.");

        RecordsApi.Map(v1);
        v1.MapGet("/peers", (LedgerNode node) => TypedResults.Ok(node.ConnectedPeers.Select(k => k.ToAddress().ToString()).Order(StringComparer.Ordinal).ToList()))
            .WithName("GetPeers").WithSummary("Addresses of the authenticated peers connected now.");
        return endpoints;
    }

    private static IResult GetBlock(LedgerNode node, string id)
    {
        var chain = node.Chain;
        ChainEntry? entry;
        if (id.Length == 64)
        {
            if (!TryParseHash(id, out var hash))
            {
                return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "a block hash is 64 hexadecimal digits");
            }

            entry = chain.GetEntry(hash);
        }
        else if (ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var height))
        {
            entry = chain.GetBestAt(height);
        }
        else
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "give a height (decimal) or a hash (64 hexadecimal digits)");
        }

        if (entry is null)
        {
            return Problem(StatusCodes.Status404NotFound, RejectionCode.UnknownEntity, $"no block {id}");
        }

        var h = entry.Header;
        Block body;
        try
        {
            body = entry.Block;
        }
        catch (BlockPrunedException ex)
        {
            return Problem(StatusCodes.Status410Gone, RejectionCode.BlockPruned, ex.Message);
        }

        return TypedResults.Ok(new BlockResponse(
            h.Height, h.Hash.ToString(), h.PreviousHash.ToString(), h.MerkleRoot.ToString(), h.TimestampMs, h.TargetBits, h.Threshold,
            h.MinerAddress.ToString(), chain.IsFinal(h.Hash), [.. body.Transactions.Select(t => t.Id.ToString())]));
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, LedgerNode node)
    {
        var max = node.Chain.Genesis.Limits.MaxTransactionBytes;
        var (body, problem) = await ReadBodyAsync(http, MaxBodyBytes, max, $"a transaction is at most {max} bytes").ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        Core.Transactions.Transaction tx;
        try
        {
            tx = Core.Transactions.Transaction.Decode(body!);
        }
        catch (Core.Encoding.LedgerFormatException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.MalformedEncoding, ex.Message);
        }

        var result = await node.SubmitAsync(tx, cancellationToken: http.RequestAborted).ConfigureAwait(false);
        return result.Accepted
            ? TypedResults.Accepted($"/v1/transactions/{tx.Id}", new SubmitResponse(tx.Id.ToString(), "admitted"))
            : Problem(StatusCodes.Status422UnprocessableEntity, result.Validation.Code, result.Validation.Message ?? result.Validation.Code.ToString(), result.Filter);
    }

    /// <summary>
    /// Reads a request body of at most <paramref name="max"/> bytes (the server's own limit set to
    /// <paramref name="serverLimit"/>), or gives the 413 problem to answer: a declared length over the bound is refused
    /// before reading, an undeclared one as soon as the bytes read pass it.
    /// </summary>
    internal static async Task<(byte[]? Bytes, IResult? Problem)> ReadBodyAsync(HttpContext http, long serverLimit, int max, string tooLarge)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = serverLimit;
        }

        if (http.Request.ContentLength > max)
        {
            return (null, Problem(StatusCodes.Status413PayloadTooLarge, RejectionCode.TooLarge, tooLarge, null, http.Request.ContentLength, max));
        }

        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, http.RequestAborted).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > max)
                {
                    return (null, Problem(StatusCodes.Status413PayloadTooLarge, RejectionCode.TooLarge, tooLarge, null, buffer.Length + n, max));
                }

                buffer.Write(chunk, 0, n);
            }

            return (buffer.ToArray(), null);
        }
        catch (BadHttpRequestException ex)
        {
            return (null, Problem(ex.StatusCode, RejectionCode.TooLarge, ex.Message));
        }
    }

    private static async Task<IResult> IngestAsync(HttpContext http, LedgerNode node, IngestionSwitch ingestion, IngestRequest request)
    {
        if (ingestion.Paused)
        {
            http.Response.Headers.RetryAfter = "5";
            return Problem(StatusCodes.Status503ServiceUnavailable, RejectionCode.None, "the operator has paused device ingestion on this node");
        }

        if (request.Fields is null || request.Fields.Count > 256 || request.Transaction is null || request.Transaction.Length > 4 * node.Chain.Genesis.Limits.MaxTransactionBytes)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "give the signed transaction (base64) and at most 256 fields");
        }

        Core.Transactions.Transaction tx;
        try
        {
            tx = Core.Transactions.Transaction.Decode(Convert.FromBase64String(request.Transaction));
        }
        catch (Exception ex) when (ex is FormatException or Core.Encoding.LedgerFormatException)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.MalformedEncoding, ex.Message);
        }

        if (tx.Payload is not Core.Transactions.RecordAnchor)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "ingestion takes a device's record anchor");
        }

        var fields = ToFeatureValues(request.Fields, out var bad);
        if (fields is null)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, $"field {bad} is neither a number nor a short string");
        }

        var submission = new Detection.Runtime.DeviceSubmission(tx.SenderAddress, DateTimeOffset.FromUnixTimeMilliseconds(request.TimestampMs), fields);
        var result = await node.SubmitAsync(tx, submission, http.RequestAborted).ConfigureAwait(false);
        return result.Accepted
            ? TypedResults.Accepted($"/v1/transactions/{tx.Id}", new SubmitResponse(tx.Id.ToString(), "admitted"))
            : Problem(StatusCodes.Status422UnprocessableEntity, result.Validation.Code, result.Validation.Message ?? result.Validation.Code.ToString(), result.Filter, result.Validation.Actual, result.Validation.Limit);
    }

    /// <summary>A submission's fields as feature values: numbers, or text of at most 256 characters; null (with the bad field's name) otherwise.</summary>
    internal static Dictionary<string, Detection.Features.FeatureValue>? ToFeatureValues(IReadOnlyDictionary<string, System.Text.Json.JsonElement> input, out string? bad)
    {
        bad = null;
        var fields = new Dictionary<string, Detection.Features.FeatureValue>(StringComparer.Ordinal);
        foreach (var (name, value) in input)
        {
            if (value.ValueKind == System.Text.Json.JsonValueKind.Number && value.TryGetDouble(out var number))
            {
                fields[name] = number;
            }
            else if (value.ValueKind == System.Text.Json.JsonValueKind.String && value.GetString() is { Length: <= 256 } text)
            {
                fields[name] = text;
            }
            else
            {
                bad = name;
                return null;
            }
        }

        return fields;
    }

    private static IResult GetRecord(LedgerNode node, string ciphertextHash)
    {
        if (!TryParseHash(ciphertextHash, out var hash))
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "a ciphertext hash is 64 hexadecimal digits");
        }

        var chain = node.Chain;
        var record = chain.State.GetRecord(hash);
        var entry = record is null ? null : chain.GetBestAt(record.Height);
        Block? body;
        try
        {
            body = entry?.Block;
        }
        catch (BlockPrunedException ex)
        {
            return Problem(StatusCodes.Status410Gone, RejectionCode.BlockPruned, $"record {ciphertextHash} is anchored in a block whose body this node pruned, so it cannot give its Merkle proof: {ex.Message}");
        }

        var index = body is null ? -1 : body.Transactions.ToList().FindIndex(t => t.Id == record!.TransactionId);
        if (record is null || entry is null || body is null || index < 0)
        {
            return Problem(StatusCodes.Status404NotFound, RejectionCode.UnknownEntity, $"no record {ciphertextHash}");
        }

        var proof = body.CreateProof(index);
        return TypedResults.Ok(new RecordResponse(
            record.CiphertextHash.ToString(), record.ContentAddress, record.Patient.ToString(), record.Device.ToString(), record.RecordType.ToString(),
            record.MeasuredAtMs, Ref(entry), record.TransactionId.ToString(), index, [.. proof.Path.Select(p => p.ToString())],
            MerkleTree.Verify(proof, entry.Header.MerkleRoot)));
    }

    private static IResult GetTransaction(LedgerNode node, string id)
    {
        if (!TryParseHash(id, out var hash))
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "a transaction id is 64 hexadecimal digits");
        }

        var chain = node.Chain;
        if (node.Index?.GetTransaction(hash) is { } location
            && chain.GetBestAt(location.Height) is { } entry
            && location.Index < entry.Block.Transactions.Count
            && entry.Block.Transactions[location.Index] is { } tx
            && tx.Id == hash)
        {
            var proof = entry.Block.CreateProof(location.Index);
            return TypedResults.Ok(new TransactionResponse(
                tx.Id.ToString(), tx.Kind.ToString(), tx.SenderAddress.ToString(), tx.Sequence, tx.TimestampMs,
                chain.IsFinal(entry.Hash) ? "final" : "included", Ref(entry), location.Index, [.. proof.Path.Select(p => p.ToString())],
                MerkleTree.Verify(proof, entry.Header.MerkleRoot)));
        }

        if (node.Pool.Get(hash) is { } pending)
        {
            return TypedResults.Ok(new TransactionResponse(
                pending.Id.ToString(), pending.Kind.ToString(), pending.SenderAddress.ToString(), pending.Sequence, pending.TimestampMs,
                "pending", null, null, [], false));
        }

        return node.Index is null
            ? Problem(StatusCodes.Status501NotImplemented, RejectionCode.None, "this node keeps no transaction index, and the transaction is not in its mempool")
            : Problem(StatusCodes.Status404NotFound, RejectionCode.UnknownEntity, $"no transaction {id} on the best chain or in the mempool");
    }

    private static IResult GetPatientRecords(LedgerNode node, string address, int? limit, string? after) =>
        GetOwnedRecords(node, address, limit, after, static (index, owner, size, token) => index.GetPatientRecords(owner, size, token));

    private static IResult GetDeviceRecords(LedgerNode node, string address, int? limit, string? after) =>
        GetOwnedRecords(node, address, limit, after, static (index, owner, size, token) => index.GetDeviceRecords(owner, size, token));

    private static IResult GetOwnedRecords(
        LedgerNode node, string address, int? limit, string? after,
        Func<Core.State.LedgerIndex, Address, int, Core.State.PageToken?, Core.State.IndexPage<RecordInfo>> query)
    {
        if (node.Index is not { } index)
        {
            return Problem(StatusCodes.Status501NotImplemented, RejectionCode.None, "this node keeps no record index");
        }

        if (!TryParseAddress(address, out var patient))
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "an address is hl followed by 40 hexadecimal digits");
        }

        var size = limit ?? 100;
        if (size is < 1 or > 1_000)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "limit is 1..1000");
        }

        Core.State.PageToken? token = null;
        if (after is not null && !Core.State.PageToken.TryParse(after, out token))
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "after is not a page token");
        }

        try
        {
            var page = query(index, patient, size, token);
            return Results.Ok(new RecordPage(
                [.. page.Items.Select(r => new RecordSummary(r.CiphertextHash.ToString(), r.ContentAddress, r.Device.ToString(), r.RecordType.ToString(), r.MeasuredAtMs, r.Height))],
                page.Next?.ToString(),
                page.At.Height));
        }
        catch (ArgumentException ex)
        {
            return Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, ex.Message);
        }
    }

    private static long? Percentile(long[] sorted, double q) =>
        sorted.Length == 0 ? null : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static BlockRef Ref(ChainEntry e) => new(e.Height, e.Hash.ToString());

    private static NodeResponse NodeOf(NodeInfo n) => new(n.Id.ToString(), n.Name, n.Roles.ToString(), n.Revoked);

    internal static bool TryParseAddress(string text, out Address address)
    {
        address = default;
        if (text.Length != 42 || !text.StartsWith("hl", StringComparison.Ordinal) || !text.AsSpan(2).ToString().All(Uri.IsHexDigit))
        {
            return false;
        }

        address = Address.Parse(text);
        return true;
    }

    private static bool TryParseHash(string text, out Hash256 hash)
    {
        hash = default;
        if (text.Length != 64 || !text.All(Uri.IsHexDigit))
        {
            return false;
        }

        hash = Hash256.Parse(text);
        return true;
    }

    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(int status, RejectionCode code, string detail, string? stage = null, long? actual = null, long? limit = null) =>
        TypedResults.Problem(
            detail: detail,
            statusCode: status,
            title: code.ToString(),
            type: $"https://healthledger.dev/problems/{code}",
            extensions: new Dictionary<string, object?> { ["code"] = (int)code, ["stage"] = stage, ["actual"] = actual, ["limit"] = limit });
}

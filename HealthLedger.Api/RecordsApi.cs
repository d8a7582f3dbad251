using System.Globalization;
using System.Text.Json;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;
using HealthLedger.Node;
using HealthLedger.Node.Records;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace HealthLedger.Api;

/// <summary>
/// The health-record endpoints (docs/records.md, "Node wiring"): seal a device's FHIR payload, store it with the
/// device's signed anchor, release a record key to a signed request (recorded on-chain first), serve the stored
/// envelope, and list a patient's releases. Every error is a problem-details body with the stage and the code.
/// </summary>
internal static class RecordsApi
{
    /// <summary>Bytes of JSON wrapper allowed around the FHIR payload.</summary>
    private const int EnvelopeAllowance = 64 * 1024;

    public static void Map(RouteGroupBuilder v1)
    {
        v1.MapPost("/records", PrepareAsync).WithName("PrepareRecord")
            .WithSummary("Seals a device's FHIR Bundle (validated, encrypted for the patient and this node) and returns the anchor the device must sign; nothing is stored yet.");
        v1.MapPost("/records/{cid}/anchor", AnchorAsync).WithName("AnchorRecord")
            .WithSummary("Stores a prepared record and submits the device's signed anchor through the mempool and its gates; on refusal the envelope is removed.");
        v1.MapPost("/records/{cid}/release", ReleaseAsync).WithName("ReleaseRecordKey")
            .WithSummary("Releases a record key to a signed request (the patient, or a provider with an active grant now); the release is recorded on-chain before the key is returned.");
        v1.MapGet("/records/{cid}/ciphertext", CiphertextAsync).WithName("GetRecordCiphertext")
            .WithSummary("The stored envelope of a record (application/octet-stream), checked against its CID.");
        v1.MapGet("/patients/{address}/releases", GetReleases).WithName("GetPatientReleases")
            .WithSummary("A patient's key releases from the persistent index, in chain order, a page at a time (limit 1..1000, after = the previous page's next).");
    }

    private static async Task<IResult> PrepareAsync(HttpContext http, LedgerNode node)
    {
        if (node.Records is not { } records)
        {
            return NoRecords();
        }
        var (request, problem) = await ReadJsonAsync<RecordPrepareRequest>(http, records.MaxFhirBytes + EnvelopeAllowance, "a record request").ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (request is null || request.Device is null || request.Fhir.ValueKind != JsonValueKind.Object)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "give device, recordType, measuredAtMs and fhir (a JSON object)");
        }
        if (!HealthLedgerApi.TryParseAddress(request.Device, out var device))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "an address is hl followed by 40 hexadecimal digits");
        }
        if (!Enum.TryParse<Core.Transactions.RecordType>(request.RecordType, ignoreCase: false, out var type) || !Enum.IsDefined(type) || char.IsDigit(request.RecordType[0]))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, $"unknown record type; one of {string.Join(", ", Enum.GetNames<Core.Transactions.RecordType>())}");
        }
        if (request.MeasuredAtMs <= 0)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "measuredAtMs is not positive");
        }

        var fhir = JsonSerializer.SerializeToUtf8Bytes(request.Fhir);
        var prepared = records.Prepare(device, type, DateTimeOffset.FromUnixTimeMilliseconds(request.MeasuredAtMs), fhir);
        if (!prepared.IsSuccess)
        {
            return Problem(prepared.Failure!);
        }
        var p = prepared.Value;
        return TypedResults.Ok(new RecordPrepareResponse(p.Anchor.ContentAddress, p.Anchor.CiphertextHash.ToString(), p.Anchor.RecordType.ToString(), (int)p.Anchor.RecordType,
            p.Anchor.MeasuredAtMs, p.Device.ToString(), p.Sequence, p.EnvelopeBytes, p.ExpiresAtMs));
    }

    private static async Task<IResult> AnchorAsync(HttpContext http, LedgerNode node, string cid)
    {
        if (node.Records is not { } records)
        {
            return NoRecords();
        }
        var (request, problem) = await ReadJsonAsync<RecordAnchorRequest>(http, HealthLedgerApi.MaxBodyBytes, "an anchor request").ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (request?.Transaction is null || request.Transaction.Length > 4 * node.Chain.Genesis.Limits.MaxTransactionBytes || request.Fields is { Count: > 256 })
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "give the signed anchor (base64) and at most 256 fields");
        }
        Core.Transactions.Transaction tx;
        try
        {
            tx = Core.Transactions.Transaction.Decode(Convert.FromBase64String(request.Transaction));
        }
        catch (Exception ex) when (ex is FormatException or Core.Encoding.LedgerFormatException)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.MalformedEncoding, ex.Message);
        }
        if (tx.Payload is not Core.Transactions.RecordAnchor anchor || !string.Equals(anchor.ContentAddress, cid, StringComparison.Ordinal))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "the transaction is not a record anchor for this content address");
        }
        object? attachment = null;
        if (request.Fields is not null)
        {
            var fields = HealthLedgerApi.ToFeatureValues(request.Fields, out var bad);
            if (fields is null)
            {
                return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, $"field {bad} is neither a number nor a short string");
            }
            attachment = new Detection.Runtime.DeviceSubmission(tx.SenderAddress, DateTimeOffset.FromUnixTimeMilliseconds(request.TimestampMs), fields);
        }

        var committed = await records.CommitAsync(tx, attachment, http.RequestAborted).ConfigureAwait(false);
        return committed.IsSuccess
            ? TypedResults.Accepted($"/v1/records/{committed.Value.Record.CiphertextHash}", new RecordAnchorResponse(committed.Value.Record.ContentAddress.ToString(), committed.Value.Record.CiphertextHash.ToString(), committed.Value.AnchorId.ToString(), "admitted"))
            : Problem(committed.Failure!);
    }

    private static async Task<IResult> ReleaseAsync(HttpContext http, LedgerNode node, string cid)
    {
        if (node.Records is not { } records)
        {
            return NoRecords();
        }
        var (b, problem) = await ReadJsonAsync<KeyReleaseRequestBody>(http, 4096, "a release request").ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }
        if (b is null || !Hex(b.Requester, 32, out var requester) || !Hex(b.CiphertextHash, 32, out var hash) || !Hex(b.ReplyKey, 32, out var reply)
            || !Hex(b.Nonce, 16, out var nonce) || !Hex(b.Signature, 64, out var signature) || cid.Length > KeyReleaseRequest.MaxContentAddressBytes)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "give requester (64 hex), ciphertextHash (64 hex), replyKey (64 hex), requestedAtMs, nonce (32 hex) and signature (128 hex)");
        }
        var request = new KeyReleaseRequest(node.Chain.Genesis.ChainId, new PublicKey(requester), cid, new Hash256(hash), new EncryptionPublicKey(reply), b.RequestedAtMs,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(nonce), new Signature(signature));
        var released = await records.ReleaseAsync(request, http.RequestAborted).ConfigureAwait(false);
        if (!released.IsSuccess)
        {
            return Problem(released.Failure!);
        }
        var r = released.Value;
        return TypedResults.Ok(new KeyReleaseResponse(cid, r.Decision.Anchor.CiphertextHash.ToString(), r.Wrap.Recipient.ToString(), Convert.ToHexStringLower(r.Wrap.EphemeralPublicKey),
            Convert.ToHexStringLower(r.Wrap.Sealed), $"/v1/records/{cid}/ciphertext", r.ReleaseTransactionId.ToString(), r.RecordedAtHeight, r.Decision.GrantHeight, r.Decision.ReleasedAtMs));
    }

    private static async Task<IResult> CiphertextAsync(HttpContext http, LedgerNode node, string cid)
    {
        if (node.Records is not { } records)
        {
            return NoRecords();
        }
        var bytes = await records.ReadEnvelopeAsync(cid, http.RequestAborted).ConfigureAwait(false);
        return bytes.IsSuccess ? TypedResults.Bytes(bytes.Value, "application/octet-stream") : Problem(bytes.Failure!);
    }

    private static IResult GetReleases(LedgerNode node, string address, int? limit, string? after)
    {
        if (node.Index is not { } index)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status501NotImplemented, RejectionCode.None, "this node keeps no index");
        }
        if (!HealthLedgerApi.TryParseAddress(address, out var patient))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "an address is hl followed by 40 hexadecimal digits");
        }
        var size = limit ?? 100;
        if (size is < 1 or > 1_000)
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "limit is 1..1000");
        }
        Core.State.PageToken? token = null;
        if (after is not null && (!Core.State.PageToken.TryParse(after, out token) || token!.Kind != Core.State.PageKind.PatientReleases))
        {
            return HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.FieldOutOfRange, "after is not a release page token");
        }
        var page = index.GetPatientReleases(patient, size, token);
        return Results.Ok(new ReleasePage(
            [.. page.Items.Select(r => new ReleaseSummary(r.Recipient.ToString(), r.Releaser.ToString(), r.CiphertextHash.ToString(), r.RecordType.ToString(), r.ReleasedAtMs, r.GrantHeight, r.RequestId.ToString(), r.Height, r.TransactionId.ToString()))],
            page.Next?.ToString(),
            page.At.Height));
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { MaxDepth = 64 };

    // A JSON body of at most `max` bytes, or the problem to answer (413 over the bound, 400 when it is not JSON of T).
    private static async Task<(T? Value, IResult? Problem)> ReadJsonAsync<T>(HttpContext http, int max, string what)
        where T : class
    {
        var body = await HealthLedgerApi.ReadBodyAsync(http, max, max, $"the body is at most {max} bytes").ConfigureAwait(false);
        if (body.Problem is not null)
        {
            return (null, body.Problem);
        }
        try
        {
            return (JsonSerializer.Deserialize<T>(body.Bytes!, JsonOptions), null);
        }
        catch (JsonException ex)
        {
            return (null, HealthLedgerApi.Problem(StatusCodes.Status400BadRequest, RejectionCode.MalformedEncoding, $"the body is not {what}: " + ex.Message));
        }
    }

    private static bool Hex(string? text, int bytes, out byte[] value)
    {
        value = [];
        if (text is null || text.Length != 2 * bytes || !text.All(Uri.IsHexDigit))
        {
            return false;
        }
        value = Convert.FromHexString(text);
        return true;
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult NoRecords() =>
        HealthLedgerApi.Problem(StatusCodes.Status501NotImplemented, RejectionCode.None, "this node keeps no records (LedgerNodeOptions.Records is not set)");

    /// <summary>A records failure as problem details: title = the code's name, extensions code (number), codeSet (records or chain), stage, actual, limit.</summary>
    internal static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(RecordFailure failure)
    {
        var status = failure switch
        {
            { RecordCode: RecordErrorCode.NotFound } or { ChainCode: RejectionCode.UnknownEntity } => StatusCodes.Status404NotFound,
            { RecordCode: RecordErrorCode.AccessDenied } => StatusCodes.Status403Forbidden,
            { RecordCode: RecordErrorCode.BadSignature or RecordErrorCode.StaleRequest or RecordErrorCode.ReplayedRequest } => StatusCodes.Status401Unauthorized,
            { RecordCode: RecordErrorCode.InvalidAddress } => StatusCodes.Status400BadRequest,
            { RecordCode: RecordErrorCode.TooLarge, Stage: RecordStage.Encrypt or RecordStage.Request } => StatusCodes.Status503ServiceUnavailable,
            { RecordCode: RecordErrorCode.TooLarge } => StatusCodes.Status413PayloadTooLarge,
            { RecordCode: RecordErrorCode.StoreUnavailable or RecordErrorCode.NotRecorded } => StatusCodes.Status503ServiceUnavailable,
            { RecordCode: RecordErrorCode.CidMismatch or RecordErrorCode.CiphertextHashMismatch or RecordErrorCode.MalformedEnvelope or RecordErrorCode.ContextMismatch, Stage: RecordStage.Fetch } => StatusCodes.Status502BadGateway,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        var (name, number, set) = failure.ChainCode is { } chain && failure.RecordCode is null or RecordErrorCode.CommitFailed
            ? (chain.ToString(), (int)chain, "chain")
            : (failure.RecordCode!.Value.ToString(), (int)failure.RecordCode.Value, "records");
        return TypedResults.Problem(
            detail: failure.Detail,
            statusCode: status,
            title: name,
            type: $"https://healthledger.dev/problems/{set}/{name}",
            extensions: new Dictionary<string, object?>
            {
                ["code"] = number,
                ["codeSet"] = set,
                ["stage"] = failure.Stage.ToString(),
                ["actual"] = failure.Actual,
                ["limit"] = failure.Limit,
            });
    }
}

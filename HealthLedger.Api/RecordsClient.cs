using System.Net.Http.Json;
using System.Text.Json;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;

namespace HealthLedger.Api;

/// <summary>A refusal from the records endpoints: the HTTP status and the problem's title, code set, code, stage and detail.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Title">The code's name (a <c>RecordErrorCode</c> or a <c>RejectionCode</c>).</param>
/// <param name="CodeSet">"records" or "chain".</param>
/// <param name="Stage">The stage that refused, if any.</param>
/// <param name="Detail">The detail.</param>
public sealed record RecordsApiError(int Status, string Title, string? CodeSet, string? Stage, string? Detail);

/// <summary>The outcome of a <see cref="RecordsClient"/> call.</summary>
/// <typeparam name="T">The value on success.</typeparam>
/// <param name="Value">The value, or default on failure.</param>
/// <param name="Error">The refusal, or null.</param>
public sealed record RecordsApiResult<T>(T? Value, RecordsApiError? Error)
{
    /// <summary>True on success.</summary>
    public bool IsSuccess => Error is null;
}

/// <summary>
/// A client of a node's record endpoints, for a device gateway or a demo: <see cref="IngestAsync"/> seals a FHIR
/// payload, signs the anchor the node names with the device's key and commits it; <see cref="ReleaseAsync"/> signs a
/// key-release request, receives the wrapped key and fetches the envelope; <see cref="Open"/> decrypts it.
/// </summary>
public sealed class RecordsClient
{
    private readonly HttpClient _http;
    private readonly uint _chainId;
    private readonly IRandomSource _random;

    /// <summary>Creates a client over an <see cref="HttpClient"/> whose base address is the node's API.</summary>
    public RecordsClient(HttpClient http, uint chainId, IRandomSource? random = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        _http = http;
        _chainId = chainId;
        _random = random ?? SystemRandomSource.Instance;
    }

    /// <summary>
    /// POST /v1/records with the FHIR JSON, then signs the returned anchor (with the returned sequence) and POSTs it to
    /// /v1/records/{cid}/anchor with the submission's fields for the intrusion gate.
    /// </summary>
    public async Task<RecordsApiResult<RecordAnchorResponse>> IngestAsync(KeyPair device, RecordType type, DateTimeOffset measuredAt, string fhirJson,
        IReadOnlyDictionary<string, JsonElement>? fields, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var fhir = JsonDocument.Parse(fhirJson);
        var prepare = await PostAsync<RecordPrepareResponse>("/v1/records",
            new RecordPrepareRequest(device.Address.ToString(), type.ToString(), measuredAt.ToUnixTimeMilliseconds(), fhir.RootElement), cancellationToken).ConfigureAwait(false);
        if (prepare.Value is not { } p)
        {
            return new(null, prepare.Error);
        }
        var anchor = new RecordAnchor(p.ContentAddress, Hash256.Parse(p.CiphertextHash), (RecordType)p.RecordTypeNumber, p.MeasuredAtMs);
        if (anchor.RecordType != type || anchor.MeasuredAtMs != measuredAt.ToUnixTimeMilliseconds())
        {
            return new(null, new RecordsApiError(0, "ContextMismatch", "records", "Anchor", "the node named another record type or time than asked"));
        }
        var tx = Transaction.Create(device, _chainId, p.Sequence, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), anchor);
        return await PostAsync<RecordAnchorResponse>($"/v1/records/{p.ContentAddress}/anchor",
            new RecordAnchorRequest(Convert.ToBase64String(tx.Encode().Span), fields, measuredAt.ToUnixTimeMilliseconds()), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Signs a release request for a record (its CID and ciphertext hash) to <paramref name="replyKey"/>, POSTs it to
    /// /v1/records/{cid}/release, and fetches the envelope from the returned location.
    /// </summary>
    public async Task<RecordsApiResult<(KeyReleaseResponse Release, KeyWrap Wrap, byte[] Envelope)>> ReleaseAsync(KeyPair requester, string contentAddress, Hash256 ciphertextHash,
        EncryptionPublicKey replyKey, CancellationToken cancellationToken = default)
    {
        var request = KeyReleaseRequest.Create(requester, _chainId, contentAddress, ciphertextHash, replyKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _random);
        Span<byte> nonce = stackalloc byte[KeyReleaseRequest.NonceLength];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(nonce, request.Nonce);
        var body = new KeyReleaseRequestBody(Convert.ToHexStringLower(request.Requester.ToArray()), ciphertextHash.ToString(), replyKey.ToString(), request.RequestedAtMs,
            Convert.ToHexStringLower(nonce), Convert.ToHexStringLower(request.Signature.ToArray()));
        var released = await PostAsync<KeyReleaseResponse>($"/v1/records/{contentAddress}/release", body, cancellationToken).ConfigureAwait(false);
        if (released.Value is not { } r)
        {
            return new(default, released.Error);
        }
        using var response = await _http.GetAsync(new Uri(r.CiphertextLocation, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return new(default, await ErrorOf(response, cancellationToken).ConfigureAwait(false));
        }
        var envelope = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var wrap = new KeyWrap(Address.Parse(r.Recipient), Convert.FromHexString(r.EphemeralKey), Convert.FromHexString(r.SealedKey));
        return new((r, wrap, envelope), null);
    }

    /// <summary>Decrypts a released envelope with the wrap and the reply key: the FHIR JSON bytes, or the refusal.</summary>
    public static RecordResult<byte[]> Open(byte[] envelope, KeyWrap wrap, EncryptionKeyPair replyKey)
    {
        var decoded = RecordEnvelope.Decode(envelope);
        return decoded.IsSuccess ? decoded.Value.Open(wrap, replyKey) : decoded.Error!;
    }

    /// <summary>GET /v1/patients/{patient}/releases (one page).</summary>
    public async Task<RecordsApiResult<ReleasePage>> GetReleasesAsync(Address patient, int limit = 100, string? after = null, CancellationToken cancellationToken = default)
    {
        var query = $"/v1/patients/{patient}/releases?limit={limit}" + (after is null ? string.Empty : "&after=" + Uri.EscapeDataString(after));
        using var response = await _http.GetAsync(new Uri(query, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? new(await response.Content.ReadFromJsonAsync<ReleasePage>(cancellationToken).ConfigureAwait(false), null)
            : new(null, await ErrorOf(response, cancellationToken).ConfigureAwait(false));
    }

    private async Task<RecordsApiResult<T>> PostAsync<T>(string path, object body, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(new Uri(path, UriKind.Relative), body, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode
            ? new(await response.Content.ReadFromJsonAsync<T>(cancellationToken).ConfigureAwait(false), null)
            : new(default, await ErrorOf(response, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<RecordsApiError> ErrorOf(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            string? Get(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            return new RecordsApiError((int)response.StatusCode, Get("title") ?? response.StatusCode.ToString(), Get("codeSet"), Get("stage"), Get("detail"));
        }
        catch (JsonException)
        {
            return new RecordsApiError((int)response.StatusCode, response.StatusCode.ToString(), null, null, text.Length > 512 ? text[..512] : text);
        }
    }
}

namespace HealthLedger.Records;

/// <summary>Why a records operation was refused. Numbers are stable: they may be logged and compared.</summary>
public enum RecordErrorCode
{
    /// <summary>A content address is not one canonical base32 CIDv1 (it never reaches a path or a URL).</summary>
    InvalidAddress = 1,

    /// <summary>A resolved store path would leave the store's directory (a symlink, or a path outside the root).</summary>
    PathEscape = 2,

    /// <summary>The store does not hold the content.</summary>
    NotFound = 3,

    /// <summary>Bytes do not hash to the CID they were stored or fetched under.</summary>
    CidMismatch = 4,

    /// <summary>Content, a response or a payload is larger than the configured limit (<c>Actual</c>, <c>Limit</c>).</summary>
    TooLarge = 5,

    /// <summary>The store did not answer (after retries and timeouts), or answered with an error.</summary>
    StoreUnavailable = 6,

    /// <summary>The FHIR payload failed to parse or validate; nothing was stored.</summary>
    InvalidFhir = 7,

    /// <summary>The ciphertext or its associated data was altered (AES-GCM authentication failed).</summary>
    TamperedCiphertext = 8,

    /// <summary>No key wrap for this recipient, or the wrap does not open with this key (wrong key or altered wrap).</summary>
    WrongKeyWrap = 9,

    /// <summary>An envelope is not in the documented format or breaks its limits.</summary>
    MalformedEnvelope = 10,

    /// <summary>The SHA-256 of the fetched ciphertext differs from the anchored one.</summary>
    CiphertextHashMismatch = 11,

    /// <summary>The envelope's bound fields (chain, device, patient, type, time) differ from the anchor's.</summary>
    ContextMismatch = 12,

    /// <summary>A signature (key release request, encryption key binding) does not verify, or names another key.</summary>
    BadSignature = 13,

    /// <summary>A signed request is outside the allowed clock window or for another chain.</summary>
    StaleRequest = 14,

    /// <summary>The requester holds no active grant for this patient, record type and time (see the detail).</summary>
    AccessDenied = 15,

    /// <summary>A commit step supplied by the caller (such as anchoring on-chain) failed; the stored content was removed.</summary>
    CommitFailed = 16,

    /// <summary>A public key is not a valid Ed25519 point, so it has no X25519 image to wrap a record key to.</summary>
    InvalidKey = 17,

    /// <summary>A signed request was already served (its requester and nonce were seen inside the clock window).</summary>
    ReplayedRequest = 18,

    /// <summary>A release could not be recorded on-chain (refused or not included in time); no key was released.</summary>
    NotRecorded = 19,
}

/// <summary>A typed refusal: the code, a readable detail, and the numbers involved where there are any.</summary>
/// <param name="Code">What went wrong.</param>
/// <param name="Detail">Readable detail (never contains plaintext or key material).</param>
/// <param name="Actual">The measured number (for example a size), or 0.</param>
/// <param name="Limit">The limit it was compared with, or 0.</param>
public sealed record RecordError(RecordErrorCode Code, string Detail, long Actual = 0, long Limit = 0)
{
    /// <inheritdoc />
    public override string ToString() =>
        Actual != 0 || Limit != 0 ? $"{Code}: {Detail} (actual {Actual}, limit {Limit})" : $"{Code}: {Detail}";
}

/// <summary>The outcome of an operation without a value.</summary>
public readonly struct RecordResult
{
    private RecordResult(RecordError? error) => Error = error;

    /// <summary>The refusal, or null on success.</summary>
    public RecordError? Error { get; }

    /// <summary>True when the operation succeeded.</summary>
    public bool IsSuccess => Error is null;

    /// <summary>Success.</summary>
    public static RecordResult Ok => default;

    /// <summary>A refusal.</summary>
    public static RecordResult Fail(RecordErrorCode code, string detail, long actual = 0, long limit = 0) => new(new RecordError(code, detail, actual, limit));

    /// <summary>A refusal.</summary>
    public static implicit operator RecordResult(RecordError error) => new(error);

    /// <inheritdoc />
    public override string ToString() => Error?.ToString() ?? "ok";
}

/// <summary>The outcome of an operation that yields a <typeparamref name="T"/>.</summary>
/// <typeparam name="T">The value on success.</typeparam>
public readonly struct RecordResult<T>
{
    private static readonly RecordError Uninitialised = new(0, "uninitialised result");
    private readonly T? _value;
    private readonly RecordError? _error;
    private readonly bool _ok;

    private RecordResult(T value)
    {
        _value = value;
        _ok = true;
    }

    private RecordResult(RecordError error) => _error = error;

    /// <summary>The refusal, or null on success (a default-constructed result is a refusal, never a success).</summary>
    public RecordError? Error => _ok ? null : _error ?? Uninitialised;

    /// <summary>True when the operation succeeded.</summary>
    public bool IsSuccess => _ok;

    /// <summary>The value; throws when the operation failed.</summary>
    public T Value => _ok ? _value! : throw new InvalidOperationException($"No value: {Error}");

    /// <summary>Success with a value.</summary>
    public static implicit operator RecordResult<T>(T value) => new(value);

    /// <summary>A refusal.</summary>
    public static implicit operator RecordResult<T>(RecordError error) => new(error);

    /// <summary>A refusal.</summary>
    public static RecordResult<T> Fail(RecordErrorCode code, string detail, long actual = 0, long limit = 0) => new(new RecordError(code, detail, actual, limit));

    /// <inheritdoc />
    public override string ToString() => Error?.ToString() ?? $"ok: {_value}";
}

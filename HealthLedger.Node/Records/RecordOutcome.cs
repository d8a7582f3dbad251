using HealthLedger.Core.Validation;
using HealthLedger.Records;

namespace HealthLedger.Node.Records;

/// <summary>The step of ingestion or release at which a records operation stopped. Numbers are stable.</summary>
public enum RecordStage
{
    /// <summary>The device: unknown, revoked, or its patient unknown.</summary>
    Device = 1,
    /// <summary>The FHIR payload: unparsable or invalid; nothing stored.</summary>
    Fhir = 2,
    /// <summary>Encryption: the patient's key has no X25519 image, or the envelope is too large.</summary>
    Encrypt = 3,
    /// <summary>The content store: put, CID check or pin; the envelope was removed.</summary>
    Store = 4,
    /// <summary>The anchor: no prepared record, a mismatching transaction, or the mempool (state rules, the detection gate) refused it; the envelope was removed.</summary>
    Anchor = 5,
    /// <summary>The release request: unknown record, chain, clock window, signature, replay.</summary>
    Request = 6,
    /// <summary>The grant: the requester holds no active grant for the record's type now.</summary>
    Grant = 7,
    /// <summary>Reading the envelope back (CID, ciphertext hash, format, bound facts, the custodian's wrap).</summary>
    Fetch = 8,
    /// <summary>Recording the release on-chain: refused or not included in time; no key was released.</summary>
    Record = 9,
}

/// <summary>
/// Why a records operation of a node stopped: the stage, and the records library's code or the chain's rejection
/// code (for the mempool and the detection gate), with the numbers involved.
/// </summary>
/// <param name="Stage">Where it stopped.</param>
/// <param name="RecordCode">The records library's code, if it decided.</param>
/// <param name="ChainCode">The chain's rejection code, if the mempool or a gate decided.</param>
/// <param name="Detail">Readable detail (never plaintext or key material).</param>
/// <param name="Actual">The measured number, if any.</param>
/// <param name="Limit">The limit, if any.</param>
public sealed record RecordFailure(RecordStage Stage, RecordErrorCode? RecordCode, RejectionCode? ChainCode, string Detail, long? Actual = null, long? Limit = null)
{
    internal static RecordFailure Of(RecordStage stage, RecordError error) =>
        new(stage, error.Code, null, error.Detail, error.Actual == 0 && error.Limit == 0 ? null : error.Actual, error.Actual == 0 && error.Limit == 0 ? null : error.Limit);

    internal static RecordFailure Of(RecordStage stage, ValidationResult result) =>
        new(stage, null, result.Code, result.Message ?? result.Code.ToString(), result.Actual, result.Limit);

    /// <inheritdoc />
    public override string ToString() => $"{Stage}: {(object?)RecordCode ?? ChainCode}: {Detail}";
}

/// <summary>The outcome of a node's records operation: a value, or the <see cref="RecordFailure"/> (a default instance is a failure).</summary>
/// <typeparam name="T">The value on success.</typeparam>
public readonly struct RecordOutcome<T>
{
    private static readonly RecordFailure Uninitialised = new(0, null, null, "uninitialised outcome");
    private readonly T? _value;
    private readonly RecordFailure? _failure;
    private readonly bool _ok;

    private RecordOutcome(T value)
    {
        _value = value;
        _ok = true;
    }

    private RecordOutcome(RecordFailure failure) => _failure = failure;

    /// <summary>True on success.</summary>
    public bool IsSuccess => _ok;

    /// <summary>The failure, or null on success.</summary>
    public RecordFailure? Failure => _ok ? null : _failure ?? Uninitialised;

    /// <summary>The value; throws on failure.</summary>
    public T Value => _ok ? _value! : throw new InvalidOperationException($"No value: {Failure}");

    /// <summary>Success.</summary>
    public static implicit operator RecordOutcome<T>(T value) => new(value);

    /// <summary>Failure.</summary>
    public static implicit operator RecordOutcome<T>(RecordFailure failure) => new(failure);

    /// <inheritdoc />
    public override string ToString() => _ok ? $"ok: {_value}" : Failure!.ToString();
}

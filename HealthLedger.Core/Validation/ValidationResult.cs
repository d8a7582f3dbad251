namespace HealthLedger.Core.Validation;

/// <summary>
/// The outcome of a validation step: valid, or a documented <see cref="RejectionCode"/> with a message and,
/// where it applies, the offending value and the limit it broke. Never thrown; returned.
/// </summary>
public readonly record struct ValidationResult
{
    private ValidationResult(RejectionCode code, string? message, long? actual, long? limit)
    {
        Code = code;
        Message = message;
        Actual = actual;
        Limit = limit;
    }

    /// <summary>The rejection code, or <see cref="RejectionCode.None"/> when valid.</summary>
    public RejectionCode Code { get; }

    /// <summary>A human-readable explanation naming the values involved.</summary>
    public string? Message { get; }

    /// <summary>The offending value, when the rule is numeric.</summary>
    public long? Actual { get; }

    /// <summary>The bound that was broken, when the rule is numeric.</summary>
    public long? Limit { get; }

    /// <summary>True when nothing was rejected.</summary>
    public bool IsValid => Code == RejectionCode.None;

    /// <summary>The valid result.</summary>
    public static ValidationResult Ok => default;

    /// <summary>A rejection.</summary>
    public static ValidationResult Reject(RejectionCode code, string message, long? actual = null, long? limit = null) =>
        new(code, message, actual, limit);

    /// <inheritdoc />
    public override string ToString() => IsValid ? "Valid" : $"{Code}: {Message}";
}

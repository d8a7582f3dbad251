namespace HealthLedger.Detection.Features;

/// <summary>Why a submission's features were refused.</summary>
public enum FeatureErrorKind
{
    /// <summary>A field the model needs is absent.</summary>
    Missing,

    /// <summary>A numeric field is text that does not parse as a number.</summary>
    NotANumber,

    /// <summary>A numeric field is NaN.</summary>
    NaN,

    /// <summary>A numeric field is +∞ or −∞.</summary>
    Infinite,

    /// <summary>A numeric field lies outside its allowed range.</summary>
    OutOfRange,

    /// <summary>A categorical field has a value the model has never seen (only when the options refuse those).</summary>
    UnknownCategory,
}

/// <summary>A refused field: which one, why, and a sentence saying so.</summary>
/// <param name="Kind">Why it was refused.</param>
/// <param name="Field">The submission field (raw column) at fault.</param>
/// <param name="Message">A human-readable reason.</param>
public sealed record FeatureError(FeatureErrorKind Kind, string Field, string Message);

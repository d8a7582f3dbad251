using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;

namespace HealthLedger.Detection.Gate;

/// <summary>Why the gate refused a submission.</summary>
public enum GateRefusalReason
{
    /// <summary>The detector found the record to be an attack (P(attack) ≥ threshold).</summary>
    IntrusionSuspected,

    /// <summary>The record's features were invalid (missing, NaN, ±∞, out of range), so it could not be classified.</summary>
    InvalidFeatures,
}

/// <summary>The gate's decision on one device submission.</summary>
public abstract record GateVerdict
{
    private GateVerdict()
    {
    }

    /// <summary>True for <see cref="Admitted"/>.</summary>
    public bool IsAdmitted => this is Admitted;

    /// <summary>The record looks normal: the caller may anchor it.</summary>
    /// <param name="Score">P(attack).</param>
    /// <param name="Threshold">The threshold it was compared with.</param>
    public sealed record Admitted(float Score, float Threshold) : GateVerdict;

    /// <summary>The record is refused.</summary>
    /// <param name="Score">P(attack), or null when the record could not be classified.</param>
    /// <param name="Threshold">The threshold in force.</param>
    /// <param name="Reason">Why.</param>
    /// <param name="Detail">A human-readable explanation (no health data).</param>
    /// <param name="Report">The intrusion report when <paramref name="Reason"/> is <see cref="GateRefusalReason.IntrusionSuspected"/>.</param>
    /// <param name="FeatureError">The invalid field when <paramref name="Reason"/> is <see cref="GateRefusalReason.InvalidFeatures"/>.</param>
    public sealed record Refused(float? Score, float Threshold, GateRefusalReason Reason, string Detail, IntrusionReport? Report, FeatureError? FeatureError) : GateVerdict;
}

/// <summary>
/// What the node records (and may publish) about a suspected intrusion: who, when, how sure — never the health data.
/// </summary>
/// <param name="Device">The submitting device.</param>
/// <param name="ObservedAt">The record's own timestamp.</param>
/// <param name="DetectedAt">When the gate classified it (injected clock).</param>
/// <param name="Score">P(attack).</param>
/// <param name="Threshold">The threshold it met.</param>
/// <param name="ModelId">The model that decided.</param>
public sealed record IntrusionReport(Address Device, DateTimeOffset ObservedAt, DateTimeOffset DetectedAt, float Score, float Threshold, string ModelId)
{
    /// <summary>A one-line description, e.g. for the intrusion-report transaction or a log line.</summary>
    public string Description => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"Suspected intrusion from device {Device} at {ObservedAt:O} (detected {DetectedAt:O}): P(attack) {Score:F4} >= threshold {Threshold:F4}, model {ModelId}.");
}

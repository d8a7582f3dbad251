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
    /// <param name="Alert">The intrusion alert when <paramref name="Reason"/> is <see cref="GateRefusalReason.IntrusionSuspected"/>.</param>
    /// <param name="FeatureError">The invalid field when <paramref name="Reason"/> is <see cref="GateRefusalReason.InvalidFeatures"/>.</param>
    public sealed record Refused(float? Score, float Threshold, GateRefusalReason Reason, string Detail, IntrusionAlert? Alert, FeatureError? FeatureError) : GateVerdict;
}

/// <summary>
/// What the node records (and may publish) about a suspected intrusion: who, when, how sure — never the health data.
/// </summary>
/// <param name="Device">The submitting device.</param>
/// <param name="ObservedAt">The record's own timestamp (as claimed by the device).</param>
/// <param name="DetectedAt">When the gate received and classified it (injected clock).</param>
/// <param name="Score">P(attack).</param>
/// <param name="Threshold">The threshold it met.</param>
/// <param name="ModelId">A readable name of the model that decided.</param>
/// <param name="ModelHash">SHA-256 of that model.</param>
public sealed record IntrusionAlert(Address Device, DateTimeOffset ObservedAt, DateTimeOffset DetectedAt, float Score, float Threshold, string ModelId, Hash256 ModelHash)
{
    /// <summary>
    /// The on-chain intrusion-report payload: device, arrival time (<see cref="DetectedAt"/>, UTC ms: the gate's clock,
    /// not the device's claim), score in basis points and the model's SHA-256.
    /// </summary>
    public HealthLedger.Core.Transactions.IntrusionReport ToReportPayload() =>
        new(Device, DetectedAt.ToUnixTimeMilliseconds(), (ushort)Math.Clamp(MathF.Round(Score * 10_000f), 0f, 10_000f), ModelHash);

    /// <summary>A one-line description, e.g. for the intrusion-report transaction or a log line.</summary>
    public string Description => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"Suspected intrusion from device {Device} at {ObservedAt:O} (detected {DetectedAt:O}): P(attack) {Score:F4} >= threshold {Threshold:F4}, model {ModelId}.");
}

using System.Globalization;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Validation;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Detection.Gate;

/// <summary>
/// The intrusion detector as a mempool admission gate (<c>TransactionPool.AddGate</c>). A locally submitted transaction
/// whose <see cref="AdmissionContext.Attachment"/> is the <see cref="DeviceSubmission"/> it anchors is screened by the
/// <see cref="DetectorGate"/>; an attack or an unclassifiable submission is rejected with
/// <see cref="RejectionCode.RefusedByGate"/> (score and threshold in basis points as actual/limit), and the alert is
/// handed to <c>onIntrusion</c> (e.g. to issue an on-chain intrusion report). Transactions from peers or reorgs carry no
/// attachment (attachments are never gossiped) and pass.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use (detectors are thread-safe); <c>onIntrusion</c> is called on the admitting thread, under the pool's lock, so it must not call back into the pool.</remarks>
public sealed class DetectorAdmissionFilter : IAdmissionFilter
{
    private readonly DetectorGate _gate;
    private readonly Action<IntrusionAlert>? _onIntrusion;
    private readonly bool _requireSubmissionForLocal;

    /// <summary>Creates the filter.</summary>
    /// <param name="gate">The gate that classifies submissions.</param>
    /// <param name="onIntrusion">Called with the alert of every refused attack (not called for invalid features).</param>
    /// <param name="requireSubmissionForLocal">When true, a local transaction without a <see cref="DeviceSubmission"/> attachment is refused.</param>
    public DetectorAdmissionFilter(DetectorGate gate, Action<IntrusionAlert>? onIntrusion = null, bool requireSubmissionForLocal = false)
    {
        _gate = gate ?? throw new ArgumentNullException(nameof(gate));
        _onIntrusion = onIntrusion;
        _requireSubmissionForLocal = requireSubmissionForLocal;
    }

    /// <inheritdoc />
    public string Name => "intrusion-detector";

    /// <inheritdoc />
    public ValidationResult Check(AdmissionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Attachment is not DeviceSubmission submission)
        {
            return _requireSubmissionForLocal && context.Origin == TransactionOrigin.Local
                ? ValidationResult.Reject(RejectionCode.RefusedByGate, "a local submission must carry the device's traffic features for the intrusion detector")
                : ValidationResult.Ok;
        }

        var verdict = _gate.Screen(submission);
        if (verdict is not GateVerdict.Refused refused)
        {
            return ValidationResult.Ok;
        }

        if (refused.Alert is { } alert)
        {
            _onIntrusion?.Invoke(alert);
        }

        long? score = refused.Score is { } s ? BasisPoints(s) : null;
        return ValidationResult.Reject(RejectionCode.RefusedByGate, refused.Detail, score, BasisPoints(refused.Threshold));
    }

    private static long BasisPoints(float probability) => (long)Math.Round(probability * 10_000.0, MidpointRounding.AwayFromZero);

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} (threshold {_gate.Detector.Threshold:F4}, model {_gate.Detector.ModelId})");
}

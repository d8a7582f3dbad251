using HealthLedger.Detection.Runtime;

namespace HealthLedger.Detection.Gate;

/// <summary>
/// The intrusion gate in front of the ledger: each device submission is classified; a normal record is admitted (the
/// caller goes on to anchor it), an attack or an unclassifiable record is refused with the score, the threshold and,
/// for attacks, an <see cref="IntrusionAlert"/>. This is the logic the mempool's admission filter delegates to.
/// Thread-safe when the detector is.
/// </summary>
public sealed class DetectorGate
{
    private readonly IIntrusionDetector _detector;
    private readonly TimeProvider _time;

    /// <summary>Creates a gate over a detector; <paramref name="time"/> stamps intrusion reports.</summary>
    public DetectorGate(IIntrusionDetector detector, TimeProvider time)
    {
        _detector = detector ?? throw new ArgumentNullException(nameof(detector));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>The detector behind the gate.</summary>
    public IIntrusionDetector Detector => _detector;

    /// <summary>Classifies one submission.</summary>
    public GateVerdict Screen(DeviceSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        return ToVerdict(submission, _detector.Classify(submission));
    }

    /// <summary>Classifies several submissions in one inference; verdicts are in input order.</summary>
    public IReadOnlyList<GateVerdict> ScreenBatch(IReadOnlyList<DeviceSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        var results = _detector.ClassifyBatch(submissions);
        var verdicts = new GateVerdict[submissions.Count];
        for (var i = 0; i < verdicts.Length; i++)
        {
            verdicts[i] = ToVerdict(submissions[i], results[i]);
        }

        return verdicts;
    }

    private GateVerdict ToVerdict(DeviceSubmission submission, DetectionResult result)
    {
        if (!result.IsClassified)
        {
            return new GateVerdict.Refused(null, _detector.Threshold, GateRefusalReason.InvalidFeatures, $"Submission from device {submission.Device} refused: {result.Error!.Message}", null, result.Error);
        }

        var verdict = result.Verdict;
        if (!verdict.IsAttack)
        {
            return new GateVerdict.Admitted(verdict.AttackProbability, verdict.Threshold);
        }

        var report = new IntrusionAlert(submission.Device, submission.Timestamp, _time.GetUtcNow(), verdict.AttackProbability, verdict.Threshold, _detector.ModelId, _detector.ModelHash);
        return new GateVerdict.Refused(verdict.AttackProbability, verdict.Threshold, GateRefusalReason.IntrusionSuspected, report.Description, report, null);
    }
}

using HealthLedger.Core.Crypto;

namespace HealthLedger.Detection.Runtime;

/// <summary>Classifies device submissions as normal or attack. Implementations are thread-safe.</summary>
public interface IIntrusionDetector
{
    /// <summary>
    /// The decision threshold on P(attack) for a device with a full window. A detector may judge a device's first records
    /// with a different threshold (per-history thresholds); <see cref="IntrusionVerdict.Threshold"/> is the one applied.
    /// </summary>
    float Threshold { get; }

    /// <summary>A short name of the model behind the detector (for intrusion reports).</summary>
    string ModelId { get; }

    /// <summary>SHA-256 of the model (the model id of on-chain intrusion reports).</summary>
    Hash256 ModelHash { get; }

    /// <summary>Classifies one submission, as the last record of its device's window.</summary>
    DetectionResult Classify(DeviceSubmission submission);

    /// <summary>
    /// Classifies several submissions in one inference; results are in input order. Submissions of the same device are
    /// windowed in list order, as if classified one by one.
    /// </summary>
    IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions);
}

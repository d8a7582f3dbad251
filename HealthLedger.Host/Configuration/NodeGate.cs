using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Host.Configuration;

/// <summary>
/// The <c>detector</c> section of a node's configuration: the ingestion gate in front of its mempool.
/// </summary>
internal sealed record DetectorFile
{
    /// <summary>Whether the node screens device submissions (POST /v1/ingest) with the intrusion detector.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>An ONNX model file (relative to the configuration file); null = the DSAE+BiLSTM embedded in HealthLedger.Detection.</summary>
    public string? Model { get; init; }

    /// <summary>
    /// A fixed decision threshold on P(attack) in (0, 1) for every history length; null = the model's own operating
    /// points (one per history length, chosen on validation data).
    /// </summary>
    public float? Threshold { get; init; }

    /// <summary>Most devices whose recent records the gate keeps (each window is the model's T records).</summary>
    public int MaxDevices { get; init; } = DeviceWindowOptions.Default.MaxDevices;
}

/// <summary>A node's ingestion gate built from its configuration, and the detector it owns.</summary>
internal sealed class NodeGate : IDisposable
{
    private readonly IDisposable _owned;

    private NodeGate(IAdmissionFilter filter, IIntrusionDetector detector, IDisposable owned, string source)
    {
        Filter = filter;
        Detector = detector;
        _owned = owned;
        Source = source;
    }

    /// <summary>The mempool gate.</summary>
    public IAdmissionFilter Filter { get; }

    /// <summary>The detector behind it.</summary>
    public IIntrusionDetector Detector { get; }

    /// <summary>Where the model came from (a path or <c>embedded:…</c>).</summary>
    public string Source { get; }

    /// <summary>The gate described by <paramref name="file"/> (paths relative to <paramref name="configDirectory"/>), or null when disabled.</summary>
    /// <exception cref="DetectorModelException">The model cannot be loaded.</exception>
    /// <exception cref="InvalidDataException">The threshold or the device bound is out of range.</exception>
    public static NodeGate? Create(DetectorFile? file, string configDirectory, TimeProvider time)
    {
        file ??= new DetectorFile();
        if (!file.Enabled)
        {
            return null;
        }

        if (file.Threshold is { } t && !(t > 0f && t < 1f))
        {
            throw new InvalidDataException($"detector.threshold must be in (0, 1), not {t}.");
        }

        if (file.MaxDevices < 1)
        {
            throw new InvalidDataException($"detector.maxDevices must be positive, not {file.MaxDevices}.");
        }

        string source;
        DetectorModel model;
        if (file.Model is { } path)
        {
            var full = Path.GetFullPath(Path.Combine(configDirectory, path));
            model = DetectorModel.Load(full);
            source = full;
        }
        else
        {
            model = DetectorModel.LoadDefault();
            source = "embedded:" + DetectorModel.DefaultModelFileName;
        }

        var onnx = new OnnxIntrusionDetector(model, time, new DeviceWindowOptions { MaxDevices = file.MaxDevices }, ownsModel: true);
        IIntrusionDetector detector = file.Threshold is { } fixedThreshold ? new FixedThresholdDetector(onnx, fixedThreshold) : onnx;
        return new NodeGate(new DetectorAdmissionFilter(new DetectorGate(detector, time)), detector, onnx, source);
    }

    public void Dispose() => _owned.Dispose();
}

/// <summary>A detector whose verdicts use one configured threshold instead of the model's operating points.</summary>
internal sealed class FixedThresholdDetector(IIntrusionDetector inner, float threshold) : IIntrusionDetector
{
    public float Threshold => threshold;

    public string ModelId => inner.ModelId;

    public Hash256 ModelHash => inner.ModelHash;

    public DetectionResult Classify(DeviceSubmission submission) => Rethreshold(inner.Classify(submission));

    public IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions) =>
        [.. inner.ClassifyBatch(submissions).Select(Rethreshold)];

    private DetectionResult Rethreshold(DetectionResult result) =>
        result.IsClassified
            ? DetectionResult.Classified(result.Verdict with { Threshold = threshold, PredictedClass = result.Verdict.AttackProbability >= threshold ? Math.Max(1, result.Verdict.PredictedClass) : 0 })
            : result;
}

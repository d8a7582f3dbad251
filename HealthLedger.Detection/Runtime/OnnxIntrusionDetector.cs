using System.Buffers;
using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;

namespace HealthLedger.Detection.Runtime;

/// <summary>
/// The intrusion detector backed by an ONNX model: extracts features, keeps each device's last T records, and runs the
/// model on the device's window with the submission as its last record. Thread-safe.
/// </summary>
public sealed class OnnxIntrusionDetector : IIntrusionDetector, IDisposable
{
    private const int StackLimit = 2048;

    private readonly DetectorModel _model;
    private readonly bool _ownsModel;
    private readonly FeatureExtractor _extractor;
    private readonly DeviceWindowStore _windows;

    /// <summary>Creates a detector over a loaded model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="time">Clock for idle-window eviction.</param>
    /// <param name="windows">Bounds on per-device state (default <see cref="DeviceWindowOptions.Default"/>).</param>
    /// <param name="features">Feature checks (default <see cref="FeatureExtractorOptions.Default"/>).</param>
    /// <param name="ownsModel">When true, disposing the detector disposes the model.</param>
    public OnnxIntrusionDetector(DetectorModel model, TimeProvider time, DeviceWindowOptions? windows = null, FeatureExtractorOptions? features = null, bool ownsModel = false)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _ownsModel = ownsModel;
        _extractor = new FeatureExtractor(model.Metadata.Features, features);
        _windows = new DeviceWindowStore(model.Window, model.FeatureCount, windows ?? DeviceWindowOptions.Default, time);
    }

    /// <summary>The model.</summary>
    public DetectorModel Model => _model;

    /// <summary>The feature extractor built from the model's <c>hl.features</c>.</summary>
    public FeatureExtractor Extractor => _extractor;

    /// <inheritdoc />
    public float Threshold => _model.Metadata.Threshold;

    /// <inheritdoc />
    public string ModelId => _model.Metadata.ModelId;

    /// <inheritdoc />
    public Hash256 ModelHash => _model.Sha256;

    /// <summary>Devices currently holding a window.</summary>
    public int TrackedDevices => _windows.Count;

    /// <summary>Creates a detector over the default model embedded in this assembly; the detector owns it.</summary>
    /// <exception cref="DetectorModelException">This build embeds no default model.</exception>
    public static OnnxIntrusionDetector CreateDefault(TimeProvider time, DeviceWindowOptions? windows = null, FeatureExtractorOptions? features = null, DetectorModelOptions? modelOptions = null) =>
        new(DetectorModel.LoadDefault(modelOptions), time, windows, features, ownsModel: true);

    /// <summary>Creates a detector over the opt-in fast gate model embedded in this assembly (<see cref="DetectorModel.FastModelFileName"/>); the detector owns it.</summary>
    /// <exception cref="DetectorModelException">This build does not embed the fast model.</exception>
    public static OnnxIntrusionDetector CreateFast(TimeProvider time, DeviceWindowOptions? windows = null, FeatureExtractorOptions? features = null, DetectorModelOptions? modelOptions = null) =>
        new(DetectorModel.LoadFast(modelOptions), time, windows, features, ownsModel: true);

    /// <inheritdoc />
    public DetectionResult Classify(DeviceSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var f = _model.FeatureCount;
        var length = _model.WindowLength + f + _model.ClassCount;
        float[]? rented = null;
        var scratch = length <= StackLimit ? stackalloc float[length] : (rented = ArrayPool<float>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            var features = scratch[..f];
            var window = scratch.Slice(f, _model.WindowLength);
            var probabilities = scratch[(f + _model.WindowLength)..];
            if (!_extractor.TryExtract(submission.Fields, features, out var error))
            {
                return DetectionResult.Invalid(error);
            }

            var history = _windows.AppendAndCopyWindow(submission.Device, features, window);
            _model.Predict(window, 1, probabilities);
            return DetectionResult.Classified(ToVerdict(probabilities, _model.Metadata.ThresholdFor(history)));
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        var n = submissions.Count;
        var results = new DetectionResult[n];
        if (n == 0)
        {
            return results;
        }

        for (var i = 0; i < n; i++)
        {
            if (submissions[i] is null)
            {
                throw new ArgumentException("A submission is null.", nameof(submissions));
            }
        }

        var f = _model.FeatureCount;
        var w = _model.WindowLength;
        var c = _model.ClassCount;
        var features = ArrayPool<float>.Shared.Rent(n * f);
        var errors = ArrayPool<FeatureError?>.Shared.Rent(n);
        var windows = ArrayPool<float>.Shared.Rent(n * w);
        var probabilities = ArrayPool<float>.Shared.Rent(n * c);
        var rows = ArrayPool<int>.Shared.Rent(n);
        var histories = ArrayPool<int>.Shared.Rent(n);
        try
        {
            // Feature extraction is pure: spread it over the batch threads. Windows are then appended in list order.
            var workers = _model.BatchWorkers(n);
            if (workers > 1)
            {
                Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, k =>
                    Extract(submissions, (int)((long)n * k / workers), (int)((long)n * (k + 1) / workers), features, errors));
            }
            else
            {
                Extract(submissions, 0, n, features, errors);
            }

            var valid = 0;
            for (var i = 0; i < n; i++)
            {
                if (errors[i] is { } error)
                {
                    results[i] = DetectionResult.Invalid(error);
                    continue;
                }

                histories[valid] = _windows.AppendAndCopyWindow(submissions[i].Device, features.AsSpan(i * f, f), windows.AsSpan(valid * w, w));
                rows[valid++] = i;
            }

            _model.PredictInPlace(windows, valid, probabilities);
            for (var k = 0; k < valid; k++)
            {
                results[rows[k]] = DetectionResult.Classified(ToVerdict(probabilities.AsSpan(k * c, c), _model.Metadata.ThresholdFor(histories[k])));
            }

            return results;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(features);
            ArrayPool<FeatureError?>.Shared.Return(errors, clearArray: true);
            ArrayPool<float>.Shared.Return(windows);
            ArrayPool<float>.Shared.Return(probabilities);
            ArrayPool<int>.Shared.Return(rows);
            ArrayPool<int>.Shared.Return(histories);
        }
    }

    private void Extract(IReadOnlyList<DeviceSubmission> submissions, int start, int end, float[] features, FeatureError?[] errors)
    {
        var f = _model.FeatureCount;
        for (var i = start; i < end; i++)
        {
            errors[i] = _extractor.TryExtract(submissions[i].Fields, features.AsSpan(i * f, f), out var error) ? null : error;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsModel)
        {
            _model.Dispose();
        }
    }

    /// <summary>
    /// The verdict for one row of class probabilities: P(attack) = 1 − P(normal); the class is 0 (normal) below the
    /// threshold, else the most probable attack class (the training code's rule).
    /// </summary>
    internal static IntrusionVerdict ToVerdict(ReadOnlySpan<float> probabilities, float threshold)
    {
        var attack = 1f - probabilities[0];
        var predicted = 0;
        if (attack >= threshold)
        {
            predicted = 1;
            for (var k = 2; k < probabilities.Length; k++)
            {
                if (probabilities[k] > probabilities[predicted])
                {
                    predicted = k;
                }
            }
        }

        return new IntrusionVerdict(attack, threshold, predicted);
    }
}

using System.Text;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Detection.Runtime;

/// <summary>
/// A scripted detector for tests of code that uses <see cref="IIntrusionDetector"/> (e.g. mempool admission): the score of
/// each submission comes from a function, and every submission seen is recorded. Thread-safe.
/// </summary>
public sealed class FakeIntrusionDetector : IIntrusionDetector
{
    private readonly Func<DeviceSubmission, float> _score;
    private readonly List<DeviceSubmission> _seen = [];
    private readonly Lock _lock = new();

    /// <summary>Creates a fake whose P(attack) for a submission is <paramref name="score"/>(submission).</summary>
    public FakeIntrusionDetector(Func<DeviceSubmission, float> score, float threshold = 0.5f, string modelId = "fake")
    {
        _score = score ?? throw new ArgumentNullException(nameof(score));
        Threshold = threshold;
        ModelId = modelId ?? throw new ArgumentNullException(nameof(modelId));
        ModelHash = Hash256.Sha256(Encoding.UTF8.GetBytes(modelId));
    }

    /// <summary>A fake that finds every submission normal (P(attack) = 0).</summary>
    public static FakeIntrusionDetector AlwaysNormal() => new(_ => 0f);

    /// <summary>A fake that finds every submission an attack (P(attack) = 1).</summary>
    public static FakeIntrusionDetector AlwaysAttack() => new(_ => 1f);

    /// <inheritdoc />
    public float Threshold { get; }

    /// <inheritdoc />
    public string ModelId { get; }

    /// <inheritdoc />
    /// <remarks>SHA-256 of the UTF-8 model id.</remarks>
    public Hash256 ModelHash { get; }

    /// <summary>The submissions classified so far, in order.</summary>
    public IReadOnlyList<DeviceSubmission> Seen
    {
        get
        {
            lock (_lock)
            {
                return [.. _seen];
            }
        }
    }

    /// <inheritdoc />
    public DetectionResult Classify(DeviceSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        lock (_lock)
        {
            _seen.Add(submission);
        }

        var score = _score(submission);
        return DetectionResult.Classified(new IntrusionVerdict(score, Threshold, score >= Threshold ? 1 : 0));
    }

    /// <inheritdoc />
    public IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions)
    {
        ArgumentNullException.ThrowIfNull(submissions);
        return submissions.Select(Classify).ToArray();
    }
}

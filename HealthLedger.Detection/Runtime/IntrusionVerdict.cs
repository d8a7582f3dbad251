using HealthLedger.Detection.Features;

namespace HealthLedger.Detection.Runtime;

/// <summary>The detector's decision on one record.</summary>
/// <param name="AttackProbability">P(attack) = 1 − P(normal).</param>
/// <param name="Threshold">The decision threshold used: the record is an attack when <paramref name="AttackProbability"/> ≥ it.</param>
/// <param name="PredictedClass">0 (normal) when not an attack, else the most probable attack class (1 for binary models; the attack type for multi-class ones).</param>
public readonly record struct IntrusionVerdict(float AttackProbability, float Threshold, int PredictedClass)
{
    /// <summary>True when the record is classified as an attack.</summary>
    public bool IsAttack => AttackProbability >= Threshold;
}

/// <summary>The outcome of classifying one submission: a verdict, or the reason its features were refused.</summary>
public readonly record struct DetectionResult
{
    private DetectionResult(IntrusionVerdict verdict, FeatureError? error)
    {
        Verdict = verdict;
        Error = error;
    }

    /// <summary>The verdict; meaningful only when <see cref="IsClassified"/>.</summary>
    public IntrusionVerdict Verdict { get; }

    /// <summary>Why the submission was refused before inference; null when classified.</summary>
    public FeatureError? Error { get; }

    /// <summary>True when the submission was classified (its features were valid).</summary>
    public bool IsClassified => Error is null;

    /// <summary>A classified submission.</summary>
    public static DetectionResult Classified(IntrusionVerdict verdict) => new(verdict, null);

    /// <summary>A submission refused for invalid features.</summary>
    public static DetectionResult Invalid(FeatureError error) => new(default, error ?? throw new ArgumentNullException(nameof(error)));
}

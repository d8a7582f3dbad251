namespace HealthLedger.Detection.Features;

/// <summary>How strictly <see cref="FeatureExtractor"/> checks submissions.</summary>
public sealed record FeatureExtractorOptions
{
    /// <summary>The defaults: |value| ≤ 1e12, unknown categories encoded as all-zero (the model contract's rule).</summary>
    public static FeatureExtractorOptions Default { get; } = new();

    /// <summary>Largest magnitude accepted for any numeric field (default 1e12, far above any real flow counter or vital).</summary>
    public double MaxMagnitude { get; init; } = 1e12;

    /// <summary>Optional closed ranges per numeric field name; a value outside is refused as <see cref="FeatureErrorKind.OutOfRange"/>.</summary>
    public IReadOnlyDictionary<string, FeatureRange> Ranges { get; init; } = new Dictionary<string, FeatureRange>(StringComparer.Ordinal);

    /// <summary>When true, a categorical value the model does not know is refused instead of encoded as all-zero.</summary>
    public bool RefuseUnknownCategories { get; init; }
}

/// <summary>A closed range [<paramref name="Min"/>, <paramref name="Max"/>] for one numeric field.</summary>
/// <param name="Min">Smallest accepted value.</param>
/// <param name="Max">Largest accepted value.</param>
public readonly record struct FeatureRange(double Min, double Max);

namespace HealthLedger.Detection.Evaluation;

/// <summary>
/// The evaluation protocol's operating-point rule (docs/detection.md, "Evaluation protocol"): the lowest threshold on
/// P(attack) whose specificity on the validation rows is at least <see cref="MinimumSpecificity"/>. The training code
/// applies the same rule (<c>threshold_for_specificity</c>) to every model of a comparison; this is its C# twin, so a
/// shipped threshold can be checked against validation data alone.
/// </summary>
/// <param name="MinimumSpecificity">The specificity the rule demands on validation, in (0, 1].</param>
internal sealed record OperatingPointRule(double MinimumSpecificity)
{
    /// <summary>The protocol's rule: validation specificity ≥ 99 %.</summary>
    public static OperatingPointRule Protocol { get; } = new(0.99);

    /// <summary>
    /// The threshold for scores of validation rows with labels (true = attack): halfway between the highest normal score
    /// that must stay below it and the next higher normal score (above every normal score when all must stay below).
    /// </summary>
    public double ThresholdFor(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("Scores and labels differ in length.", nameof(labels));
        }

        if (MinimumSpecificity is <= 0 or > 1 || double.IsNaN(MinimumSpecificity))
        {
            throw new InvalidOperationException($"Specificity {MinimumSpecificity} is outside (0, 1].");
        }

        var normals = new List<double>();
        for (var i = 0; i < scores.Length; i++)
        {
            if (!labels[i])
            {
                normals.Add(scores[i]);
            }
        }

        if (normals.Count == 0)
        {
            throw new ArgumentException("The validation rows hold no normal record.", nameof(labels));
        }

        normals.Sort();
        var n = normals.Count;
        var k = (int)Math.Ceiling(MinimumSpecificity * n - 1e-9); // at least k normals must score below the threshold
        if (k <= 0)
        {
            return normals[0];
        }

        if (k >= n)
        {
            return Math.Min(1.0, normals[n - 1] + 1e-6);
        }

        var below = normals[k - 1];
        for (var i = k; i < n; i++)
        {
            if (normals[i] > below)
            {
                return (below + normals[i]) / 2.0;
            }
        }

        return Math.Min(1.0, normals[n - 1] + 1e-6);
    }
}

using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection.Evaluation;

public sealed class OperatingPointRuleTests
{
    private static readonly float[] Scores = [0.05f, 0.10f, 0.20f, 0.30f, 0.40f, 0.50f, 0.60f, 0.70f, 0.80f, 0.90f, 0.35f, 0.95f];
    private static readonly bool[] Labels = [false, false, false, false, false, false, false, false, false, false, true, true];

    [TestCase(0.9, 0.85)]    // 9 of 10 normals below: between 0.80 and 0.90
    [TestCase(0.5, 0.45)]    // 5 of 10 normals below: between 0.40 and 0.50
    [TestCase(1.0, 0.900001)] // every normal below: just above the highest normal score
    public void Threshold_is_the_lowest_that_keeps_the_demanded_share_of_normals_below_it(double specificity, double expected)
    {
        var threshold = new OperatingPointRule(specificity).ThresholdFor(Scores, Labels);

        var metrics = BinaryMetrics.Compute(Scores, Labels, (float)threshold);
        Assert.Multiple(() =>
        {
            Assert.That(threshold, Is.EqualTo(expected).Within(1e-6));
            Assert.That(metrics.Specificity, Is.GreaterThanOrEqualTo(specificity));
        });
    }

    [Test]
    public void Tied_normal_scores_move_the_threshold_above_the_whole_tie()
    {
        float[] scores = [0.1f, 0.2f, 0.2f, 0.2f, 0.9f];
        bool[] labels = [false, false, false, false, true];

        var threshold = new OperatingPointRule(0.5).ThresholdFor(scores, labels);

        Assert.That(threshold, Is.GreaterThan(0.2).And.LessThan(0.2 + 1e-5));
    }

    [Test]
    public void Protocol_rule_demands_99_percent()
    {
        Assert.That(OperatingPointRule.Protocol.MinimumSpecificity, Is.EqualTo(0.99));
    }

    [Test]
    public void Validation_rows_without_a_normal_record_have_no_threshold()
    {
        Assert.That(() => OperatingPointRule.Protocol.ThresholdFor([0.5f], [true]), Throws.ArgumentException);
    }

    [TestCase(0.0)]
    [TestCase(1.5)]
    public void Specificity_outside_the_unit_interval_is_a_programmer_error(double specificity)
    {
        Assert.That(() => new OperatingPointRule(specificity).ThresholdFor(Scores, Labels), Throws.InvalidOperationException);
    }
}

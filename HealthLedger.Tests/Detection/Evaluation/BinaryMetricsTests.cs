using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection.Evaluation;

public sealed class BinaryMetricsTests
{
    [Test]
    public void Counts_the_confusion_matrix_at_the_threshold_inclusive()
    {
        float[] scores = [0.1f, 0.5f, 0.7f, 0.2f, 0.9f, 0.4f];
        bool[] labels = [false, false, true, true, true, false];

        var m = BinaryMetrics.Compute(scores, labels, 0.5f);

        Assert.Multiple(() =>
        {
            Assert.That((m.TrueNegatives, m.FalsePositives, m.FalseNegatives, m.TruePositives), Is.EqualTo((2L, 1L, 1L, 2L)));
            Assert.That(m.Accuracy, Is.EqualTo(4.0 / 6));
            Assert.That(m.Sensitivity, Is.EqualTo(2.0 / 3));
            Assert.That(m.Specificity, Is.EqualTo(2.0 / 3));
            Assert.That(m.Precision, Is.EqualTo(2.0 / 3));
            Assert.That(m.F1, Is.EqualTo(2.0 / 3).Within(1e-12));
            Assert.That(m.RocAuc, Is.EqualTo(7.0 / 9).Within(1e-12));
        });
    }

    [Test]
    public void Roc_auc_equals_the_pairwise_probability_with_ties_counting_half()
    {
        var random = new Random(11);
        for (var trial = 0; trial < 20; trial++)
        {
            var n = random.Next(2, 60);
            var scores = Enumerable.Range(0, n).Select(_ => random.Next(0, 6) / 5f).ToArray();
            var labels = Enumerable.Range(0, n).Select(_ => random.Next(2) == 1).ToArray();
            if (labels.All(l => l) || labels.All(l => !l))
            {
                continue;
            }

            double wins = 0, pairs = 0;
            for (var i = 0; i < n; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    if (labels[i] && !labels[j])
                    {
                        pairs++;
                        wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    }
                }
            }

            Assert.That(BinaryMetrics.ComputeRocAuc(scores, labels), Is.EqualTo(wins / pairs).Within(1e-12), $"trial {trial}");
        }
    }

    [Test]
    public void Roc_auc_is_undefined_with_a_single_class()
    {
        Assert.That(BinaryMetrics.ComputeRocAuc([0.1f, 0.9f], [true, true]), Is.NaN);
    }

    [Test]
    public void Empty_denominators_give_zero_not_nan()
    {
        var m = BinaryMetrics.Compute([0.1f, 0.2f], [false, false], 0.5f);

        Assert.Multiple(() =>
        {
            Assert.That(m.Precision, Is.Zero);
            Assert.That(m.Sensitivity, Is.Zero);
            Assert.That(m.F1, Is.Zero);
            Assert.That(m.Specificity, Is.EqualTo(1));
        });
    }
}

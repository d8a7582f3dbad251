using System.Text.Json;
using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection.Evaluation;

public sealed class EvaluationReportTests
{
    private static readonly BinaryMetrics Sample = BinaryMetrics.Compute([0.1f, 0.8f, 0.6f, 0.3f], [false, true, false, true], 0.5f);

    private static EvaluationResult Result() => new(
        "nsl-kdd",
        "nsl-kdd/2-class/abc",
        "model.onnx",
        0.5f,
        4,
        4,
        "/data",
        true,
        [
            new TestSetResult("KDDTest+", "a.txt", Sample, 0, null, Sample, null, [], []),
            new TestSetResult("KDDTest-21", "b.txt", Sample with { Accuracy = 0.25 }, 0, null, null, null, [], []),
        ]);

    [Test]
    public void Json_has_the_contract_keys_at_top_level_and_per_test_set()
    {
        using var buffer = new MemoryStream();
        EvaluationReport.WriteJson(Result(), buffer);
        using var doc = JsonDocument.Parse(buffer.ToArray());
        var root = doc.RootElement;

        Assert.Multiple(() =>
        {
            foreach (var key in new[] { "accuracy", "sensitivity", "specificity", "precision", "f1", "rocAuc", "confusion" })
            {
                Assert.That(root.TryGetProperty(key, out _), Is.True, key);
            }

            Assert.That(root.GetProperty("accuracy").GetDouble(), Is.EqualTo(Sample.Accuracy));
            Assert.That(root.GetProperty("confusion")[0][1].GetInt64(), Is.EqualTo(Sample.FalsePositives));
            Assert.That(root.GetProperty("testSets").GetProperty("KDDTest-21").GetProperty("metrics").GetProperty("accuracy").GetDouble(), Is.EqualTo(0.25));
            Assert.That(root.GetProperty("testSets").GetProperty("KDDTest+").GetProperty("reference").GetProperty("model").GetProperty("f1").GetDouble(), Is.EqualTo(Sample.F1));
        });
    }

    [Test]
    public void Metrics_written_as_json_read_back_equal()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Sample.WriteTo(writer);
        }

        using var doc = JsonDocument.Parse(buffer.ToArray());
        Assert.That(BinaryMetrics.FromJson(doc.RootElement), Is.EqualTo(Sample));
    }

    [TestCase("""{"test":{"model":{"accuracy":0.9},"baseline":{"accuracy":0.8}}}""", "test", "baseline", 0.8)]
    [TestCase("""{"model":{"KDDTest+":{"accuracy":0.7}},"baseline":{"KDDTest+":{"accuracy":0.6}}}""", "KDDTest+", "model", 0.7)]
    [TestCase("""{"model":{"accuracy":0.95},"baseline":{"accuracy":0.94}}""", "test", "model", 0.95)]
    public void Reference_metrics_are_found_in_either_nesting(string json, string set, string role, double accuracy)
    {
        Assert.That(DetectorEvaluator.Reference(json, set, role)?.Accuracy, Is.EqualTo(accuracy));
    }

    [Test]
    public void Table_shows_each_test_set()
    {
        var table = EvaluationReport.Table(Result());

        Assert.That(table, Does.Contain("KDDTest+").And.Contain("KDDTest-21").And.Contain("python"));
    }
}

using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Tests.Detection.Evaluation;

/// <summary>The trained models on their held-out test splits, recomputed in C# from the data files.</summary>
[Category("Slow")]
public sealed class DetectorEvaluatorTests
{
    private static EvaluationResult Evaluate(string modelFile)
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile(modelFile);
        using var model = DetectorModel.Load(path);
        return DetectorEvaluator.Evaluate(model, data, path);
    }

    [TestCase("wustl-ehms-binary.onnx")]
    [TestCase("nsl-kdd-binary.onnx")]
    public void Model_reads_every_test_row_of_the_files_it_was_trained_on(string modelFile)
    {
        var result = Evaluate(modelFile);

        Assert.Multiple(() =>
        {
            Assert.That(result.DatasetHashMatches, Is.True, "the data file differs from the one the model was trained on");
            Assert.That(result.TestSets.Select(s => s.RefusedRows), Has.All.Zero, string.Join("; ", result.TestSets.Select(s => s.FirstRefusal)));
            Assert.That(result.TestSets.Select(s => s.ReferenceBaseline), Has.All.Not.Null, "hl.metrics has no baseline figures");
        });
    }

    [TestCase("wustl-ehms-binary.onnx")]
    [TestCase("nsl-kdd-binary.onnx")]
    [TestCase("wustl-ehms-3class.onnx")]
    [TestCase("wustl-ehms-binary-fast.onnx")]
    public void Csharp_metrics_equal_the_python_metrics_in_hl_metrics(string modelFile)
    {
        var result = Evaluate(modelFile);

        foreach (var set in result.TestSets)
        {
            var python = set.ReferenceModel;
            Assert.That(python, Is.Not.Null, $"hl.metrics has no model figures for '{set.Name}'.");
            var cs = set.Metrics;
            Assert.Multiple(() =>
            {
                Assert.That(cs.Count, Is.EqualTo(python!.Count), $"{set.Name} record count");
                Assert.That(cs.Accuracy, Is.EqualTo(python.Accuracy).Within(1e-3), $"{set.Name} accuracy");
                Assert.That(cs.Sensitivity, Is.EqualTo(python.Sensitivity).Within(1e-3), $"{set.Name} sensitivity");
                Assert.That(cs.Specificity, Is.EqualTo(python.Specificity).Within(1e-3), $"{set.Name} specificity");
                Assert.That(cs.Precision, Is.EqualTo(python.Precision).Within(1e-3), $"{set.Name} precision");
                Assert.That(cs.F1, Is.EqualTo(python.F1).Within(1e-3), $"{set.Name} f1");
                Assert.That(cs.RocAuc, Is.EqualTo(python.RocAuc).Within(1e-3), $"{set.Name} rocAuc");
                Assert.That(Math.Abs(cs.TruePositives - python.TruePositives) + Math.Abs(cs.FalsePositives - python.FalsePositives), Is.LessThanOrEqualTo(2), $"{set.Name} confusion");
            });
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(5)]
    [TestCase(9)]
    public void Gate_model_matches_the_recorded_figures_for_a_new_device_at_each_history(int history)
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx");
        using var model = DetectorModel.Load(path);
        var test = DetectorEvaluator.Evaluate(model, data, path, history).TestSets.Single();
        using var metrics = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(path, ".metrics.json")));
        var python = metrics.RootElement.GetProperty("details").GetProperty("cold_start").GetProperty("test")[history - 1];

        Assert.Multiple(() =>
        {
            Assert.That(model.Metadata.ThresholdByHistory, Is.Not.Null.And.Count.EqualTo(model.Window));
            Assert.That(python.GetProperty("history").GetInt32(), Is.EqualTo(history));
            Assert.That(test.Metrics.Specificity, Is.EqualTo(python.GetProperty("model_by_history").GetProperty("specificity").GetDouble()).Within(1e-3));
            Assert.That(test.Metrics.Accuracy, Is.EqualTo(python.GetProperty("model_by_history").GetProperty("accuracy").GetDouble()).Within(1e-3));
            Assert.That(test.Metrics.Sensitivity, Is.EqualTo(python.GetProperty("model_by_history").GetProperty("sensitivity").GetDouble()).Within(1e-3));
        });
    }

    [Test]
    public void History_of_one_record_scores_each_test_row_as_a_new_devices_first_submission()
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx");
        using var model = DetectorModel.Load(path);
        var cold = DetectorEvaluator.Evaluate(model, data, path, history: 1);
        var full = DetectorEvaluator.Evaluate(model, data, path, history: 1000);
        var (_, sets) = EvaluationSplit.Parse(model.Metadata.SplitJson);
        var table = DatasetTable.Load(data, sets[0].File, model.Metadata.Dataset);
        var block = sets[0].BlocksFor(table.Rows.Count)[0];
        var detector = new OnnxIntrusionDetector(model, TimeProvider.System);

        var firstRecords = new List<float>();
        for (var r = block.Start; r < block.Start + 50; r++)
        {
            var fields = table.Header.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => FeatureValue.FromText(table.Rows[r][c.i]));
            var device = KeyPair.FromLabel($"new-device-{r}").Address;
            firstRecords.Add(detector.Classify(new DeviceSubmission(device, DateTimeOffset.UnixEpoch, fields)).Verdict.AttackProbability);
        }

        Assert.Multiple(() =>
        {
            Assert.That(cold.History, Is.EqualTo(1));
            Assert.That(full.History, Is.EqualTo(model.Window), "history is capped at the window");
            Assert.That(full.TestSets[0].Metrics.Accuracy, Is.EqualTo(full.TestSets[0].ReferenceModel!.Accuracy).Within(1e-3));
            Assert.That(cold.TestSets[0].Scores.Take(50), Is.EqualTo(firstRecords).Within(1e-5f));
            Assert.That(() => DetectorEvaluator.Evaluate(model, data, path, history: 0), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Online_detector_fed_a_test_block_row_by_row_reproduces_the_offline_scores()
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx");
        using var model = DetectorModel.Load(path);
        var offline = DetectorEvaluator.Evaluate(model, data, path).TestSets.Single();
        var (_, sets) = EvaluationSplit.Parse(model.Metadata.SplitJson);
        var table = DatasetTable.Load(data, sets[0].File, model.Metadata.Dataset);
        var block = sets[0].BlocksFor(table.Rows.Count)[0];
        var detector = new OnnxIntrusionDetector(model, TimeProvider.System);
        var device = KeyPair.FromLabel("wustl-monitor").Address;

        var online = new List<float>();
        for (var r = block.Start; r < block.End; r++)
        {
            var fields = table.Header.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => FeatureValue.FromText(table.Rows[r][c.i]));
            var result = detector.Classify(new DeviceSubmission(device, DateTimeOffset.UnixEpoch.AddSeconds(r), fields));
            Assert.That(result.IsClassified, Is.True, result.Error?.Message);
            online.Add(result.Verdict.AttackProbability);
        }

        // The evaluator scores the test blocks in hl.split order, so the first block's rows come first.
        Assert.That(online, Is.EqualTo(offline.Scores.Take(online.Count)).Within(1e-5f));
    }
}

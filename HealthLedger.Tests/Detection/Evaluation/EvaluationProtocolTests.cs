using System.Text.Json;
using System.Text.Json.Nodes;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Model;

namespace HealthLedger.Tests.Detection.Evaluation;

/// <summary>
/// The evaluation protocol's properties (docs/detection.md, "Evaluation protocol") on the shipped models: one rule for every
/// model of a comparison, thresholds that follow from validation rows alone, the test data read by the evaluation only.
/// </summary>
[Category("Slow")]
public sealed class EvaluationProtocolTests
{
    private static readonly string[] Roles = ["model", "baseline", "random_forest"];

    private static JsonDocument RecordedMetrics(string path) => JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(path, ".metrics.json")));

    [TestCase("wustl-ehms-binary.onnx")]
    [TestCase("wustl-ehms-3class.onnx")]
    [TestCase("nsl-kdd-binary.onnx")]
    [TestCase("wustl-ehms-binary-fast.onnx")]
    public void Shipped_threshold_follows_from_the_validation_rows_by_the_protocol_rule(string modelFile)
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile(modelFile);
        using var model = DetectorModel.Load(path);

        var validation = DetectorEvaluator.EvaluateValidation(model, data, path).TestSets.Single();
        var threshold = OperatingPointRule.Protocol.ThresholdFor(validation.Scores, validation.Labels);

        Assert.Multiple(() =>
        {
            Assert.That(validation.Name, Is.EqualTo("validation"));
            Assert.That(validation.RefusedRows, Is.Zero, validation.FirstRefusal);
            Assert.That(threshold, Is.EqualTo(model.Metadata.Threshold).Within(1e-4), "threshold recomputed in C# from the validation rows");
            Assert.That(validation.Metrics.Specificity, Is.GreaterThanOrEqualTo(OperatingPointRule.Protocol.MinimumSpecificity), "validation specificity at the shipped threshold");
            Assert.That(validation.ReferenceModel, Is.Not.Null, "hl.metrics records the validation figures");
            Assert.That(validation.Metrics.Sensitivity, Is.EqualTo(validation.ReferenceModel!.Sensitivity).Within(1e-3), "validation recall equals the recorded one");
        });
    }

    [TestCase(1)]
    [TestCase(4)]
    public void Gate_models_per_history_threshold_follows_from_validation_windows_cut_to_that_history(int history)
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var path = DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx");
        using var model = DetectorModel.Load(path);

        var validation = DetectorEvaluator.EvaluateValidation(model, data, path, history).TestSets.Single();

        Assert.Multiple(() =>
        {
            Assert.That(OperatingPointRule.Protocol.ThresholdFor(validation.Scores, validation.Labels), Is.EqualTo(model.Metadata.ThresholdFor(history)).Within(1e-4));
            Assert.That(validation.Metrics.Specificity, Is.GreaterThanOrEqualTo(0.99));
        });
    }

    [TestCase("wustl-ehms-binary.onnx")]
    [TestCase("wustl-ehms-3class.onnx")]
    [TestCase("nsl-kdd-binary.onnx")]
    [TestCase("wustl-ehms-binary-fast.onnx")]
    public void Every_model_of_the_comparison_gets_its_threshold_from_the_same_rule(string modelFile)
    {
        var path = DetectionTestSupport.RequireTrainedModelFile(modelFile);
        using var model = DetectorModel.Load(path);
        using var recorded = RecordedMetrics(path);
        var details = recorded.RootElement.GetProperty("details");
        var protocol = details.GetProperty("protocol");
        using var training = JsonDocument.Parse(model.Metadata.TrainingJson);
        var rule = training.RootElement.GetProperty("threshold_rule");

        Assert.Multiple(() =>
        {
            Assert.That(protocol.GetProperty("rule").GetString(), Is.EqualTo("spec>=0.99"));
            Assert.That(rule.GetProperty("rule").GetString(), Is.EqualTo("spec>=0.99"), "hl.training names the rule");
            Assert.That(rule.GetProperty("applies_to").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(Roles));
            Assert.That(protocol.GetProperty("thresholds").GetProperty("model").GetDouble(), Is.EqualTo(model.Metadata.Threshold).Within(1e-6));
            foreach (var role in Roles)
            {
                var thr = protocol.GetProperty("thresholds").GetProperty(role).GetDouble();
                Assert.That(details.GetProperty("validation").GetProperty(role).GetProperty("specificity").GetDouble(), Is.GreaterThanOrEqualTo(0.99), $"{role} validation specificity");
                foreach (var set in TestSetNames(recorded.RootElement))
                {
                    Assert.That(recorded.RootElement.GetProperty(set).GetProperty(role).GetProperty("threshold").GetDouble(), Is.EqualTo(thr), $"{role} on {set} uses its validation threshold");
                }
            }
        });
    }

    [TestCase("wustl-ehms-binary.onnx", "wustl-ehms-2020/wustl-ehms-2020_with_attacks_categories.csv")]
    [TestCase("nsl-kdd-binary.onnx", "nsl-kdd/KDDTrain+_20Percent.txt")]
    public void Fitting_read_only_the_training_file_and_the_evaluation_recorded_what_it_read(string modelFile, string trainingFile)
    {
        var path = DetectionTestSupport.RequireTrainedModelFile(modelFile);
        using var recorded = RecordedMetrics(path);
        var details = recorded.RootElement.GetProperty("details");
        var fitReads = details.GetProperty("fit").GetProperty("files_read").EnumerateArray().Select(r => r.GetProperty("file").GetString()).ToArray();
        var evaluationReads = details.GetProperty("evaluation").GetProperty("files_read").EnumerateArray().Select(r => r.GetProperty("file").GetString()).ToArray();
        using var model = DetectorModel.Load(path);
        var (_, testSets) = EvaluationSplit.Parse(model.Metadata.SplitJson);

        Assert.Multiple(() =>
        {
            Assert.That(fitReads, Is.EqualTo(new[] { trainingFile }));
            Assert.That(evaluationReads, Is.EquivalentTo(testSets.Select(s => s.File).Distinct()), "each test file read once by the evaluation");
        });
    }

    [TestCase("wustl-ehms-binary.onnx")]
    [TestCase("wustl-ehms-3class.onnx")]
    [TestCase("nsl-kdd-binary.onnx")]
    [TestCase("wustl-ehms-binary-fast.onnx")]
    public void Metrics_file_and_hl_metrics_record_the_same_test_figures(string modelFile)
    {
        var path = DetectionTestSupport.RequireTrainedModelFile(modelFile);
        using var model = DetectorModel.Load(path);
        using var recorded = RecordedMetrics(path);
        using var embedded = JsonDocument.Parse(model.Metadata.MetricsJson);

        Assert.Multiple(() =>
        {
            foreach (var set in TestSetNames(recorded.RootElement))
            {
                foreach (var role in Roles)
                {
                    var inOnnx = JsonNode.Parse(embedded.RootElement.GetProperty(set).GetProperty(role).GetRawText());
                    var inFile = JsonNode.Parse(recorded.RootElement.GetProperty(set).GetProperty(role).GetRawText());
                    Assert.That(JsonNode.DeepEquals(inOnnx, inFile), Is.True, $"{set} {role}");
                }
            }
        });
    }

    private static IEnumerable<string> TestSetNames(JsonElement root) =>
        root.EnumerateObject().Where(p => p.Name != "details" && p.Value.ValueKind == JsonValueKind.Object).Select(p => p.Name).ToArray();
}

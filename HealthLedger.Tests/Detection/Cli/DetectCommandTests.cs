using System.Text.Json;
using HealthLedger.Host.Commands;

namespace HealthLedger.Tests.Detection.Cli;

public sealed class DetectCommandTests
{
    private static int Run(params string[] args)
    {
        var output = Console.Out;
        var error = Console.Error;
        try
        {
            Console.SetOut(TextWriter.Null);
            Console.SetError(TextWriter.Null);
            return DetectCommand.Create().Parse(args).Invoke();
        }
        finally
        {
            Console.SetOut(output);
            Console.SetError(error);
        }
    }

    [Test]
    public void Evaluate_with_a_missing_data_folder_fails_without_writing_json()
    {
        var json = Path.Combine(Path.GetTempPath(), $"hl-detect-{Guid.NewGuid():N}.json");

        var exit = Run("evaluate", "--dataset", "wustl", "--data", "/nonexistent/hl-data", "--json", json);

        Assert.That(exit, Is.Not.Zero);
        Assert.That(File.Exists(json), Is.False);
    }

    [Test]
    public void Bench_runs_on_the_tiny_model_with_chunks_and_parallelism()
    {
        var model = DetectionTestSupport.VectorPath("tiny-binary.onnx");

        Assert.That(Run("bench", "--model", model, "--count", "50", "--seconds", "0.01", "--parallel", "2", "--chunk", "16"), Is.Zero);
    }

    [TestCase("--chunk", "0")]
    [TestCase("--parallel", "0")]
    public void Bench_refuses_non_positive_options(string option, string value)
    {
        Assert.That(Run("bench", "--model", DetectionTestSupport.VectorPath("tiny-binary.onnx"), option, value), Is.EqualTo(2));
    }

    [Test]
    public void Evaluate_refuses_an_unknown_dataset()
    {
        Assert.That(Run("evaluate", "--dataset", "kdd99", "--json", "x.json"), Is.Not.Zero);
    }

    [Test]
    public void Evaluate_refuses_a_model_trained_on_another_dataset()
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var json = Path.Combine(Path.GetTempPath(), $"hl-detect-{Guid.NewGuid():N}.json");

        // The tiny test model says hl.dataset = wustl-ehms-2020.
        var exit = Run("evaluate", "--dataset", "nsl-kdd", "--data", data, "--model", DetectionTestSupport.VectorPath("tiny-binary.onnx"), "--json", json);

        Assert.That(exit, Is.Not.Zero);
    }

    [Test]
    [Category("Slow")]
    public void Evaluate_wustl_writes_the_metrics_json()
    {
        using var doc = EvaluateWustlWithTrainedModel(out _);
        Assert.Multiple(() =>
        {
            foreach (var key in new[] { "accuracy", "sensitivity", "specificity", "precision", "f1", "rocAuc", "confusion" })
            {
                Assert.That(doc.RootElement.TryGetProperty(key, out _), Is.True, key);
            }

            Assert.That(doc.RootElement.GetProperty("dataset").GetString(), Is.EqualTo("wustl-ehms-2020"));
        });
    }

    [TestCase("0")]
    [TestCase("-3")]
    public void Evaluate_refuses_a_history_below_one(string history)
    {
        Assert.That(Run("evaluate", "--dataset", "wustl", "--history", history, "--json", "x.json"), Is.EqualTo(2));
    }

    [Test]
    [Category("Slow")]
    public void Evaluate_with_history_one_reports_the_cold_start_threshold_and_history()
    {
        using var doc = EvaluateWustlWithTrainedModel(out var model, "--history", "1");
        using var loaded = HealthLedger.Detection.Model.DetectorModel.Load(model);
        Assert.Multiple(() =>
        {
            Assert.That(doc.RootElement.GetProperty("history").GetInt32(), Is.EqualTo(1));
            Assert.That(doc.RootElement.GetProperty("threshold").GetSingle(), Is.EqualTo(loaded.Metadata.ThresholdFor(1)));
            Assert.That(doc.RootElement.GetProperty("specificity").GetDouble(), Is.EqualTo(RecordedColdStart(model, 1).GetProperty("specificity").GetDouble()).Within(1e-3));
        });
    }

    /// <summary>The training code's recorded cold-start figures for the model at history <paramref name="history"/> (per-history threshold).</summary>
    private static JsonElement RecordedColdStart(string model, int history)
    {
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(model, ".metrics.json")));
        return metrics.RootElement.GetProperty("details").GetProperty("cold_start").GetProperty("test")[history - 1].GetProperty("model_by_history").Clone();
    }

    /// <summary>Runs <c>detect evaluate --dataset wustl</c> with the shipped binary model, asserts it succeeds and returns its JSON.</summary>
    private static JsonDocument EvaluateWustlWithTrainedModel(out string model, params string[] extra)
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        model = DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx");
        var json = Path.Combine(Path.GetTempPath(), $"hl-detect-{Guid.NewGuid():N}.json");
        try
        {
            var exit = Run(["evaluate", "--dataset", "wustl", "--data", data, "--model", model, "--json", json, .. extra]);
            Assert.That(exit, Is.Zero);
            return JsonDocument.Parse(File.ReadAllBytes(json));
        }
        finally
        {
            File.Delete(json);
        }
    }
}

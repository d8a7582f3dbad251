using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HealthLedger.Detection.Evaluation;

/// <summary>Writes an <see cref="EvaluationResult"/> as JSON and as a short text table.</summary>
internal static class EvaluationReport
{
    /// <summary>
    /// JSON: the metrics of the first test set at top level (<c>accuracy</c>, <c>sensitivity</c>, <c>specificity</c>,
    /// <c>precision</c>, <c>f1</c>, <c>rocAuc</c>, <c>confusion</c> [[TN, FP], [FN, TP]]), and every test set under
    /// <c>testSets</c> with the training code's figures under <c>reference</c>.
    /// </summary>
    public static void WriteJson(EvaluationResult result, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("dataset", result.Dataset);
        writer.WriteString("modelId", result.ModelId);
        writer.WriteString("model", result.ModelSource);
        writer.WriteNumber("threshold", result.Threshold);
        writer.WriteNumber("window", result.Window);
        writer.WriteNumber("history", result.History);
        if (result.DatasetHashMatches is { } matches)
        {
            writer.WriteBoolean("datasetSha256Matches", matches);
        }

        var primary = result.TestSets[0];
        writer.WriteString("primaryTestSet", primary.Name);
        using (var doc = JsonDocument.Parse(MetricsJson(primary.Metrics)))
        {
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteStartObject("testSets");
        foreach (var set in result.TestSets)
        {
            writer.WritePropertyName(set.Name);
            writer.WriteStartObject();
            writer.WriteString("file", set.File);
            writer.WriteNumber("refusedRows", set.RefusedRows);
            writer.WritePropertyName("metrics");
            set.Metrics.WriteTo(writer);
            writer.WriteStartObject("reference");
            if (set.ReferenceModel is { } model)
            {
                writer.WritePropertyName("model");
                model.WriteTo(writer);
            }

            if (set.ReferenceBaseline is { } baseline)
            {
                writer.WritePropertyName("baseline");
                baseline.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>A short table: one row per test set (C# figures), plus the training code's model and baseline figures.</summary>
    public static string Table(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"{result.Dataset}  model {result.ModelId}  T={result.Window}  threshold={result.Threshold:F4}");
        if (result.History < result.Window)
        {
            text.AppendLine(inv, $"history: each record sees at most {result.History} record(s) of its device (cold start); the python and baseline rows are full-window figures");
        }

        text.AppendLine(inv, $"{"test set",-22} {"source",-9} {"acc",7} {"sens",7} {"spec",7} {"prec",7} {"f1",7} {"auc",7}  confusion [[TN,FP],[FN,TP]]");
        foreach (var set in result.TestSets)
        {
            Row(text, set.Name, "C#", set.Metrics);
            if (set.ReferenceModel is { } m)
            {
                Row(text, "", "python", m);
            }

            if (set.ReferenceBaseline is { } b)
            {
                Row(text, "", "baseline", b);
            }

            if (set.RefusedRows > 0)
            {
                text.AppendLine(inv, $"  {set.RefusedRows} rows refused; first: {set.FirstRefusal}");
            }
        }

        if (result.DatasetHashMatches == false)
        {
            text.AppendLine("WARNING: the training file's SHA-256 differs from the model's hl.dataset_sha256.");
        }

        return text.ToString();
    }

    private static void Row(StringBuilder text, string name, string source, BinaryMetrics m) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"{name,-22} {source,-9} {m.Accuracy,7:F4} {m.Sensitivity,7:F4} {m.Specificity,7:F4} {m.Precision,7:F4} {m.F1,7:F4} {m.RocAuc,7:F4}  [[{m.TrueNegatives},{m.FalsePositives}],[{m.FalseNegatives},{m.TruePositives}]]");

    private static string MetricsJson(BinaryMetrics metrics)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            metrics.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}

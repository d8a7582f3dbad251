using System.Security.Cryptography;
using System.Text.Json;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Detection.Evaluation;

/// <summary>The model's results on one held-out test set, with the training code's figures for comparison.</summary>
internal sealed record TestSetResult(
    string Name,
    string File,
    BinaryMetrics Metrics,
    int RefusedRows,
    string? FirstRefusal,
    BinaryMetrics? ReferenceModel,
    BinaryMetrics? ReferenceBaseline,
    float[] Scores,
    bool[] Labels);

/// <summary>A model evaluated on every test set of its <c>hl.split</c>.</summary>
internal sealed record EvaluationResult(
    string Dataset,
    string ModelId,
    string ModelSource,
    float Threshold,
    int Window,
    int History,
    string DataDirectory,
    bool? DatasetHashMatches,
    IReadOnlyList<TestSetResult> TestSets);

/// <summary>
/// Rebuilds a model's exact test split and windows from <c>hl.split</c> / <c>hl.window</c>, runs the model on every test
/// row (each row is the last record of its window; windows never cross a block) and computes the metrics.
/// </summary>
internal static class DetectorEvaluator
{
    private const int BatchSize = 1024;

    /// <param name="model">The model.</param>
    /// <param name="dataDirectory">The data folder.</param>
    /// <param name="modelSource">Where the model came from (for the report).</param>
    /// <param name="history">
    /// Records of the device's history each test record may see, itself included (1 = a device's first record, the
    /// cold start; default: the model's window). Fewer records give shorter, left-padded windows, as a new device's
    /// first submissions get at run time, and the verdicts use the model's threshold for that history
    /// (<see cref="DetectorModelMetadata.ThresholdFor"/>); the training code's full-window figures then no longer apply.
    /// </param>
    public static EvaluationResult Evaluate(DetectorModel model, string dataDirectory, string modelSource, int? history = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var (_, testSets) = EvaluationSplit.Parse(model.Metadata.SplitJson);
        return EvaluateSets(model, dataDirectory, modelSource, testSets, history);
    }

    /// <summary>
    /// Scores the model's <b>validation</b> rows (<see cref="EvaluationSplit.ParseValidation"/>), the rows its operating
    /// points were chosen on, in the same way <see cref="Evaluate"/> scores the test sets; the result's single set is
    /// named <c>validation</c>. Used to check that a threshold follows from validation data alone.
    /// </summary>
    public static EvaluationResult EvaluateValidation(DetectorModel model, string dataDirectory, string modelSource, int? history = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return EvaluateSets(model, dataDirectory, modelSource, [EvaluationSplit.ParseValidation(model.Metadata.SplitJson)], history);
    }

    private static EvaluationResult EvaluateSets(DetectorModel model, string dataDirectory, string modelSource, IReadOnlyList<TestSetSpec> sets, int? history)
    {
        var h = history ?? model.Window;
        ArgumentOutOfRangeException.ThrowIfLessThan(h, 1, nameof(history));
        h = Math.Min(h, model.Window);
        var metadata = model.Metadata;
        var (trainFile, _) = EvaluationSplit.Parse(metadata.SplitJson);
        var trainPath = Path.Combine(dataDirectory, trainFile);
        bool? hashMatches = File.Exists(trainPath)
            ? string.Equals(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(trainPath))), metadata.DatasetSha256, StringComparison.Ordinal)
            : null;

        var extractor = new FeatureExtractor(metadata.Features);
        var tables = new Dictionary<string, DatasetTable>(StringComparer.Ordinal);
        var results = new List<TestSetResult>();
        foreach (var spec in sets)
        {
            if (!tables.TryGetValue(spec.File, out var table))
            {
                table = DatasetTable.Load(dataDirectory, spec.File, metadata.Dataset);
                tables.Add(spec.File, table);
            }

            results.Add(EvaluateSet(model, extractor, table, spec, h));
        }

        return new EvaluationResult(metadata.Dataset, metadata.ModelId, modelSource, metadata.ThresholdFor(h), metadata.Window, h, dataDirectory, hashMatches, results);
    }

    private static TestSetResult EvaluateSet(DetectorModel model, FeatureExtractor extractor, DatasetTable table, TestSetSpec spec, int history)
    {
        var f = model.FeatureCount;
        var t = model.Window;
        var c = model.ClassCount;
        var encoder = extractor.CreateRowEncoder(table.Header);
        var blocks = spec.BlocksFor(table.Rows.Count);
        var encoded = new float[table.Rows.Count * f];
        var valid = new bool[table.Rows.Count];
        var refused = 0;
        string? firstRefusal = null;
        foreach (var block in blocks)
        {
            for (var r = block.Start; r < block.End; r++)
            {
                valid[r] = encoder.TryEncode(table.Rows[r], encoded.AsSpan(r * f, f), out var error);
                if (!valid[r])
                {
                    refused++;
                    firstRefusal ??= $"row {r}: {error!.Message}";
                }
            }
        }

        var scores = new List<float>();
        var labels = new List<bool>();
        var windows = new float[BatchSize * t * f];
        var probabilities = new float[BatchSize * c];
        var pending = new List<int>(BatchSize);

        void Flush()
        {
            model.Predict(windows.AsSpan(0, pending.Count * t * f), pending.Count, probabilities.AsSpan(0, pending.Count * c));
            for (var k = 0; k < pending.Count; k++)
            {
                scores.Add(1f - probabilities[k * c]);
                labels.Add(table.IsAttack(table.Rows[pending[k]]));
            }

            pending.Clear();
        }

        foreach (var block in blocks)
        {
            for (var r = block.Start; r < block.End; r++)
            {
                // The record's history starts at its block's start or `history` records back, whichever is later.
                var start = Math.Max(block.Start, r - history + 1);
                if (!WindowIsValid(valid, start, r, t))
                {
                    continue;
                }

                EvaluationSplit.CopyWindow(encoded, f, t, start, r, windows.AsSpan(pending.Count * t * f, t * f));
                pending.Add(r);
                if (pending.Count == BatchSize)
                {
                    Flush();
                }
            }
        }

        if (pending.Count > 0)
        {
            Flush();
        }

        var scoreArray = scores.ToArray();
        var labelArray = labels.ToArray();
        var metrics = BinaryMetrics.Compute(scoreArray, labelArray, model.Metadata.ThresholdFor(history));
        return new TestSetResult(
            spec.Name,
            spec.File,
            metrics,
            refused,
            firstRefusal,
            Reference(model.Metadata.MetricsJson, spec.Name, "model"),
            Reference(model.Metadata.MetricsJson, spec.Name, "baseline"),
            scoreArray,
            labelArray);
    }

    private static bool WindowIsValid(bool[] valid, int blockStart, int row, int window)
    {
        for (var r = Math.Max(blockStart, row - window + 1); r <= row; r++)
        {
            if (!valid[r])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The training code's metrics for a test set and role (<c>model</c>, <c>baseline</c>) from <c>hl.metrics</c>, which may
    /// nest them as <c>{set: {role: …}}</c> or <c>{role: {set: …}}</c> (or <c>{role: …}</c> for the single <c>test</c> set).
    /// </summary>
    internal static BinaryMetrics? Reference(string metricsJson, string set, string role)
    {
        using var doc = JsonDocument.Parse(metricsJson);
        var root = doc.RootElement;
        if (root.TryGetProperty(set, out var bySet) && bySet.ValueKind == JsonValueKind.Object && bySet.TryGetProperty(role, out var a))
        {
            return BinaryMetrics.FromJson(a);
        }

        if (root.TryGetProperty(role, out var byRole) && byRole.ValueKind == JsonValueKind.Object)
        {
            if (byRole.TryGetProperty(set, out var b) && b.ValueKind == JsonValueKind.Object)
            {
                return BinaryMetrics.FromJson(b);
            }

            if (set == "test")
            {
                return BinaryMetrics.FromJson(byRole);
            }
        }

        return null;
    }
}

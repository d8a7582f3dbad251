using System.Text.Json;

namespace HealthLedger.Detection.Evaluation;

/// <summary>Binary detection metrics (positive class = attack) with the confusion matrix [[TN, FP], [FN, TP]].</summary>
internal sealed record BinaryMetrics(
    double Accuracy,
    double Sensitivity,
    double Specificity,
    double Precision,
    double F1,
    double RocAuc,
    long TrueNegatives,
    long FalsePositives,
    long FalseNegatives,
    long TruePositives)
{
    /// <summary>Records counted.</summary>
    public long Count => TrueNegatives + FalsePositives + FalseNegatives + TruePositives;

    /// <summary>
    /// Computes the metrics of scores P(attack) against labels (true = attack) at <paramref name="threshold"/>
    /// (attack when score ≥ threshold). ROC-AUC is the tie-aware Mann–Whitney statistic (equal to scikit-learn's
    /// <c>roc_auc_score</c>); NaN when only one class is present. Ratios with an empty denominator are 0.
    /// </summary>
    public static BinaryMetrics Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, float threshold)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException("Scores and labels differ in length.", nameof(labels));
        }

        long tn = 0, fp = 0, fn = 0, tp = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] >= threshold;
            if (labels[i])
            {
                if (predicted)
                {
                    tp++;
                }
                else
                {
                    fn++;
                }
            }
            else if (predicted)
            {
                fp++;
            }
            else
            {
                tn++;
            }
        }

        var precision = Ratio(tp, tp + fp);
        var sensitivity = Ratio(tp, tp + fn);
        return new BinaryMetrics(
            Ratio(tp + tn, tp + tn + fp + fn),
            sensitivity,
            Ratio(tn, tn + fp),
            precision,
            precision + sensitivity == 0 ? 0 : 2 * precision * sensitivity / (precision + sensitivity),
            ComputeRocAuc(scores, labels),
            tn,
            fp,
            fn,
            tp);
    }

    /// <summary>Tie-aware ROC-AUC: (sum of positive ranks − P(P+1)/2) / (P·N), with average ranks for ties.</summary>
    public static double ComputeRocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        var n = scores.Length;
        var order = new int[n];
        var keys = scores.ToArray();
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        Array.Sort(keys, order);
        double positiveRankSum = 0;
        long positives = 0;
        for (var start = 0; start < n;)
        {
            var end = start + 1;
            while (end < n && keys[end] == keys[start])
            {
                end++;
            }

            var averageRank = ((start + 1) + end) / 2.0;
            for (var k = start; k < end; k++)
            {
                if (labels[order[k]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }

            start = end;
        }

        var negatives = n - positives;
        return positives == 0 || negatives == 0
            ? double.NaN
            : (positiveRankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    /// <summary>Reads metrics written by the training code (keys accuracy … rocAuc, confusion [[TN, FP], [FN, TP]]).</summary>
    public static BinaryMetrics? FromJson(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty("accuracy", out _))
        {
            return null;
        }

        double Get(string name) => element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN;
        long tn = 0, fp = 0, fn = 0, tp = 0;
        if (element.TryGetProperty("confusion", out var c) && c.ValueKind == JsonValueKind.Array && c.GetArrayLength() == 2)
        {
            tn = c[0][0].GetInt64();
            fp = c[0][1].GetInt64();
            fn = c[1][0].GetInt64();
            tp = c[1][1].GetInt64();
        }

        return new BinaryMetrics(Get("accuracy"), Get("sensitivity"), Get("specificity"), Get("precision"), Get("f1"), Get("rocAuc"), tn, fp, fn, tp);
    }

    /// <summary>Writes the metrics as a JSON object (the keys of the model contract).</summary>
    public void WriteTo(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        WriteNumber(writer, "accuracy", Accuracy);
        WriteNumber(writer, "sensitivity", Sensitivity);
        WriteNumber(writer, "specificity", Specificity);
        WriteNumber(writer, "precision", Precision);
        WriteNumber(writer, "f1", F1);
        WriteNumber(writer, "rocAuc", RocAuc);
        writer.WriteStartArray("confusion");
        writer.WriteStartArray();
        writer.WriteNumberValue(TrueNegatives);
        writer.WriteNumberValue(FalsePositives);
        writer.WriteEndArray();
        writer.WriteStartArray();
        writer.WriteNumberValue(FalseNegatives);
        writer.WriteNumberValue(TruePositives);
        writer.WriteEndArray();
        writer.WriteEndArray();
        writer.WriteNumber("count", Count);
        writer.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;
}

using System.Text.Json;
using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Host.Demo;

/// <summary>
/// Real device traffic for the demo's ingestion gate: the held-out WUSTL-EHMS-2020 validation windows (never fitted on) shipped with the model
/// as its parity reference (inputs and PyTorch probabilities). The three most benign windows become a wearable's
/// traffic and the most suspicious one an infusion pump's; each anchored record is screened on a whole real window.
/// </summary>
internal sealed class DemoTraffic
{
    private DemoTraffic(float[][][] benign, float[][] attack, double[] benignScores, double attackScore)
    {
        Benign = benign;
        Attack = attack;
        BenignScores = benignScores;
        AttackScore = attackScore;
    }

    /// <summary>The three most benign windows, each as rows oldest first.</summary>
    public float[][][] Benign { get; }

    /// <summary>Rows of the most suspicious window, oldest first.</summary>
    public float[][] Attack { get; }

    /// <summary>PyTorch's P(attack) for each benign window.</summary>
    public double[] BenignScores { get; }

    /// <summary>PyTorch's P(attack) for the suspicious window.</summary>
    public double AttackScore { get; }

    public static DemoTraffic? Load(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var inputs = doc.RootElement.GetProperty("inputs").EnumerateArray()
            .Select(w => w.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToArray();
        var attackProb = doc.RootElement.GetProperty("probabilities").EnumerateArray()
            .Select(p => 1.0 - p.EnumerateArray().First().GetDouble()).ToArray();
        var order = Enumerable.Range(0, attackProb.Length).OrderBy(i => attackProb[i]).ToArray();
        var lo = order.Take(3).ToArray();
        var hi = order[^1];
        return new DemoTraffic([.. lo.Select(i => inputs[i])], inputs[hi], [.. lo.Select(i => attackProb[i])], attackProb[hi]);
    }

    public static DeviceSubmission Submission(Address device, DateTimeOffset at, IReadOnlyList<string> featureNames, float[] row) =>
        new(device, at, featureNames.Select((name, i) => (name, value: FeatureValue.FromNumber(row[i]))).ToDictionary(x => x.name, x => x.value));
}

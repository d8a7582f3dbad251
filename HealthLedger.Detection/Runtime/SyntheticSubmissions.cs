using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;

namespace HealthLedger.Detection.Runtime;

/// <summary>
/// Deterministic synthetic submissions and windows for benchmarks and latency harnesses (not real traffic): the same
/// seed gives the same values. Stateless, so safe to call from any thread.
/// </summary>
public static class SyntheticSubmissions
{
    /// <summary><paramref name="count"/> submissions spread over <paramref name="devices"/> devices, with values in [0, 100).</summary>
    public static DeviceSubmission[] Create(DetectorModel model, int count, int devices, int seed = 42)
    {
        var random = new Random(seed);
        var extractor = new FeatureExtractor(model.Metadata.Features);
        var categories = model.Metadata.Features
            .Select(n => (Name: n, Eq: n.IndexOf('=', StringComparison.Ordinal)))
            .Where(c => c.Eq > 0)
            .GroupBy(c => c.Name[..c.Eq])
            .ToDictionary(g => g.Key, g => g.Select(c => c.Name[(c.Eq + 1)..]).ToArray(), StringComparer.Ordinal);
        var addresses = Enumerable.Range(0, devices).Select(i => KeyPair.FromLabel($"synthetic-device-{i}").Address).ToArray();
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var result = new DeviceSubmission[count];
        for (var i = 0; i < count; i++)
        {
            var fields = new Dictionary<string, FeatureValue>(StringComparer.Ordinal);
            foreach (var field in extractor.Fields)
            {
                fields[field] = categories.TryGetValue(field, out var values)
                    ? FeatureValue.FromText(values[random.Next(values.Length)])
                    : FeatureValue.FromNumber(Math.Round(random.NextDouble() * 100, 3));
            }

            result[i] = new DeviceSubmission(addresses[i % devices], start.AddSeconds(i), fields);
        }

        return result;
    }

    /// <summary>Windows [count, T, F] with values in [0, 100).</summary>
    public static float[] Windows(DetectorModel model, int count, int seed = 7)
    {
        var random = new Random(seed);
        var windows = new float[count * model.WindowLength];
        for (var i = 0; i < windows.Length; i++)
        {
            windows[i] = (float)(random.NextDouble() * 100);
        }

        return windows;
    }
}

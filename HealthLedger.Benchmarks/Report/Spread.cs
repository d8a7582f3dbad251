using System.Globalization;

namespace HealthLedger.Benchmarks.Report;

/// <summary>Median and spread of repeated trials: quartiles (the error bars), extremes and the count.</summary>
internal readonly record struct Spread(double Median, double P25, double P75, double Min, double Max, int Count)
{
    /// <summary>Summarises <paramref name="samples"/> (linear interpolation between order statistics).</summary>
    public static Spread Of(IEnumerable<double> samples)
    {
        var xs = samples.Where(double.IsFinite).OrderBy(x => x).ToArray();
        if (xs.Length == 0)
        {
            return new Spread(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0);
        }

        return new Spread(Quantile(xs, 0.5), Quantile(xs, 0.25), Quantile(xs, 0.75), xs[0], xs[^1], xs.Length);
    }

    /// <summary>The <paramref name="q"/>-quantile of sorted values.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 1)
        {
            return sorted[0];
        }

        var position = q * (sorted.Count - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Count - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    /// <summary>True when there is at least one sample.</summary>
    public bool HasValue => Count > 0;

    /// <summary>"median (p25–p75)" with <paramref name="format"/>, or "—" when empty.</summary>
    public string Format(string format = "G4", string unit = "") => Count == 0
        ? "—"
        : Count == 1
            ? string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)}{unit}")
            : string.Create(CultureInfo.InvariantCulture, $"{Median.ToString(format, CultureInfo.InvariantCulture)}{unit} ({P25.ToString(format, CultureInfo.InvariantCulture)}–{P75.ToString(format, CultureInfo.InvariantCulture)})");
}

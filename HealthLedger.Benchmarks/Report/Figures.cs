using ScottPlot;

namespace HealthLedger.Benchmarks.Report;

/// <summary>One line of a line chart: medians with quartile error bars at each x.</summary>
internal sealed record Series(string Label, double[] X, double[] Median, double[] Low, double[] High);

/// <summary>One group of bars (one colour) of a grouped bar chart; <paramref name="Low"/>/<paramref name="High"/> may be null.</summary>
internal sealed record BarSeries(string Label, double[] Values, double[]? Low = null, double[]? High = null);

/// <summary>ScottPlot charts drawn the same way for every figure of the report (1000 × 600 PNG, headless).</summary>
internal static class Figures
{
    public const int Width = 1000;
    public const int Height = 600;

    /// <summary>Medians with quartile error bars against x; <paramref name="logY"/> plots log10 of y with readable ticks.</summary>
    public static void Lines(string path, string title, string xLabel, string yLabel, IReadOnlyList<Series> series, bool logY = false, double[]? xTicks = null, bool logX = false)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var spreadX = series.Count > 1 && !logX ? 0.04 * Span(series.SelectMany(s => s.X)) : 0;
        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var keep = Enumerable.Range(0, s.X.Length).Where(k => double.IsFinite(s.Median[k]) && (!logY || s.Median[k] > 0)).ToArray();
            if (keep.Length == 0)
            {
                continue;
            }

            double Tx(double x) => logX ? Math.Log10(x) : x;
            double Ty(double y) => logY ? Math.Log10(Math.Max(y, 1e-9)) : y;
            var offset = spreadX == 0 ? 0 : (i - ((series.Count - 1) / 2.0)) * spreadX / Math.Max(1, series.Count);
            var xs = keep.Select(k => Tx(s.X[k]) + offset).ToArray();
            var ys = keep.Select(k => Ty(s.Median[k])).ToArray();
            var up = keep.Select(k => Math.Max(0, Ty(s.High[k]) - Ty(s.Median[k]))).ToArray();
            var down = keep.Select(k => Math.Max(0, Ty(s.Median[k]) - Ty(Math.Max(s.Low[k], logY ? s.Median[k] / 1000 : double.NegativeInfinity)))).ToArray();
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = s.Label;
            scatter.Color = palette.GetColor(i);
            scatter.MarkerSize = 7;
            scatter.LineWidth = 2;
            var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, up, down) { Color = palette.GetColor(i) };
            plot.Add.Plottable(bars);
        }

        if (logY)
        {
            plot.Axes.Left.TickGenerator = LogTicks(yLabel.Contains("ms", StringComparison.Ordinal) ? "ms" : string.Empty);
        }

        if (logX)
        {
            plot.Axes.Bottom.TickGenerator = LogTicks(string.Empty);
        }
        else if (xTicks is { Length: > 0 })
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(xTicks, [.. xTicks.Select(x => x.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
            var pad = xTicks.Length > 1 ? (xTicks.Max() - xTicks.Min()) * 0.05 : 0.5;
            plot.Axes.SetLimitsX(xTicks.Min() - pad, xTicks.Max() + pad); // every tick shown, even where a line has no point (finality stopped)
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Grouped bars (one colour per series, one group per category), optional error bars and reference line.</summary>
    public static void Bars(string path, string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> series, (double Y, string Label)? reference = null, (double Min, double Max)? yRange = null)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var width = 0.8 / series.Count;
        for (var s = 0; s < series.Count; s++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < categories.Count; c++)
            {
                var value = series[s].Values[c];
                if (!double.IsFinite(value))
                {
                    continue;
                }

                var bar = new Bar
                {
                    Position = c + ((s - ((series.Count - 1) / 2.0)) * width),
                    Value = value,
                    Size = width * 0.95,
                    FillColor = palette.GetColor(s),
                    ValueBase = yRange?.Min ?? 0,
                };
                bars.Add(bar);
            }

            plot.Add.Bars(bars);
            if (series[s].Low is { } low && series[s].High is { } high)
            {
                // Quartiles are not symmetric about the median: one error bar per bar, up and down separately.
                var shown = Enumerable.Range(0, categories.Count).Where(c => double.IsFinite(series[s].Values[c])).ToArray();
                double[] xs = [.. shown.Select(c => c + ((s - ((series.Count - 1) / 2.0)) * width))];
                double[] ys = [.. shown.Select(c => series[s].Values[c])];
                double[] up = [.. shown.Select(c => Math.Max(0, high[c] - series[s].Values[c]))];
                double[] down = [.. shown.Select(c => Math.Max(0, series[s].Values[c] - low[c]))];
                plot.Add.Plottable(new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, up, down) { Color = Colors.Black });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = series[s].Label, FillColor = palette.GetColor(s) });
        }

        if (reference is { } r)
        {
            var line = plot.Add.HorizontalLine(r.Y);
            line.LinePattern = LinePattern.Dashed;
            line.Color = Colors.Black;
            line.LineWidth = 1.5f;
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = r.Label, LineColor = Colors.Black, LineWidth = 1.5f, LinePattern = LinePattern.Dashed });
        }

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, categories.Count).Select(c => (double)c)], [.. categories]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        if (yRange is { } range)
        {
            plot.Axes.SetLimitsY(range.Min, range.Max);
        }
        else
        {
            plot.Axes.Margins(bottom: 0);
        }

        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperCenter);
        plot.SavePng(path, Width, Height);
    }

    /// <summary>Stacked bars: each category's value split into layers (for example the layer that refused an attack).</summary>
    public static void Stacked(string path, string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<BarSeries> layers)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bases = new double[categories.Count];
        for (var l = 0; l < layers.Count; l++)
        {
            var bars = new List<Bar>();
            for (var c = 0; c < categories.Count; c++)
            {
                var v = layers[l].Values[c];
                if (v > 0)
                {
                    bars.Add(new Bar { Position = c, ValueBase = bases[c], Value = bases[c] + v, FillColor = LayerColor(l), Size = 0.6 });
                    bases[c] += v;
                }
            }

            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = layers[l].Label, FillColor = LayerColor(l) });
        }

        // The last layer is "not refused": grey, so the refusals stand out.
        Color LayerColor(int l) => l == layers.Count - 1 && layers[l].Label == "admitted" ? Colors.LightGray : palette.GetColor(l);

        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, categories.Count).Select(c => (double)c)], [.. categories]);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.SetLimitsY(0, 135);
        plot.Title(title);
        plot.YLabel(yLabel);
        plot.ShowLegend(Alignment.UpperRight);
        plot.SavePng(path, Width, Height);
    }

    private static double Span(IEnumerable<double> xs)
    {
        var list = xs.Where(double.IsFinite).ToList();
        return list.Count == 0 ? 1 : Math.Max(1e-9, list.Max() - list.Min());
    }

    private static ScottPlot.TickGenerators.NumericAutomatic LogTicks(string unit) => new()
    {
        LabelFormatter = y =>
        {
            var v = Math.Pow(10, y);
            return unit == "ms" && v >= 1000 ? $"{v / 1000:0.###} s" : $"{v:0.###}{(unit.Length > 0 ? " " + unit : string.Empty)}";
        },
        MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
        IntegerTicksOnly = true,
    };
}

using ScottPlot;

namespace HealthLedger.Benchmarks.Consensus;

/// <summary>Plots mean mining time per block against difficulty level, log scale, error bars = standard error.</summary>
internal static class MiningTimePlot
{
    public static void Save(IReadOnlyList<CellResult> results, string path, string searcherName)
    {
        var plot = new Plot();
        var profiles = Enum.GetValues<MinerProfile>();
        for (var p = 0; p < profiles.Length; p++)
        {
            var cells = results.Where(r => r.Profile == profiles[p] && r.MeanMs > 0).OrderBy(r => r.Level).ToArray();
            if (cells.Length == 0)
            {
                continue;
            }

            var offset = (p - 1.5) * 0.06; // separate overlapping error bars
            var xs = cells.Select(c => c.Level + offset).ToArray();
            var ys = cells.Select(c => Math.Log10(c.MeanMs)).ToArray();
            var up = cells.Select(c => Math.Log10(c.MeanMs + c.StdErrMs) - Math.Log10(c.MeanMs)).ToArray();
            var down = cells.Select(c => Math.Log10(c.MeanMs) - Math.Log10(Math.Max(c.MeanMs - c.StdErrMs, c.MeanMs / 100))).ToArray();

            var scatter = plot.Add.Scatter(xs, ys);
            scatter.LegendText = Label(profiles[p]);
            scatter.MarkerSize = 7;
            scatter.LineWidth = 2;
            var bars = new ScottPlot.Plottables.ErrorBar(xs, ys, null, null, up, down);
            plot.Add.Plottable(bars);
            bars.Color = scatter.Color;
        }

        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic
        {
            LabelFormatter = y => Math.Pow(10, y) switch
            {
                >= 1000 => $"{Math.Pow(10, y) / 1000:0.###} s",
                var ms => $"{ms:0.###} ms",
            },
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
        };
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
            Enumerable.Range(1, 6).Select(d => (double)d).ToArray(),
            Enumerable.Range(1, 6).Select(d => $"{d}").ToArray());
        plot.Title($"Mining time per block, one thread, {searcherName}");
        plot.XLabel("Difficulty level d (hash starts with d zero hex digits)");
        plot.YLabel("Mean time per block (log scale, bars: standard error)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 1000, 640);
    }

    private static string Label(MinerProfile profile) => profile switch
    {
        MinerProfile.ProofOfWork => "PoW",
        MinerProfile.Neutral => "ePoW, neutral miner (m = 0)",
        MinerProfile.HighCredit => "ePoW, high-credit miner (m = +4)",
        MinerProfile.Penalised => "ePoW, penalised miner (m = −4)",
        _ => profile.ToString(),
    };
}

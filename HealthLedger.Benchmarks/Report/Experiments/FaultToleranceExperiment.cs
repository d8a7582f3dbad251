using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthLedger.Core.Chain;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 5: time from a block's sealing (its first connection on any node) to its finality at node 0, against the
/// per-block threshold k the miners write and the number of crashed (stopped) validators, on a real network of
/// <see cref="HealthLedger.Node.LedgerNode"/>s. The quorum is max(⌊2N/3⌋ + 1, k) of the N registered validators, so a
/// crash that leaves fewer live validators than the quorum stops finality: the table says so instead of drawing a time.
/// </summary>
internal sealed class FaultToleranceExperiment : IReportExperiment
{
    /// <summary>The proof-of-work level of the nodes: 6, or 5 in a smoke run (so that it takes seconds).</summary>
    private int Difficulty { get; set; } = 6;

    public string Id => "fault-tolerance";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        Difficulty = context.Scale.NodeDifficulty();
        return RunAsync(context).GetAwaiter().GetResult();
    }

    private async Task<(string, IReadOnlyList<string>)> RunAsync(ReportContext context)
    {
        var validators = 4;
        ushort[] thresholds = context.Scale.Pick<ushort[]>([1], [1, 4], [1, 3, 4]);
        int[] crashes = context.Scale.Pick<int[]>([1], [0, 1], [0, 1, 2]);
        var blocksWanted = context.Scale.Pick(2, 6, 12);
        var window = TimeSpan.FromSeconds(context.Scale.Pick(6, 25, 45));
        var finalityWait = TimeSpan.FromSeconds(context.Scale.Pick(10, 25, 40));
        var results = new List<(ushort K, int Crashed, int Quorum, Spread Ms, int Blocks, ulong Sealed)>();
        foreach (var k in thresholds)
        {
            foreach (var crashed in crashes)
            {
                await using var cluster = await NodeCluster.StartAsync(new ClusterSpec(validators, k, Difficulty, $"fault-k{k}-c{crashed}"), context.WorkDirectory);
                var quorum = FinalityQuorum.Required(validators, k);
                for (var c = 0; c < crashed; c++)
                {
                    await cluster.CrashAsync(validators - 1 - c);
                }

                // Time the next blocks sealed after the crash (mining goes on whether or not finality does); then wait for
                // their finality — briefly when fewer validators live than the quorum, since no vote count can reach it.
                var startHeight = cluster.Observer.Chain.Height;
                await NodeCluster.WaitUntil(() => cluster.Observer.Chain.Height >= startHeight + (ulong)blocksWanted, window);
                var sealedHeight = cluster.Observer.Chain.Height;
                var live = validators - crashed;
                // Waits on what the finality watcher recorded, not on the chain itself: reading the recorded blocks the
                // moment the chain's last final block passed the height raced the watcher's next poll, and left the
                // newest heights out.
                var allFinal = await NodeCluster.WaitUntil(() => cluster.RecordedFinalHeight >= sealedHeight, live >= quorum ? finalityWait : TimeSpan.FromSeconds(3));
                // Every height above node 0's height at the start counts, from its block's first connection on any
                // node: a block another miner sealed just before node 0 reached it is sealed in the window all the same
                // (filtering on the connection time left such a height out and read it as not final).
                var blocks = cluster.FinalBlocks().Where(b => b.Height > startHeight && b.Height <= sealedHeight).ToList();
                var spread = Spread.Of(blocks.Select(b => NodeCluster.Ms(b.Connected, b.Final)));
                results.Add((k, crashed, quorum, spread, blocks.Count, sealedHeight - startHeight));
                var missing = string.Join(",", Enumerable.Range(1, (int)(sealedHeight - startHeight)).Select(i => startHeight + (ulong)i).Where(h => blocks.All(b => b.Height != h)));
                context.Log.WriteLine($"  N={validators} k={k} crashed={crashed} quorum={quorum}: {blocks.Count} of {sealedHeight - startHeight} heights final (#{startHeight + 1}..#{sealedHeight}; final #{cluster.Observer.Chain.LastFinal.Height}{(allFinal ? "" : ", wait timed out")}{(missing.Length > 0 ? "; not counted: #" + missing : "")}), median {spread.Median:F0} ms");
            }
        }

        var (path, link) = context.Figure("fault-tolerance.png");
        var series = thresholds.Select(k =>
        {
            var cells = results.Where(r => r.K == k && r.Ms.HasValue).ToArray();
            return new Series($"k = {k} (quorum {FinalityQuorum.Required(validators, k)} of {validators})", [.. cells.Select(c => (double)c.Crashed)], [.. cells.Select(c => c.Ms.Median)], [.. cells.Select(c => c.Ms.P25)], [.. cells.Select(c => c.Ms.P75)]);
        }).ToList();
        Figures.Lines(path, $"Sealing → finality, {validators} validators (missing point: finality stopped)", "Validators crashed", "Time to finality, ms (median, bars: quartiles)", series, xTicks: [.. crashes.Select(c => (double)c)]);

        var table = new MarkdownTable("Threshold k", "Crashed", "Live", "Quorum", "Heights sealed", "Heights final", "Sealing → finality ms, median (p25–p75)", "Max ms");
        foreach (var r in results)
        {
            table.Row(r.K.ToString(CultureInfo.InvariantCulture), r.Crashed.ToString(CultureInfo.InvariantCulture), (validators - r.Crashed).ToString(CultureInfo.InvariantCulture), r.Quorum.ToString(CultureInfo.InvariantCulture),
                r.Sealed.ToString(CultureInfo.InvariantCulture), r.Blocks.ToString(CultureInfo.InvariantCulture), r.Ms.HasValue ? r.Ms.Format("F0") : "none final (finality stopped)", r.Ms.HasValue ? r.Ms.Max.ToString("F0", CultureInfo.InvariantCulture) : "—");
        }

        var md = new StringBuilder();
        md.AppendLine("### Fault tolerance: sealing to finality against the threshold and crashed nodes").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. For each threshold k and number of crashed validators, a fresh network of {validators} `LedgerNode`s (TLS on loopback, PoW level {Difficulty}, every validator mining and voting, miners writing k into their headers); the crashed ones are stopped right after start (clean stop; they stay registered, so they still count in N). The next {blocksWanted} heights node 0's chain grows by after the crash (or as many as {window.TotalSeconds:F0} s bring; a block that lost a sibling race is not one of them) are each timed from their final block's first connection on any node (sealing) to node 0 seeing it final (waiting up to {finalityWait.TotalSeconds:F0} s more for the last ones; 3 s when fewer validators live than the quorum). A validator votes for a block once a block is built on it (`VoteDepth` 1), the votes are included a block or two later, and the block is final once the next height is justified too: normally a few blocks behind the tip (docs/consensus.md §5.4 measures it), so this time is a few block intervals plus vote propagation. The quorum is max(⌊2N/3⌋ + 1, k): with fewer live validators than that, no block becomes final — the measurable form of the paper's remark that the make-span grows with the threshold.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Fault tolerance]({link})").AppendLine();
        md.Append(table);
        return (md.ToString(), [path]);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 7: end-to-end throughput and finality latency against the number of nodes. Registered devices send record
/// anchors, each at a node chosen round-robin, as fast as the nodes admit them; throughput is anchors final at node 0 per
/// second from the first submission to the last finality, latency is each anchor's submission → final at node 0.
/// </summary>
internal sealed class ThroughputExperiment : IReportExperiment
{
    /// <summary>The proof-of-work level of the nodes: 6, or 5 in a smoke run (so that it takes seconds).</summary>
    private int Difficulty { get; set; } = 6;
    private const int Devices = 20;

    public string Id => "throughput";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        Difficulty = context.Scale.NodeDifficulty();
        return RunAsync(context).GetAwaiter().GetResult();
    }

    private async Task<(string, IReadOnlyList<string>)> RunAsync(ReportContext context)
    {
        int[] nodeCounts = context.Scale.Pick<int[]>([2], [1, 2, 4], [1, 2, 4, 6, 8]);
        var anchors = context.Scale.Pick(40, 1_000, 4_000);
        var timeout = TimeSpan.FromSeconds(context.Scale.Pick(30, 60, 120));
        var results = new List<(int Nodes, double Throughput, Spread Inclusion, Spread Final, int Missing, double Seconds)>();
        foreach (var n in nodeCounts)
        {
            await using var cluster = await NodeCluster.StartAsync(new ClusterSpec(n, 1, Difficulty, $"throughput-{n}"), context.WorkDirectory);
            await cluster.RegisterPatientAsync(timeout);
            var devices = Enumerable.Range(0, Devices).Select(i => KeyPair.FromLabel($"report-throughput-{n}-device-{i}")).ToArray();
            for (var i = 0; i < Devices; i++)
            {
                var r = await cluster.Observer.SubmitAsync(cluster.RegisterDevice(devices[i], i));
                if (!r.Accepted)
                {
                    throw new InvalidOperationException($"Device registration refused: {r.Validation}");
                }
            }

            if (!await NodeCluster.WaitUntil(() => devices.All(d => cluster.Nodes.All(node => node is null || node.Chain.State.GetDevice(d.Address) is not null)), timeout))
            {
                throw new TimeoutException("The devices were not registered on every node in time.");
            }

            // Signed beforehand: the timed part is submission, gossip, mining and finality.
            var txs = Enumerable.Range(0, anchors).Select(i =>
            {
                var label = $"throughput-{n}-record-{i}";
                return (Hash: Hash256.Sha256(Encoding.UTF8.GetBytes(label)), Tx: cluster.Sign(devices[i % Devices], new RecordAnchor("bafy" + label, Hash256.Sha256(Encoding.UTF8.GetBytes(label)), RecordType.Vitals, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())));
            }).ToArray();
            var submitted = new long[anchors];
            var included = new long[anchors];
            var final = new long[anchors];
            var first = Stopwatch.GetTimestamp();
            for (var i = 0; i < anchors; i++)
            {
                // A device's anchors go to one node (its sequence order is then the arrival order); devices spread over nodes.
                var node = cluster.Nodes[i % Devices % n]!;
                submitted[i] = Stopwatch.GetTimestamp();
                var r = await node.SubmitAsync(txs[i].Tx);
                if (!r.Accepted)
                {
                    throw new InvalidOperationException($"Anchor {i} refused: {r.Validation}");
                }
            }

            var observer = cluster.Observer;
            var pendingFrom = 0;
            await NodeCluster.WaitUntil(
                () =>
                {
                    var now = Stopwatch.GetTimestamp();
                    var tip = observer.Chain.State;
                    var last = observer.Chain.LastFinal.State;
                    for (var i = pendingFrom; i < anchors; i++)
                    {
                        if (included[i] == 0 && tip.GetRecord(txs[i].Hash) is not null)
                        {
                            included[i] = now;
                        }

                        if (final[i] == 0 && last.GetRecord(txs[i].Hash) is not null)
                        {
                            final[i] = now;
                            included[i] = included[i] == 0 ? now : included[i];
                        }
                    }

                    while (pendingFrom < anchors && final[pendingFrom] != 0)
                    {
                        pendingFrom++;
                    }

                    return pendingFrom == anchors && final.All(f => f != 0);
                },
                timeout,
                pollMs: 5);
            var done = final.Where(f => f != 0).ToArray();
            var seconds = done.Length == 0 ? double.NaN : NodeCluster.Ms(first, done.Max()) / 1000;
            var inclusion = Spread.Of(Enumerable.Range(0, anchors).Where(i => final[i] != 0).Select(i => NodeCluster.Ms(submitted[i], included[i])));
            var finality = Spread.Of(Enumerable.Range(0, anchors).Where(i => final[i] != 0).Select(i => NodeCluster.Ms(submitted[i], final[i])));
            results.Add((n, done.Length / seconds, inclusion, finality, anchors - done.Length, seconds));
            context.Log.WriteLine($"  {n} nodes: {done.Length}/{anchors} final in {seconds:F1} s = {done.Length / seconds:F0} tx/s; finality median {finality.Median:F0} ms");
            foreach (var d in devices)
            {
                d.Dispose();
            }
        }

        var (path, link) = context.Figure("throughput.png");
        double[] xs = [.. results.Select(r => (double)r.Nodes)];
        var (latencyPath, latencyLink) = context.Figure("throughput-latency.png");
        Figures.Bars(path, $"End-to-end throughput ({anchors:N0} record anchors, PoW level {Difficulty})", "Anchors final per second", [.. results.Select(r => $"{r.Nodes} nodes")], [new BarSeries("anchors final / s (first submission → last finality)", [.. results.Select(r => r.Throughput)])]);
        Figures.Lines(latencyPath, "Anchor latency against the number of nodes", "Nodes", "ms (median, bars: quartiles)",
        [
            new Series("submission → inclusion", xs, [.. results.Select(r => r.Inclusion.Median)], [.. results.Select(r => r.Inclusion.P25)], [.. results.Select(r => r.Inclusion.P75)]),
            new Series("submission → finality", xs, [.. results.Select(r => r.Final.Median)], [.. results.Select(r => r.Final.P25)], [.. results.Select(r => r.Final.P75)]),
        ], xTicks: xs);

        var table = new MarkdownTable("Nodes", "Anchors final", "Seconds", "Throughput (final anchors/s)", "Inclusion ms, median (p25–p75)", "Finality ms, median (p25–p75)");
        foreach (var r in results)
        {
            table.Row(r.Nodes.ToString(CultureInfo.InvariantCulture), $"{anchors - r.Missing:N0} of {anchors:N0}", r.Seconds.ToString("F1", CultureInfo.InvariantCulture), r.Throughput.ToString("F0", CultureInfo.InvariantCulture), r.Inclusion.Format("F0"), r.Final.Format("F0"));
        }

        var md = new StringBuilder();
        md.AppendLine("### End-to-end throughput and finality latency against the number of nodes").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. For each node count, a fresh network of `LedgerNode`s in one process (TLS on loopback, full mesh, every node a mining, voting validator at PoW level {Difficulty}; all of them share this machine's {Environment.ProcessorCount} cores, so more nodes means less CPU each). {Devices} registered devices send {anchors:N0} record anchors (signed beforehand), each device at one node, devices spread round-robin over the nodes, as fast as the nodes admit them. Throughput counts anchors final at node 0 from the first submission to the last finality; latencies are per anchor, submission → node 0's tip state (inclusion) and last final state (finality). One run per node count; the spread is over its anchors.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Throughput]({link})").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Latency]({latencyLink})").AppendLine();
        md.Append(table);
        return (md.ToString(), [path, latencyPath]);
    }
}

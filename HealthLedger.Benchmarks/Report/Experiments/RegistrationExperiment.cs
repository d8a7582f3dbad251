using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 1 (the paper's Figure 2): device registrations from submission to inclusion and to finality, for batches of
/// 1 to 1,000 devices submitted at once, over a real network of <see cref="HealthLedger.Node.LedgerNode"/>s (TLS on
/// loopback, PoW miners, finality votes). Times are per device: submission at node 0 → its registration in node 0's
/// tip state (inclusion) → in node 0's last final state (finality).
/// </summary>
internal sealed class RegistrationExperiment : IReportExperiment
{
    private const int Validators = 4;
    /// <summary>The proof-of-work level of the nodes: 6, or 5 in a smoke run (so that it takes seconds).</summary>
    private int Difficulty { get; set; } = 6;

    public string Id => "registration-time";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        Difficulty = context.Scale.NodeDifficulty();
        return RunAsync(context).GetAwaiter().GetResult();
    }

    private async Task<(string, IReadOnlyList<string>)> RunAsync(ReportContext context)
    {
        var batches = context.Scale.Pick<int[]>([1, 10], [1, 10, 100], [1, 10, 100, 1000]);
        var timeout = TimeSpan.FromSeconds(context.Scale.Pick(30, 60, 120));
        var results = new List<(int Devices, int Repeats, Spread Inclusion, Spread Finality, int Missing)>();
        await using (var cluster = await NodeCluster.StartAsync(new ClusterSpec(Validators, 1, Difficulty, "registration"), context.WorkDirectory))
        {
            await cluster.RegisterPatientAsync(timeout);
            var next = 0;
            foreach (var batch in batches)
            {
                var repeats = batch switch { 1 => context.Scale.Pick(1, 5, 9), 10 => context.Scale.Pick(1, 3, 5), 100 => context.Scale.Pick(1, 1, 3), _ => 1 };
                var inclusion = new List<double>();
                var finality = new List<double>();
                var missing = 0;
                for (var rep = 0; rep < repeats; rep++)
                {
                    var devices = Enumerable.Range(next, batch).Select(i => KeyPair.FromLabel($"report-registration-device-{i}")).ToArray();
                    var txs = devices.Select((d, k) => cluster.RegisterDevice(d, next + k)).ToArray();
                    next += batch;
                    var submitted = new long[batch];
                    var included = new long[batch];
                    var final = new long[batch];
                    for (var k = 0; k < batch; k++)
                    {
                        submitted[k] = Stopwatch.GetTimestamp();
                        var r = await cluster.Observer.SubmitAsync(txs[k]);
                        if (!r.Accepted)
                        {
                            throw new InvalidOperationException($"Registration {k} refused: {r.Validation}");
                        }
                    }

                    var observer = cluster.Observer;
                    await NodeCluster.WaitUntil(
                        () =>
                        {
                            var now = Stopwatch.GetTimestamp();
                            var tip = observer.Chain.State;
                            var last = observer.Chain.LastFinal.State;
                            var done = true;
                            for (var k = 0; k < batch; k++)
                            {
                                if (included[k] == 0 && tip.GetDevice(devices[k].Address) is not null)
                                {
                                    included[k] = now;
                                }

                                if (final[k] == 0 && last.GetDevice(devices[k].Address) is not null)
                                {
                                    final[k] = now;
                                    included[k] = included[k] == 0 ? now : included[k];
                                }

                                done &= final[k] != 0;
                            }

                            return done;
                        },
                        timeout,
                        pollMs: 5);
                    for (var k = 0; k < batch; k++)
                    {
                        if (final[k] == 0)
                        {
                            missing++;
                            continue;
                        }

                        inclusion.Add(NodeCluster.Ms(submitted[k], included[k]));
                        finality.Add(NodeCluster.Ms(submitted[k], final[k]));
                    }

                    foreach (var d in devices)
                    {
                        d.Dispose();
                    }
                }

                results.Add((batch, repeats, Spread.Of(inclusion), Spread.Of(finality), missing));
                context.Log.WriteLine($"  {batch,5} devices × {repeats}: inclusion {Spread.Of(inclusion).Median:F0} ms, finality {Spread.Of(finality).Median:F0} ms, {missing} not final in time");
            }
        }

        var (path, link) = context.Figure("registration-time.png");
        double[] xs = [.. results.Select(r => (double)r.Devices)];
        Figures.Lines(path, $"Device registration over {Validators} TLS nodes (PoW level {Difficulty})", "Devices registered at once (log)", "Time per device, ms (log; median, bars: quartiles)",
        [
            new Series("submission → inclusion", xs, [.. results.Select(r => r.Inclusion.Median)], [.. results.Select(r => r.Inclusion.P25)], [.. results.Select(r => r.Inclusion.P75)]),
            new Series("submission → finality", xs, [.. results.Select(r => r.Finality.Median)], [.. results.Select(r => r.Finality.P25)], [.. results.Select(r => r.Finality.P75)]),
        ], logY: true, logX: true);

        var table = new MarkdownTable("Devices at once", "Batches", "Inclusion ms, median (p25–p75)", "Finality ms, median (p25–p75)", "Max finality ms", "Not final within timeout");
        foreach (var r in results)
        {
            table.Row(r.Devices.ToString("N0", CultureInfo.InvariantCulture), r.Repeats.ToString(CultureInfo.InvariantCulture), r.Inclusion.Format("F0"), r.Finality.Format("F0"), r.Finality.HasValue ? r.Finality.Max.ToString("F0", CultureInfo.InvariantCulture) : "—", r.Missing.ToString(CultureInfo.InvariantCulture));
        }

        var md = new StringBuilder();
        md.AppendLine("### Registration time (Figure 2)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. {Validators} `LedgerNode`s in one process (file block stores, TLS 1.3 `PeerHost`s on 127.0.0.1 in a full mesh, each mining proof of work at difficulty level {Difficulty} on the SIMD searcher and voting; the record index is off), sharing the machine's cores. A batch of devices is registered at once by four providers (signed beforehand) at node 0; each device's time runs from its submission to its registration appearing in node 0's tip state (inclusion) and in its last final state (finality). Statistics are over every device of every batch of that size (timeout {timeout.TotalSeconds:F0} s).").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Registration time]({link})").AppendLine();
        md.Append(table);
        return (md.ToString(), [path]);
    }
}

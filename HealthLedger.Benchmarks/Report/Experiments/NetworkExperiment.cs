using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthLedger.Core.Crypto;
using HealthLedger.Crypto.Sodium;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// The network's costs: Ed25519 verification with BouncyCastle (the default) and libsodium on one core; block
/// propagation to all of 4 <see cref="HealthLedger.Node.LedgerNode"/>s over TLS 1.3 on loopback; and the catch-up
/// (headers-first) sync rate of a validator restarted behind the other three.
/// </summary>
internal sealed class NetworkExperiment : IReportExperiment
{
    public string Id => "network";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var level = context.Scale.NodeDifficulty() - 1;
        var verify = Verification(context.Scale.Pick(3, 5, 9), context.Scale.Pick(200, 2_000, 5_000));
        var (propagation, sync) = PropagationAndSyncAsync(context, level).GetAwaiter().GetResult();

        var md = new StringBuilder();
        md.AppendLine("### Network: signature verification, block propagation, catch-up sync").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. Three measurements, in this process, on the shared cores:").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Ed25519 verification**, one thread: the same 180-byte message and signature verified {verify[0].Count} × {context.Scale.Pick(200, 2_000, 5_000):N0} times by each scheme (BouncyCastle, the default `Ed25519`; libsodium through NSec, `HealthLedger.Crypto.Sodium`); µs per verification over the trials.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Block propagation**: 4 `LedgerNode`s (file block stores, TLS 1.3 `PeerHost`s on 127.0.0.1 in a full mesh), every one mining proof of work at difficulty level {level} and voting; for each block that reached all four, the time from its first connection on any node (its miner) to its connection on the last of the four. The blocks carry only the validators' finality votes: a block's transactions were already in the receivers' pools (gossiped first), so this is header, seal and vote validation plus relay.");
        md.AppendLine(CultureInfo.InvariantCulture, $"- **Catch-up sync**: in the same network, validator 3 is stopped, the other three mine on, and it is started again on its store; the rate is the blocks it was behind at restart over the time until its chain reached that height (headers first from its peers, then bodies, each block fully validated), while the others keep mining.").AppendLine();
        var (path, link) = context.Figure("network.png");
        md.AppendLine(CultureInfo.InvariantCulture, $"![Ed25519 verification per scheme]({link})").AppendLine();

        var table = new MarkdownTable("Measure", "Samples", "Median (p25–p75)", "Rate");
        table.Row("Ed25519 verify, BouncyCastle", verify[0].Count.ToString(CultureInfo.InvariantCulture), verify[0].Format("F1", " µs"), Rate(1e6 / verify[0].Median, "verifications/s"));
        table.Row("Ed25519 verify, libsodium", verify[1].Count.ToString(CultureInfo.InvariantCulture), verify[1].Format("F1", " µs"), Rate(1e6 / verify[1].Median, "verifications/s") + string.Create(CultureInfo.InvariantCulture, $" ({verify[0].Median / verify[1].Median:F2}× BouncyCastle)"));
        table.Row("Block propagation to all of 4 nodes", propagation.Count.ToString(CultureInfo.InvariantCulture), propagation.Format("F1", " ms"), propagation.HasValue ? string.Create(CultureInfo.InvariantCulture, $"max {propagation.Max:F1} ms") : "—");
        table.Row("Catch-up sync, 1 node from 3 peers", sync.Blocks.ToString(CultureInfo.InvariantCulture) + " blocks", string.Create(CultureInfo.InvariantCulture, $"{sync.Seconds:F2} s"), sync.Seconds > 0 ? Rate(sync.Blocks / sync.Seconds, "blocks/s") : "—");
        md.Append(table);

        Figures.Bars(path, "Ed25519 verification, one thread", "µs per verification (median, p25–p75)", ["BouncyCastle (default)", "libsodium (HealthLedger.Crypto.Sodium)"],
        [
            new BarSeries("µs per verification", [verify[0].Median, verify[1].Median], [verify[0].P25, verify[1].P25], [verify[0].P75, verify[1].P75]),
        ]);
        return (md.ToString(), [path]);
    }

    private static string Rate(double perSecond, string unit) => double.IsFinite(perSecond) ? string.Create(CultureInfo.InvariantCulture, $"{perSecond:N0} {unit}") : "—";

    private static Spread[] Verification(int trials, int perTrial)
    {
        var seed = new byte[32];
        seed[0] = 7;
        var message = new byte[180];
        var result = new List<Spread>();
        foreach (var scheme in new ISignatureScheme[] { Ed25519.Instance, SodiumEd25519.Instance })
        {
            var key = scheme.DerivePublicKey(seed);
            var signature = scheme.Sign(seed, message);
            for (var i = 0; i < 100; i++)
            {
                scheme.Verify(key, message, signature);
            }

            var samples = new List<double>();
            for (var t = 0; t < trials; t++)
            {
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < perTrial; i++)
                {
                    if (!scheme.Verify(key, message, signature))
                    {
                        throw new InvalidOperationException($"{scheme.GetType().Name} refused a valid signature.");
                    }
                }

                samples.Add(watch.Elapsed.TotalMicroseconds / perTrial);
            }

            result.Add(Spread.Of(samples));
        }

        return [.. result];
    }

    private static async Task<(Spread Propagation, (int Blocks, double Seconds) Sync)> PropagationAndSyncAsync(ReportContext context, int level)
    {
        var blocks = context.Scale.Pick(3, 15, 40);
        var behind = context.Scale.Pick(5, 30, 100);
        var timeout = TimeSpan.FromSeconds(context.Scale.Pick(30, 90, 300));
        await using var cluster = await NodeCluster.StartAsync(new ClusterSpec(4, 1, level, "network"), context.WorkDirectory).ConfigureAwait(false);
        // Blocks mined while the mesh forms would be timed from their mining to the peers' connection: wait for the full
        // mesh, then count only blocks first connected after it.
        if (!await NodeCluster.WaitUntil(() => cluster.Nodes.All(n => n!.ConnectedPeers.Count >= 3), timeout).ConfigureAwait(false))
        {
            throw new TimeoutException($"The 4 nodes did not form a full mesh within {timeout.TotalSeconds} s.");
        }

        var meshed = Stopwatch.GetTimestamp();
        var arrived = new ConcurrentDictionary<Hash256, ConcurrentDictionary<int, long>>();
        void Watch(int i) => cluster.Nodes[i]!.Chain.BlockConnected += e => arrived.GetOrAdd(e.Hash, _ => new()).TryAdd(i, Stopwatch.GetTimestamp());
        for (var i = 0; i < 4; i++)
        {
            Watch(i);
        }

        bool Everywhere(ConcurrentDictionary<int, long> at) => at.Count == 4 && at.Values.Min() > meshed;
        if (!await NodeCluster.WaitUntil(() => arrived.Values.Count(Everywhere) >= blocks, timeout).ConfigureAwait(false))
        {
            context.Log.WriteLine($"  network: only {arrived.Values.Count(Everywhere)} of {blocks} blocks reached all four nodes within {timeout.TotalSeconds} s");
        }

        var propagation = Spread.Of(arrived.Values.Where(Everywhere).Select(at => NodeCluster.Ms(at.Values.Min(), at.Values.Max())));

        await cluster.CrashAsync(3).ConfigureAwait(false);
        var stoppedAt = cluster.Observer.Chain.Height;
        await NodeCluster.WaitUntil(() => cluster.Observer.Chain.Height >= stoppedAt + (ulong)behind, timeout).ConfigureAwait(false);
        var restarted = await cluster.RestartAsync(3).ConfigureAwait(false);
        var target = cluster.Observer.Chain.Height;
        var from = restarted.Chain.Height;
        var watch = Stopwatch.StartNew();
        var synced = await NodeCluster.WaitUntil(() => restarted.Chain.Height >= target, timeout).ConfigureAwait(false);
        watch.Stop();
        if (!synced)
        {
            context.Log.WriteLine($"  network: the restarted node reached {restarted.Chain.Height} of {target} within {timeout.TotalSeconds} s");
        }

        var caughtUp = (int)(Math.Min(restarted.Chain.Height, target) - Math.Min(from, target));
        return (propagation, (caughtUp, watch.Elapsed.TotalSeconds));
    }
}

using System.CommandLine;
using System.Globalization;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// <c>finality-trace [--level L] [--seconds S] [--vote-depth D] [--vote-delay-ms M]</c>: four validators as in the
/// report's registration experiment, each second every node's tip and last final height, then which validators voted
/// for each height, from which source and in which block. The tool behind the vote-schedule choice in
/// docs/consensus.md §5.4; it writes nothing.
/// </summary>
internal static class FinalityTrace
{
    public static int Run(string[] args)
    {
        var level = new Option<int>("--level") { Description = "Proof-of-work difficulty level of the nodes.", DefaultValueFactory = _ => 6 };
        var seconds = new Option<int>("--seconds") { Description = "How long to trace.", DefaultValueFactory = _ => 30 };
        var depth = new Option<int?>("--vote-depth") { Description = "LedgerNodeOptions.VoteDepth (default: the option's default)." };
        var delayMs = new Option<int?>("--vote-delay-ms") { Description = "LedgerNodeOptions.VoteDelay in milliseconds (default: the option's default)." };
        var command = new RootCommand("Four validators in this process: each second every node's tip and last final height, then the votes by target height.") { level, seconds, depth, delayMs };
        command.SetAction(parse =>
        {
            var delay = parse.GetValue(delayMs) is { } ms ? TimeSpan.FromMilliseconds(ms) : (TimeSpan?)null;
            return RunAsync(new ClusterSpec(4, 1, parse.GetValue(level), "trace", parse.GetValue(depth), delay), parse.GetValue(seconds)).GetAwaiter().GetResult();
        });
        return command.Parse(args).Invoke();
    }

    private static async Task<int> RunAsync(ClusterSpec spec, int seconds)
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-finality-trace-" + Guid.NewGuid().ToString("N")[..8]);
        var lags = new List<ulong>();
        try
        {
            await using var cluster = await NodeCluster.StartAsync(spec, dir);
            for (var s = 1; s <= seconds; s++)
            {
                await Task.Delay(1000);
                var nodes = cluster.Nodes.OfType<HealthLedger.Node.LedgerNode>().ToList();
                lags.Add(nodes[0].Chain.Height - nodes[0].Chain.LastFinal.Height);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{s,3} s] ") + string.Join("  ", nodes.Select(n => $"#{n.Chain.Height}/{n.Chain.LastFinal.Height}")));
            }

            var chain = cluster.Observer.Chain;
            var byTarget = new SortedDictionary<ulong, List<string>>();
            for (var h = 1UL; h <= chain.Height; h++)
            {
                foreach (var tx in chain.GetBestAt(h)!.Block.Transactions.Where(t => t.Payload is Attestation))
                {
                    var vote = (Attestation)tx.Payload;
                    if (!byTarget.TryGetValue(vote.BlockHeight, out var list))
                    {
                        byTarget[vote.BlockHeight] = list = [];
                    }

                    var onBest = chain.GetBestAt(vote.BlockHeight)?.Hash == vote.BlockHash ? "" : " (not on the best chain)";
                    list.Add(string.Create(CultureInfo.InvariantCulture, $"{tx.SenderAddress.ToString()[..8]} from #{vote.SourceHeight} in #{h}{onBest}"));
                }
            }

            Console.WriteLine("Votes by target height (voter, source, including block):");
            foreach (var (height, list) in byTarget)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{height}: {string.Join(", ", list)}"));
            }

            var skip = Math.Min(5, lags.Count - 1);
            var tail = lags.Skip(skip).ToList();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Node 0: tip #{chain.Height}, last final #{chain.LastFinal.Height}; blocks between tip and last final after the first {skip} s: mean {tail.Average(l => (double)l):F1}, max {tail.Max()}"));
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // a store still closing; the temp folder is cleaned by the system
            }
        }
    }
}

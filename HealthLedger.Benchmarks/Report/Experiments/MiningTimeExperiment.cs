using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using HealthLedger.Benchmarks.Consensus;
using HealthLedger.Consensus.Hashing;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 3: time to mine one block, PoW against ePoW with a neutral (m = 0), high-credit (m = +4) and penalised
/// (m = −4) miner, difficulty levels 1..6 (quick: 1..5). Every block is a fresh template mined from nonce 0 on one
/// thread with the SIMD/SHA-NI searcher and validated by the engine; the median and quartiles are over the blocks.
/// </summary>
internal sealed class MiningTimeExperiment : IReportExperiment
{
    public string Id => "mining-time";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var maxLevel = context.Scale.Pick(3, 5, 6);
        var searcher = SimdNonceSearcher.Instance;
        var rows = new List<(MinerProfile Profile, int Level, int Credit, double Expected, double MeanHashes, Spread Ms, double MeanMs)>();
        foreach (var profile in Enum.GetValues<MinerProfile>())
        {
            for (var level = 1; level <= maxLevel; level++)
            {
                var scenario = new MiningScenario(level, profile);
                var expectedCredit = profile switch { MinerProfile.HighCredit => 4, MinerProfile.Penalised => -4, _ => 0 };
                if (scenario.Credit != expectedCredit)
                {
                    // The engine's credit rules moved away from the scenario: the figure would mislabel its lines.
                    throw new InvalidOperationException($"The {profile} miner has credit {scenario.Credit}, not {expectedCredit}.");
                }

                var blocks = BlocksFor(scenario.ExpectedHashes, context.Scale);
                if (blocks == 0)
                {
                    continue;
                }

                var sealer = scenario.Engine.CreateSealer(searcher);
                scenario.Mine(sealer, -1); // warm-up
                var times = new double[blocks];
                var hashes = new double[blocks];
                for (var i = 0; i < blocks; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var result = scenario.Mine(sealer, i);
                    times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    hashes[i] = result.Attempts;
                    if (!scenario.Engine.ValidateSeal(result.Header!, scenario.View).IsValid)
                    {
                        throw new InvalidOperationException($"A mined block failed validation ({profile}, level {level}).");
                    }
                }

                rows.Add((profile, level, scenario.Credit, (double)scenario.ExpectedHashes, hashes.Average(), Spread.Of(times), times.Average()));
                context.Log.WriteLine($"  {profile,-12} level {level}: {blocks} blocks, median {Spread.Of(times).Median:F3} ms");
            }
        }

        var (path, link) = context.Figure("mining-time.png");
        var series = Enum.GetValues<MinerProfile>().Select(p =>
        {
            var cells = rows.Where(r => r.Profile == p).OrderBy(r => r.Level).ToArray();
            return new Series(Label(p), [.. cells.Select(c => (double)c.Level)], [.. cells.Select(c => c.Ms.Median)], [.. cells.Select(c => c.Ms.P25)], [.. cells.Select(c => c.Ms.P75)]);
        }).ToList();
        Figures.Lines(path, $"Mining time per block, one thread, {NonceSearch.Resolve(HashKernel.Auto)} kernel", "Difficulty level d (hash below 16^(64−d))", "Time per block, ms (log; median, bars: quartiles)", series, logY: true, xTicks: [.. Enumerable.Range(1, maxLevel).Select(d => (double)d)]);

        var table = new MarkdownTable("Miner", "m", "Level", "Blocks", "Expected hashes", "Mean hashes", "Median ms (p25–p75)", "Mean ms");
        foreach (var r in rows)
        {
            table.Row(Label(r.Profile), r.Credit.ToString("+0;−0;0", CultureInfo.InvariantCulture), r.Level.ToString(CultureInfo.InvariantCulture), r.Ms.Count.ToString(CultureInfo.InvariantCulture),
                r.Expected.ToString("N0", CultureInfo.InvariantCulture), r.MeanHashes.ToString("N0", CultureInfo.InvariantCulture), r.Ms.Format("0.###"), r.MeanMs.ToString("0.###", CultureInfo.InvariantCulture));
        }

        var md = new StringBuilder();
        md.AppendLine("### Mining time: PoW against ePoW (Figure 4)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. One thread, {NonceSearch.Describe(HashKernel.Auto)}; every block a fresh template mined from nonce 0 (the effective target from the engine, the nonce search and, for ePoW, the Ed25519 seal signature) and validated by the engine. A miner's credit m divides its expected work by 2^m: a high-credit miner (m = +4) does the work of PoW one level lower, a penalised one (m = −4) one level higher; neutral ePoW costs what PoW costs plus one signature (≈ 0.1 ms, visible at levels 1–2). Blocks per cell follow the expected hash count, so the slowest cells rest on few blocks: read their spread before their median.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Mining time per block]({link})").AppendLine();
        md.Append(table);
        return (md.ToString(), [path]);
    }

    internal static int BlocksFor(BigInteger expected, ReportScale scale)
    {
        bool AtMost(int log2) => expected * 100 <= (BigInteger.One << log2) * 101;
        return scale switch
        {
            ReportScale.Tiny => AtMost(12) ? 5 : 0,
            ReportScale.Quick => AtMost(12) ? 100 : AtMost(16) ? 50 : AtMost(20) ? 10 : AtMost(24) ? 3 : 0,
            _ => AtMost(12) ? 1000 : AtMost(16) ? 500 : AtMost(20) ? 100 : AtMost(24) ? 15 : AtMost(28) ? 3 : 0,
        };
    }

    internal static string Label(MinerProfile profile) => profile switch
    {
        MinerProfile.ProofOfWork => "PoW",
        MinerProfile.Neutral => "ePoW neutral (m = 0)",
        MinerProfile.HighCredit => "ePoW high credit (m = +4)",
        MinerProfile.Penalised => "ePoW penalised (m = −4)",
        _ => profile.ToString(),
    };
}

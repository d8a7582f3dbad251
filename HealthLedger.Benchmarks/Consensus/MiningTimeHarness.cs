using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text;
using HealthLedger.Consensus.Sealing;

namespace HealthLedger.Benchmarks.Consensus;

/// <summary>
/// Mining time, PoW vs ePoW (neutral, high-credit, penalised miner) at difficulty levels 1..6: the paper's Figure 4
/// with enough blocks per point to mean something. BenchmarkDotNet would need minutes per iteration at levels 5 and 6,
/// so this harness mines a stated number of independent blocks per cell, single-threaded, and reports mean, standard
/// deviation and standard error of the wall time and of the hash count, as CSV and a PNG plot.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- consensus-mining [--quick] [--scalar] [--out docs/img]</c>.
/// With the default SIMD/SHA-NI searcher: E ≤ 2^12: 1000 blocks; ≤ 2^16: 500; ≤ 2^20: 100; ≤ 2^24: 20; ≤ 2^28: 3. With --scalar:
/// Blocks per cell follow the expected hash count E (16^d · 2^−m): E ≤ 2^12 (+1 % for compact rounding): 1000 blocks; ≤ 2^16: 200; ≤ 2^20: 20;
/// ≤ 2^24: 3; above 2^24 (only the penalised miner at level 6, 2^28 hashes) the cell is skipped. --quick divides the
/// block counts by 10 (at least 1) for a smoke run. Each block is a fresh template (new Merkle root) mined from nonce 0;
/// time covers the effective-target computation, the nonce search and (ePoW) the Ed25519 seal signature.
/// </remarks>
internal static class MiningTimeHarness
{
    public static int Run(string[] args, INonceSearcher? searcher = null)
    {
        var quick = args.Contains("--quick");
        var outIndex = Array.IndexOf(args, "--out");
        var outDir = outIndex >= 0 && outIndex + 1 < args.Length ? args[outIndex + 1] : "docs/img";
        var maxLevelIndex = Array.IndexOf(args, "--max-level");
        var maxLevel = maxLevelIndex >= 0 ? int.Parse(args[maxLevelIndex + 1], CultureInfo.InvariantCulture) : 6;
        Directory.CreateDirectory(outDir);

        // The multi-lane SIMD / SHA-NI searcher by default (--scalar for the BCL one-hash-per-nonce searcher); the fast
        // searcher affords more blocks per cell and the penalised miner at level 6.
        var fast = searcher is null && !args.Contains("--scalar");
        searcher ??= fast ? HealthLedger.Consensus.Hashing.SimdNonceSearcher.Instance : ScalarNonceSearcher.Instance;
        var results = new List<CellResult>();
        foreach (var profile in Enum.GetValues<MinerProfile>())
        {
            for (var level = 1; level <= maxLevel; level++)
            {
                var scenario = new MiningScenario(level, profile);
                var expected = scenario.ExpectedHashes;
                var blocks = BlocksFor(expected, quick, fast);
                if (blocks == 0)
                {
                    Console.WriteLine($"{profile,-12} level {level}: skipped (expected {expected:N0} hashes per block)");
                    continue;
                }

                var cell = Measure(scenario, level, blocks, searcher);
                results.Add(cell);
                Console.WriteLine(cell.ToString());
            }
        }

        var csv = Path.Combine(outDir, "consensus-mining-time.csv");
        File.WriteAllText(csv, CellResult.CsvHeader + "\n" + string.Join("\n", results.Select(r => r.ToCsv())) + "\n");
        var png = Path.Combine(outDir, "consensus-mining-time.png");
        MiningTimePlot.Save(results, png, searcher.GetType().Name);
        var totalHashes = results.Sum(r => r.MeanHashes * r.Blocks);
        var totalSeconds = results.Sum(r => r.MeanMs * r.Blocks) / 1000;
        Console.WriteLine($"Overall: {totalHashes / totalSeconds / 1e6:F2} MH/s on one thread with {searcher.GetType().Name}. Wrote {csv} and {png}.");
        return 0;
    }

    internal static int BlocksFor(BigInteger expectedHashes, bool quick, bool fast = false)
    {
        // Compact rounding puts the expected count a hair above 16^d; compare against the power of two plus 1 %.
        bool AtMost(int log2) => expectedHashes * 100 <= (BigInteger.One << log2) * 101;
        var blocks = fast
            ? (AtMost(12) ? 1000 : AtMost(16) ? 500 : AtMost(20) ? 100 : AtMost(24) ? 20 : AtMost(28) ? 3 : 0)
            : (AtMost(12) ? 1000 : AtMost(16) ? 200 : AtMost(20) ? 20 : AtMost(24) ? 3 : 0);
        return quick && blocks > 0 ? Math.Max(1, blocks / 10) : blocks;
    }

    private static CellResult Measure(MiningScenario scenario, int level, int blocks, INonceSearcher searcher)
    {
        var sealer = scenario.Engine.CreateSealer(searcher);
        scenario.Mine(sealer, -1); // warm-up (JIT, key schedule)
        var times = new double[blocks];
        var hashes = new double[blocks];
        for (var i = 0; i < blocks; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var result = scenario.Mine(sealer, i);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            hashes[i] = result.Attempts;
            var verdict = scenario.Engine.ValidateSeal(result.Header!, scenario.View);
            if (!verdict.IsValid)
            {
                throw new InvalidOperationException($"Mined block failed validation: {verdict}");
            }
        }

        return new CellResult(scenario.Profile, level, scenario.Credit, blocks, (double)scenario.ExpectedHashes, Mean(hashes), Mean(times), StdDev(times));
    }

    private static double Mean(double[] xs) => xs.Average();

    private static double StdDev(double[] xs)
    {
        if (xs.Length < 2)
        {
            return 0;
        }

        var mean = xs.Average();
        return Math.Sqrt(xs.Sum(x => (x - mean) * (x - mean)) / (xs.Length - 1));
    }
}

/// <summary>One measured cell: a miner profile at one difficulty level.</summary>
internal sealed record CellResult(MinerProfile Profile, int Level, int Credit, int Blocks, double ExpectedHashes, double MeanHashes, double MeanMs, double StdDevMs)
{
    public const string CsvHeader = "profile,level,credit,blocks,expected_hashes,mean_hashes,mean_ms,stddev_ms,stderr_ms";

    public double StdErrMs => Blocks > 1 ? StdDevMs / Math.Sqrt(Blocks) : 0;

    public string ToCsv() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Profile},{Level},{Credit},{Blocks},{ExpectedHashes:F0},{MeanHashes:F0},{MeanMs:F3},{StdDevMs:F3},{StdErrMs:F3}");

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{Profile,-12} level {Level} (m={Credit,2}): {Blocks,4} blocks, ");
        sb.Append(CultureInfo.InvariantCulture, $"hashes mean {MeanHashes,12:N0} (expected {ExpectedHashes,12:N0}), ");
        sb.Append(CultureInfo.InvariantCulture, $"time mean {MeanMs,10:F2} ms, sd {StdDevMs,10:F2} ms, se {StdErrMs,9:F2} ms");
        return sb.ToString();
    }
}

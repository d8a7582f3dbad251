using System.Diagnostics;
using System.Globalization;

namespace HealthLedger.Tests.Simulation;

/// <summary>What a batch of seeds did.</summary>
internal sealed record SimulationReport(int Seeds, IReadOnlyList<SimulationResult> Failures, TimeSpan Elapsed, long BlocksMined, long MessagesSent);

/// <summary>
/// Runs seeds one after another (each run is single-threaded and independent). The seeds come from the environment:
/// <c>HEALTHLEDGER_SIM_SEED</c> replays one seed exactly; otherwise <c>HEALTHLEDGER_SIM_SEEDS</c> seeds (default
/// <see cref="DefaultSeeds"/>) starting at <c>HEALTHLEDGER_SIM_FIRST_SEED</c> (default 1); <c>HEALTHLEDGER_SIM_WORKERS</c>
/// runs that many seeds at once.
/// </summary>
internal static class SimulationRunner
{
    public const int DefaultSeeds = 1_000;

    public static IReadOnlyList<ulong> SeedsFromEnvironment()
    {
        if (Parse("HEALTHLEDGER_SIM_SEED") is { } one)
        {
            return [one];
        }

        var count = Parse("HEALTHLEDGER_SIM_SEEDS") ?? DefaultSeeds;
        var first = Parse("HEALTHLEDGER_SIM_FIRST_SEED") ?? 1;
        return [.. Enumerable.Range(0, checked((int)count)).Select(i => first + (ulong)i)];
    }

    /// <summary>
    /// Runs the seeds, on <c>HEALTHLEDGER_SIM_WORKERS</c> threads (default 1). Each run stays single-threaded and
    /// depends only on its seed, so the workers change the wall time, never a result; failures are reported in seed order.
    /// </summary>
    public static SimulationReport Run(IReadOnlyList<ulong> seeds, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(log);
        var watch = Stopwatch.StartNew();
        var trace = seeds.Count == 1 && Environment.GetEnvironmentVariable("HEALTHLEDGER_SIM_TRACE") == "1" ? log : null;
        var results = new SimulationResult[seeds.Count];
        var workers = (int)Math.Clamp(Parse("HEALTHLEDGER_SIM_WORKERS") ?? 1, 1, 64);
        Parallel.For(0, seeds.Count, new ParallelOptions { MaxDegreeOfParallelism = workers }, i =>
            results[i] = new Simulator(Scenario.Generate(seeds[i])) { FullTrace = trace }.Run());

        var failures = results.Where(r => !r.Passed).ToList();
        foreach (var failure in failures)
        {
            log.WriteLine(Describe(failure));
        }

        return new SimulationReport(seeds.Count, failures, watch.Elapsed, results.Sum(r => r.BlocksMined), results.Sum(r => r.MessagesSent));
    }

    /// <summary>A failure as it should be printed: the scenario (so it replays exactly), the violations, the last events.</summary>
    public static string Describe(SimulationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine($"FAILED {result.Scenario}");
        w.WriteLine($"  replay: HEALTHLEDGER_SIM_SEED={result.Scenario.Seed} dotnet test HealthLedger.Tests -c Release --filter \"FullyQualifiedName~Simulation\"");
        foreach (var v in result.Violations)
        {
            w.WriteLine($"  {v}");
        }

        w.WriteLine("  last events:");
        foreach (var e in result.LastEvents.TakeLast(12))
        {
            w.WriteLine($"    {e}");
        }

        return w.ToString();
    }

    private static ulong? Parse(string variable) =>
        Environment.GetEnvironmentVariable(variable) is { Length: > 0 } text
            ? ulong.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture)
            : null;
}

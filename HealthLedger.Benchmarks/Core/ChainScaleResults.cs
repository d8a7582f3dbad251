using System.Globalization;
using System.Text;
using System.Text.Json;
using HealthLedger.Benchmarks.Report;

namespace HealthLedger.Benchmarks.Core;

/// <summary>Append time, heap and RSS over one slice of 5,000 blocks while building.</summary>
internal sealed record ChainScaleSlice(int Blocks, double P50Ms, double P99Ms, long HeapBytes, long RssBytes, string Load);

/// <summary>What building the chain measured (the chain following, as a node does).</summary>
internal sealed record ChainScaleBuild(long Anchors, double AppendP50Ms, double AppendP99Ms, long RssBytes, long HeapBytes, IReadOnlyList<ChainScaleSlice> Slices);

/// <summary>One restart of the chain in a fresh process.</summary>
internal sealed record ChainScaleOpen(
    double NativeLoadMs,
    double OpenMs,
    double BlockStoreOpenMs,
    double StateStoreOpenMs,
    int SegmentsScanned,
    int Segments,
    long SegmentBytesScanned,
    long ReplayedBlocks,
    ulong ReplayedFromHeight,
    ulong TipHeight,
    long RssAfterOpenBytes,
    long HeapAfterOpenBytes,
    double PointLookupMicroseconds,
    double OldBlockMs,
    bool OldBlockPruned,
    double FirstUnknownHashMs,
    long IndexFilesLoaded,
    double NextUnknownHashMicroseconds,
    long RssAfterLookupsBytes,
    string Load,
    long BloomFilesLoaded = -1);

/// <summary>The restarts of one chain (each in its own process).</summary>
internal sealed record ChainScaleRestarts(IReadOnlyList<ChainScaleOpen> Runs)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public ChainScaleOpen Median => Runs.OrderBy(r => r.OpenMs).ElementAt(Runs.Count / 2);
}

/// <summary>One run of the scale harness for one chain length: the build and the restarts, with where and when.</summary>
internal sealed record ChainScaleResult
{
    public required int Blocks { get; init; }

    public required long? KeepRecentBodies { get; init; }

    /// <summary>Record anchors per block (55 unless the run said otherwise).</summary>
    public int AnchorsPerBlock { get; init; } = 55;

    public required string Directory { get; init; }

    public required string Command { get; init; }

    public required DateTimeOffset Date { get; init; }

    public required string Commit { get; init; }

    public required string Machine { get; init; }

    public required string LoadBefore { get; init; }

    public required string LoadAfterBuild { get; init; }

    public required double BuildSeconds { get; init; }

    public required ChainScaleBuild Build { get; init; }

    public required long DiskBytes { get; init; }

    public required ChainScaleRestarts Restart { get; init; }

    /// <summary>Set when the restarts were measured again later (<c>scale reopen</c>) by another build.</summary>
    public required string? RestartCommit { get; init; }

    public required string RestartLoad { get; init; }

    public required DateTimeOffset RestartDate { get; init; }
}

/// <summary>
/// Stores the scale harness's results as JSON (one file per chain length and pruning setting, under docs/data/chain-scale)
/// and renders the <c>chain-scale-results</c> section of docs/benchmarks.md and docs/figures/chain-scale.png from them,
/// so no number of that section is typed by hand.
/// </summary>
internal static class ChainScaleResults
{
    public const string SectionId = "chain-scale-results";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static string FileFor(string resultsDirectory, string chainDirectory) =>
        Path.Combine(resultsDirectory, Path.GetFileName(Path.TrimEndingDirectorySeparator(chainDirectory)) + ".json");

    public static void Write(string file, ChainScaleResult result)
    {
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, JsonSerializer.Serialize(result, Json) + "\n");
    }

    public static ChainScaleResult? Read(string file) =>
        File.Exists(file) ? JsonSerializer.Deserialize<ChainScaleResult>(File.ReadAllText(file), Json) : null;

    public static string FormatOpen(ChainScaleOpen open) => JsonSerializer.Serialize(open, Json);

    public static ChainScaleOpen ParseOpen(string json) =>
        JsonSerializer.Deserialize<ChainScaleOpen>(json, Json) ?? throw new InvalidDataException("empty restart result");

    /// <summary>Rewrites the section and the figure from every result file in <paramref name="resultsDirectory"/>.</summary>
    public static void Render(string resultsDirectory, string documentPath)
    {
        var results = System.IO.Directory.Exists(resultsDirectory)
            ? System.IO.Directory.EnumerateFiles(resultsDirectory, "*.json").Select(f => Read(f)!).OrderBy(r => r.Blocks).ThenBy(r => r.AnchorsPerBlock).ThenBy(r => r.KeepRecentBodies ?? long.MaxValue).ToList()
            : [];
        var figures = Path.Combine(Path.GetDirectoryName(documentPath)!, "figures");
        var body = Markdown(results, figures);
        File.WriteAllText(documentPath, BenchmarksDocument.Merge(File.ReadAllText(documentPath), [(SectionId, body)]));
    }

    private static string Markdown(List<ChainScaleResult> results, string figures)
    {
        var sb = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        sb.Append(c, $"Generated by `scale` from {results.Count} result file(s) in `docs/data/chain-scale/` (one per chain length and pruning setting; `scale render` redraws this section, `scale reopen DIR` measures a kept chain's restarts again with the current build). Each row names its own run: the command, date, commit and load averages.\n\n");
        if (results.Count == 0)
        {
            sb.Append("No results yet.\n");
            return sb.ToString();
        }

        sb.Append("| blocks | anchors (per block) | pruning | append p50 / p99 | heap / RSS while following (min–max over 5,000-block slices) | disk (per anchor) | restart: open, median of runs (max) | of it: block store open (segments scanned); state store open | before it, once per process: RocksDB's native library | replayed above final | RSS / heap after open | point lookup (record + device + sequence) | old block body | first / next unknown-hash lookup |\n");
        sb.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in results)
        {
            var m = r.Restart.Median;
            var slices = r.Build.Slices;
            var heap = slices.Count > 0 ? $"{slices.Min(s => s.HeapBytes) / 1e6:F0}–{slices.Max(s => s.HeapBytes) / 1e6:F0} MB / {slices.Min(s => s.RssBytes) / 1e6:F0}–{slices.Max(s => s.RssBytes) / 1e6:F0} MB" : $"{r.Build.HeapBytes / 1e6:F0} MB / {r.Build.RssBytes / 1e6:F0} MB";
            sb.Append(c, $"| {r.Blocks:N0} | {r.Build.Anchors:N0} ({r.AnchorsPerBlock}) | {(r.KeepRecentBodies is { } k ? $"keep {k:N0} bodies" : "off")} | {r.Build.AppendP50Ms:F2} / {r.Build.AppendP99Ms:F1} ms | {heap} | {Bytes(r.DiskBytes)} ({(double)r.DiskBytes / Math.Max(1, r.Build.Anchors):F0} B) | ");
            sb.Append(c, $"**{m.OpenMs:F0} ms** ({r.Restart.Runs.Max(o => o.OpenMs):F0} ms; {r.Restart.Runs.Count} runs) | {m.BlockStoreOpenMs:F0} ms ({m.SegmentsScanned} of {m.Segments}, {m.SegmentBytesScanned / 1e6:F1} MB); {m.StateStoreOpenMs:F0} ms | {(m.NativeLoadMs > 0 ? $"{m.NativeLoadMs:F0} ms" : "not measured apart")} | {m.ReplayedBlocks} (final #{m.ReplayedFromHeight:N0}, tip #{m.TipHeight:N0}) | ");
            sb.Append(c, $"{m.RssAfterOpenBytes / 1e6:F0} MB / {m.HeapAfterOpenBytes / 1e6:F1} MB | {m.PointLookupMicroseconds:F0} µs | {(m.OldBlockPruned ? $"pruned: typed refusal ({m.OldBlockMs:F1} ms)" : $"{m.OldBlockMs:F1} ms")} | {m.FirstUnknownHashMs:F1} ms ({m.IndexFilesLoaded} index files{(m.BloomFilesLoaded >= 0 ? $", {m.BloomFilesLoaded} filter files" : string.Empty)}) / {m.NextUnknownHashMicroseconds:F0} µs |\n");
        }

        sb.Append("\nRuns:\n\n");
        foreach (var r in results)
        {
            sb.Append(c, $"- {r.Blocks:N0} blocks{(r.KeepRecentBodies is { } k ? $", keep {k:N0}" : string.Empty)}: `{r.Command}` on {r.Date:yyyy-MM-dd HH:mm} UTC, commit {r.Commit}; built in {r.BuildSeconds / 60:F1} min, load {r.LoadBefore} before and {r.LoadAfterBuild} after the build; ");
            sb.Append(c, $"restarts {(r.RestartCommit is { } rc ? $"measured again on {r.RestartDate:yyyy-MM-dd HH:mm} UTC by commit {rc} " : string.Empty)}at load {r.RestartLoad}.\n");
        }

        sb.Append(c, $"\nMachine: {results[^1].Machine}.\n");
        if (results.Count > 1)
        {
            var small = results[0];
            var large = results[^1];
            sb.Append(c, $"\nFrom {small.Blocks:N0} to {large.Blocks:N0} blocks ({(double)large.Blocks / small.Blocks:F0}× the chain): restart {small.Restart.Median.OpenMs:F0} → {large.Restart.Median.OpenMs:F0} ms, RSS after open {small.Restart.Median.RssAfterOpenBytes / 1e6:F0} → {large.Restart.Median.RssAfterOpenBytes / 1e6:F0} MB, heap after open {small.Restart.Median.HeapAfterOpenBytes / 1e6:F1} → {large.Restart.Median.HeapAfterOpenBytes / 1e6:F1} MB, append p50 {small.Build.AppendP50Ms:F2} → {large.Build.AppendP50Ms:F2} ms, point lookup {small.Restart.Median.PointLookupMicroseconds:F0} → {large.Restart.Median.PointLookupMicroseconds:F0} µs (load averages as listed above).\n");
        }

        foreach (var r in results.Where(r => r.KeepRecentBodies is not null && r.Build.Anchors > 0).OrderByDescending(r => r.Build.Anchors).Take(1))
        {
            // The issue's load: 10,000 devices, one anchor a minute each = 14.4 M anchors a day, for a year.
            const double AnchorsPerYear = 14.4e6 * 365;
            var perAnchor = (double)r.DiskBytes / r.Build.Anchors;
            sb.Append(c, $"\nDisk for 14.4 M anchors a day for a year (5.26 G anchors) at the {r.Blocks:N0}-block pruned run's {perAnchor:F0} B per anchor (its state plus the {r.KeepRecentBodies:N0} kept bodies, which do not grow): about {AnchorsPerYear * perAnchor / 1e12:F2} TB, a linear extrapolation of what this run measured.\n");
        }

        var withSlices = results.Where(r => r.Build.Slices.Count > 1).ToList();
        if (withSlices.Count > 0)
        {
            System.IO.Directory.CreateDirectory(figures);
            var series = withSlices.Select(r => new Series(
                $"{r.Blocks:N0} blocks of {r.AnchorsPerBlock} anchors{(r.KeepRecentBodies is { } k ? $", keep {k:N0}" : string.Empty)}",
                [.. r.Build.Slices.Select(s => (double)s.Blocks)],
                [.. r.Build.Slices.Select(s => s.P50Ms)],
                [.. r.Build.Slices.Select(s => s.P50Ms)],
                [.. r.Build.Slices.Select(s => s.P99Ms)])).ToList();
            Figures.Lines(Path.Combine(figures, "chain-scale.png"), "Append time per block as the chain grows (p50, bar to p99, per 5,000 blocks)", "chain length (blocks)", "append time (ms)", series, logY: true);
            var heapSeries = withSlices.Select(r => new Series(
                $"{r.Blocks:N0} blocks of {r.AnchorsPerBlock} anchors{(r.KeepRecentBodies is { } k ? $", keep {k:N0}" : string.Empty)}",
                [.. r.Build.Slices.Select(s => (double)s.Blocks)],
                [.. r.Build.Slices.Select(s => s.HeapBytes / 1e6)],
                [.. r.Build.Slices.Select(s => s.HeapBytes / 1e6)],
                [.. r.Build.Slices.Select(s => s.RssBytes / 1e6)])).ToList();
            Figures.Lines(Path.Combine(figures, "chain-scale-memory.png"), "Memory while following: managed heap after a full GC (bar up to RSS), per 5,000 blocks", "chain length (blocks)", "MB", heapSeries);
            sb.Append("\n![Append time per block against chain length](figures/chain-scale.png)\n\n![Heap and RSS against chain length](figures/chain-scale-memory.png)\n");
        }

        return sb.ToString();
    }

    private static string Bytes(long bytes) =>
        bytes >= 1e9 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:F2} GB") : string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:F0} MB");
}

using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using HealthLedger.Benchmarks.Core;
using HealthLedger.Benchmarks.Detection;
using HealthLedger.Benchmarks.Network;
using HealthLedger.Benchmarks.Records;
using HealthLedger.Benchmarks.Storage;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>One table of the BenchmarkDotNet section: a concern and the classes that measure it.</summary>
/// <param name="Title">Heading.</param>
/// <param name="Classes">Benchmark classes, each run at every scale but tiny.</param>
/// <param name="Tiny">The one class a smoke run executes (its first case per method).</param>
/// <param name="Note">What the classes measure (no numbers: those come from the run).</param>
internal sealed record BdnSuite(string Title, Type[] Classes, Type Tiny, string Note);

/// <summary>
/// The BenchmarkDotNet suites (ledger core, block store, detection runtime, records, network) run through
/// <see cref="BenchmarkRunner"/> in process with a job sized by the report's scale, rendered as tables of medians,
/// standard errors, ratios to the class's baseline and allocations, with the out-of-process command beside each.
/// </summary>
internal sealed class BdnSuitesExperiment : IReportExperiment
{
    /// <summary>The suites in the order of the document.</summary>
    public static readonly BdnSuite[] Suites =
    [
        new("Ledger core", [typeof(SignatureBenchmarks), typeof(ValidationBenchmarks), typeof(MerkleBenchmarks), typeof(EncodingBenchmarks), typeof(RegistrationBenchmarks)], typeof(SignatureBenchmarks),
            "Ed25519 through BouncyCastle; transaction validation (shape and signature, cold signature cache) on one core and on all cores; a 1,000-transaction block validated and applied with a cold cache (as from the network) and a warm one (its transactions already admitted to the mempool); Merkle roots and proofs; block encoding; mempool admission of registrations."),
        new("Block store", [typeof(FileBlockStoreAppendBenchmarks), typeof(FileBlockStoreReplayBenchmarks), typeof(ReplayBenchmarks)], typeof(FileBlockStoreAppendBenchmarks),
            "`FileBlockStore` appends with an fsync per block (the default) and batched (one `Flush` per 100), opening a 10,000-block store (every checksum verified, index rebuilt) with and without reading every block, and a 10,000-block chain validated from the network against reopened and replayed from its file store ([storage.md](storage.md))."),
        new("Detection runtime", [typeof(DetectorLatencyBenchmarks), typeof(DetectorBenchmarks), typeof(DetectorParallelBatchBenchmarks)], typeof(DetectorLatencyBenchmarks),
            "The shipped DSAE+BiLSTM (ONNX Runtime): one submission classified (features, window, inference), raw batched inference and batched classification at batch 1, 64 and 512 on one core, and batch 512 with `BatchParallelism = 2` ([detection-runtime.md](detection-runtime.md))."),
        new("Records", [typeof(RecordVaultBenchmarks)], typeof(RecordVaultBenchmarks),
            "`RecordVault` without a chain: ingestion (FHIR bundle built, validated, encrypted, stored and pinned) and retrieval (fetched, CID and hash checked, decrypted, parsed) on the file store and, when `HEALTHLEDGER_IPFS_API` names a Kubo endpoint, on IPFS ([records.md](records.md))."),
        new("Network", [typeof(BlockPropagationBenchmarks)], typeof(BlockPropagationBenchmarks),
            "Blocks published at one `GossipNode` of a full mesh of four over the in-memory network (announce, fetch, full validation with cold signature caches, relay) until all four have connected each, against connecting the same blocks on one chain with no peers. Sockets and TLS: the \"Network\" section."),
    ];

    /// <summary>Classes too slow to set up for a quick or smoke run.</summary>
    private static readonly HashSet<Type> FullOnly = [typeof(ReplayBenchmarks)];

    public string Id => "bdn-suites";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var job = context.Scale switch
        {
            ReportScale.Tiny => Job.Dry,
            ReportScale.Quick => Job.Default.WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(50)).WithEvaluateOverhead(false),
            _ => Job.ShortRun,
        };
        job = job.WithToolchain(InProcessEmitToolchain.Instance).WithId("report");
        var jobText = context.Scale switch
        {
            ReportScale.Tiny => "`Job.Dry` (one cold invocation per case, only the first case of each method of one class per suite: a smoke test, not a measurement)",
            ReportScale.Quick => "1 warm-up and 3 measured iterations of about 50 ms each, the empty-loop overhead not measured nor subtracted (it is nanoseconds; the cases here take microseconds or more)",
            _ => "`Job.ShortRun` (3 warm-up and 3 measured iterations)",
        };
        var ipfs = Environment.GetEnvironmentVariable("HEALTHLEDGER_IPFS_API");

        var md = new StringBuilder();
        md.AppendLine("### BenchmarkDotNet suites").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. The classes below run through BenchmarkDotNet's `BenchmarkRunner` **in process** (`InProcessEmitToolchain`, so the report does not build one project per class) with {jobText}, `[MemoryDiagnoser]` on. Out of process, with BenchmarkDotNet's own job and statistics, each class runs with the command beside its table (`BenchmarkSwitcher`; see \"Running the suites out of process\" below). Median and standard error are per operation; the ratio is the median against the class's baseline case with the same parameters. Cases whose setup failed are listed as failed.").AppendLine();
        foreach (var suite in Suites)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"#### {suite.Title}").AppendLine();
            md.AppendLine(suite.Note).AppendLine();
            var classes = context.Scale == ReportScale.Tiny ? [suite.Tiny] : suite.Classes;
            foreach (var type in classes)
            {
                if (context.Scale != ReportScale.Full && FullOnly.Contains(type))
                {
                    md.AppendLine(CultureInfo.InvariantCulture, $"`{type.Name}` — full run only (its setup builds and validates a whole chain): `dotnet run -c Release --project HealthLedger.Benchmarks -- report --only {Id}`, or out of process `dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*.{type.Name}.*'`.").AppendLine();
                    continue;
                }

                context.Log.WriteLine($"  bdn {type.Name}");
                var summary = RunClass(type, job, context, ipfs);
                md.AppendLine(CultureInfo.InvariantCulture, $"`{type.Name}` — out of process: `dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*.{type.Name}.*' --job short`").AppendLine();
                md.Append(Table(summary)).AppendLine();
                if (Interpret(summary) is { } reading)
                {
                    md.AppendLine(reading).AppendLine();
                }
            }
        }

        md.AppendLine(ipfs is null
            ? "IPFS cases ran: no (`HEALTHLEDGER_IPFS_API` unset; `eval \"$(bash .ci/ipfs/ipfs.sh start)\"` first to include them)."
            : $"IPFS cases ran: yes, against `{ipfs}`.");
        return (md.ToString(), []);
    }

    private static Summary RunClass(Type type, Job job, ReportContext context, string? ipfs)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        bool Keep(BenchmarkCase c)
        {
            if (!string.Equals(c.Job.Id, "report", StringComparison.Ordinal))
            {
                return false; // jobs from the class's own [Config]/[SimpleJob] attributes
            }

            if (ipfs is null && c.Parameters.Items.Any(p => p.Value is RecordStoreKind.Ipfs))
            {
                return false;
            }

            // A smoke run keeps the first case of each method (the smallest parameters).
            return context.Scale != ReportScale.Tiny || seen.Add(c.Descriptor.WorkloadMethod.Name);
        }

        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(new TextLogger(context.Log))
            .AddColumnProvider(BenchmarkDotNet.Columns.DefaultColumnProviders.Instance)
            .AddFilter(new SimpleFilter(Keep))
            .WithArtifactsPath(Path.Combine(context.WorkDirectory, "bdn"))
            .WithOptions(ConfigOptions.DisableLogFile | ConfigOptions.DisableOptimizationsValidator);
        return BenchmarkRunner.Run(type, config);
    }

    /// <summary>The table of one class: method, parameters, median, standard error, ratio to baseline, allocated.</summary>
    internal static MarkdownTable Table(Summary summary)
    {
        var table = new MarkdownTable("Method", "Params", "Median", "Std. error", "Ratio to baseline", "Allocated / op");
        var medians = summary.Reports.Where(r => r.Success && r.ResultStatistics is not null)
            .ToDictionary(r => r.BenchmarkCase, r => r.ResultStatistics!.Median);
        foreach (var report in summary.Reports)
        {
            var c = report.BenchmarkCase;
            var parameters = c.Parameters.Count == 0 ? "—" : c.Parameters.DisplayInfo;
            var method = c.Descriptor.WorkloadMethodDisplayInfo + (c.Descriptor.Baseline ? " (baseline)" : string.Empty);
            if (!report.Success || report.ResultStatistics is null)
            {
                table.Row(method, parameters, "failed", "—", "—", "—");
                continue;
            }

            var stats = report.ResultStatistics;
            var baseline = medians.FirstOrDefault(m => m.Key.Descriptor.Baseline && m.Key.Descriptor.Type == c.Descriptor.Type && m.Key.Parameters.DisplayInfo == c.Parameters.DisplayInfo);
            var ratio = baseline.Key is null || baseline.Value <= 0 ? "—" : (stats.Median / baseline.Value).ToString(stats.Median / baseline.Value >= 0.01 ? "0.00" : "G2", CultureInfo.InvariantCulture);
            var allocated = report.GcStats.GetBytesAllocatedPerOperation(c);
            table.Row(method, parameters, Time(stats.Median), stats.N > 1 ? Time(stats.StandardError) : "—", ratio, allocated is { } a ? Bytes(a) : "—");
        }

        return table;
    }

    /// <summary>A sentence read from the run's own medians, for the classes whose cases compare two ways of doing the same work.</summary>
    internal static string? Interpret(Summary summary)
    {
        double? Median(string method) => summary.Reports.FirstOrDefault(r => r.Success && r.ResultStatistics is not null && r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics!.Median;
        if (Median(nameof(ValidationBenchmarks.Block1000ColdSignatureCache)) is { } cold && Median(nameof(ValidationBenchmarks.Block1000WarmSignatureCache)) is { } warm && cold > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Read from this run: the warm-cache block took {100 * warm / cold:F0} % of the cold one, so signature checks were about {100 * (1 - (warm / cold)):F0} % of validating a block from the network.");
        }

        if (Median(nameof(ReplayBenchmarks.ValidateFromNetwork)) is { } network && Median(nameof(ReplayBenchmarks.ReplayFromDisk)) is { } replay && replay > 0)
        {
            return string.Create(CultureInfo.InvariantCulture, $"Read from this run: replaying the chain from its file store was {network / replay:F1}× faster than validating it from the network.");
        }

        var detector = summary.Reports.Where(r => r.Success && r.ResultStatistics is not null && (r.BenchmarkCase.Descriptor.Type == typeof(DetectorBenchmarks) || r.BenchmarkCase.Descriptor.Type == typeof(DetectorParallelBatchBenchmarks)))
            .Select(r =>
            {
                var batch = r.BenchmarkCase.Parameters.Items.FirstOrDefault(p => p.Name == nameof(DetectorBenchmarks.BatchSize))?.Value as int? ?? 512;
                return string.Create(CultureInfo.InvariantCulture, $"{r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo} at batch {batch}: {batch / (r.ResultStatistics!.Median / 1e9):N0} samples/s");
            })
            .ToList();
        if (detector.Count > 0)
        {
            return $"Read from this run, as samples per second: {string.Join("; ", detector)} (the batched goal in [detection-runtime.md](detection-runtime.md) is stated for both cores).";
        }

        var propagation = summary.Reports.Where(r => r.Success && r.ResultStatistics is not null && r.BenchmarkCase.Descriptor.Type == typeof(BlockPropagationBenchmarks))
            .GroupBy(r => r.BenchmarkCase.Parameters.DisplayInfo)
            .Select(g => (Params: g.Key, Alone: g.FirstOrDefault(r => r.BenchmarkCase.Descriptor.Baseline)?.ResultStatistics!.Median, Four: g.FirstOrDefault(r => !r.BenchmarkCase.Descriptor.Baseline)?.ResultStatistics!.Median))
            .Where(x => x.Alone > 0 && x.Four is not null)
            .Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.Four!.Value / x.Alone!.Value:F1}× at {x.Params}"))
            .ToList();
        if (propagation.Count > 0)
        {
            return $"Read from this run: reaching all four nodes (each validating and connecting every block) cost {string.Join(", ", propagation)} the time of connecting the blocks on one node.";
        }

        return null;
    }

    /// <summary>Nanoseconds in the largest unit that keeps the value at least 1.</summary>
    internal static string Time(double ns) => ns switch
    {
        double.NaN => "—",
        >= 1e9 => (ns / 1e9).ToString("0.### s", CultureInfo.InvariantCulture),
        >= 1e6 => (ns / 1e6).ToString("0.### ms", CultureInfo.InvariantCulture),
        >= 1e3 => (ns / 1e3).ToString("0.### µs", CultureInfo.InvariantCulture),
        _ => ns.ToString("0.### ns", CultureInfo.InvariantCulture),
    };

    /// <summary>Bytes in B, KB or MB (1,024-based, as BenchmarkDotNet prints them).</summary>
    internal static string Bytes(long b) => b switch
    {
        >= 1024 * 1024 => (b / (1024.0 * 1024)).ToString("0.## MB", CultureInfo.InvariantCulture),
        >= 1024 => (b / 1024.0).ToString("0.## KB", CultureInfo.InvariantCulture),
        _ => b.ToString(CultureInfo.InvariantCulture) + " B",
    };

    /// <summary>BenchmarkDotNet's progress into the report's log.</summary>
    private sealed class TextLogger(TextWriter writer) : ILogger
    {
        public string Id => "report";

        public int Priority => 0;

        public void Write(LogKind logKind, string text)
        {
            if (logKind is LogKind.Error)
            {
                writer.Write(text);
            }
        }

        public void WriteLine()
        {
        }

        public void WriteLine(LogKind logKind, string text)
        {
            if (logKind is LogKind.Error or LogKind.Header)
            {
                writer.WriteLine(text);
            }
        }

        public void Flush() => writer.Flush();
    }
}

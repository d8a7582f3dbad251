using System.Globalization;
using System.Text;
using HealthLedger.Benchmarks.Records;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Records through a whole mining node (<see cref="RecordNodeHarness"/>): ingestion (prepare, the device signs, store
/// and pin, the anchor through the mempool and the detector) and release + retrieval, on the file store and, when
/// <c>HEALTHLEDGER_IPFS_API</c> names a Kubo RPC endpoint, on IPFS.
/// </summary>
internal sealed class RecordsExperiment : IReportExperiment
{
    public string Id => "records";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var ipfs = Environment.GetEnvironmentVariable("HEALTHLEDGER_IPFS_API");
        int[] sizes = context.Scale.Pick<int[]>([1], [1, 64], [1, 64, 1024]);
        var count = context.Scale.Pick(2, 6, 20);
        var results = new List<RecordNodeResult>();
        foreach (var store in ipfs is null ? new[] { (string?)null } : [null, ipfs])
        {
            foreach (var kib in sizes)
            {
                context.Log.WriteLine($"  records {(store is null ? "local" : "IPFS")} {kib} KiB");
                results.Add(RecordNodeHarness.MeasureAsync(store, kib, kib >= 1024 ? Math.Max(3, count / 5) : count, context.WorkDirectory).GetAwaiter().GetResult());
            }
        }

        var md = new StringBuilder();
        md.AppendLine("### Records: ingestion and release through a node").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)} (the same measurement as `dotnet run -c Release --project HealthLedger.Benchmarks -- records-node [--ipfs URL]`, `HealthLedger.Benchmarks/Records/RecordNodeHarness.cs`). One mining PoW node (difficulty level 4, no minimum block interval), records on {(ipfs is null ? "the file store only: `HEALTHLEDGER_IPFS_API` was not set, so no IPFS rows (`eval \"$(bash .ci/ipfs/ipfs.sh start)\"` first to add them)" : $"the file store and on IPFS through the Kubo RPC endpoint `{ipfs}`")}. *Ingest* is one `NodeRecords.IngestAsync` per record, one after another: check the device, strictly parse and validate the FHIR bundle, encrypt and wrap it for the patient and the node, the device signs the anchor, store and pin, then the anchor through the mempool, where the DSAE+BiLSTM (shipped model) classifies the device's submission (synthetic submissions: the verdict is counted, not enforced, so every record runs the whole path). *Release + retrieve* is, per record, as the patient: a signed release request checked, the `KeyRelease` transaction published and waited for in a mined block, the envelope read (CID-checked), unwrapped, decrypted and its FHIR strictly parsed. The library alone, without a node, is `RecordVaultBenchmarks` in the BenchmarkDotNet section.").AppendLine();
        var (path, link) = context.Figure("records.png");
        md.AppendLine(CultureInfo.InvariantCulture, $"![Records]({link})").AppendLine();
        var table = new MarkdownTable("Store", "FHIR JSON", "Records", "Ingest ms, median (p25–p75)", "Records/s (1 client, from the mean)", "Release + retrieve ms, median (p25–p75)", "Max release ms", "Flagged by the detector");
        foreach (var r in results)
        {
            table.Row(r.Store, $"{r.KiB:N0} KiB", r.Records.ToString(CultureInfo.InvariantCulture), Spread.Of(r.IngestMs).Format("F1"),
                (1000 / r.IngestMs.Average()).ToString("F1", CultureInfo.InvariantCulture), Spread.Of(r.ReleaseMs).Format("F1"),
                r.ReleaseMs.Max().ToString("F1", CultureInfo.InvariantCulture), r.Flagged.ToString(CultureInfo.InvariantCulture));
        }

        md.Append(table);
        string[] categories = [.. results.Select(r => $"{r.Store} {r.KiB} KiB")];
        var ingest = results.Select(r => Spread.Of(r.IngestMs)).ToArray();
        var release = results.Select(r => Spread.Of(r.ReleaseMs)).ToArray();
        Figures.Bars(path, "Records through a node: ingest and release + retrieve", "ms per record (median, p25–p75)", categories,
        [
            new BarSeries("ingest", [.. ingest.Select(s => s.Median)], [.. ingest.Select(s => s.P25)], [.. ingest.Select(s => s.P75)]),
            new BarSeries("release + retrieve", [.. release.Select(s => s.Median)], [.. release.Select(s => s.P25)], [.. release.Select(s => s.P75)]),
        ]);
        return (md.ToString(), [path]);
    }
}

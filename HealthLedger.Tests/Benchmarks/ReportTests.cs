using System.Text.RegularExpressions;
using HealthLedger.Benchmarks.Report;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Detection;

namespace HealthLedger.Tests.Benchmarks;

/// <summary>The report machinery: section merging, statistics, layer mapping, and a tiny end-to-end run into a temporary directory.</summary>
[TestFixture]
public sealed partial class ReportTests
{
    private static readonly string[] Ids = ["run", "registration-time", "transmission-security", "mining-time", "detector-accuracy", "fault-tolerance", "hash-rate", "throughput", "records", "network", "bdn-suites"];

    /// <summary>Every figure the report draws (the BenchmarkDotNet section is tables only).</summary>
    private static readonly string[] FigureNames =
    [
        "registration-time.png", "transmission-security.png", "mining-time.png", "detector-accuracy.png", "fault-tolerance.png",
        "hash-rate.png", "throughput.png", "throughput-latency.png", "records.png", "network.png",
    ];

    [Test]
    public void Merge_replaces_a_marked_section_and_keeps_hand_written_text_byte_for_byte()
    {
        var handWritten = "## Network\n\nWritten by hand: 12 ms.\n";
        var document = $"# Benchmarks\n\n{BenchmarksDocument.Begin("a")}\nold\n{BenchmarksDocument.End("a")}\n\n{handWritten}";

        var merged = BenchmarksDocument.Merge(document, [("a", "new body")]);

        Assert.That(merged, Does.Contain($"{BenchmarksDocument.Begin("a")}\nnew body\n{BenchmarksDocument.End("a")}"));
        Assert.That(merged, Does.Not.Contain("old"));
        Assert.That(merged, Does.EndWith(handWritten));
    }

    [Test]
    public void Merge_inserts_a_new_section_after_the_last_generated_one_not_after_hand_written_ones()
    {
        var document = $"# B\n\n{BenchmarksDocument.Begin("a")}\nx\n{BenchmarksDocument.End("a")}\n\n## Records (by hand)\n";

        var merged = BenchmarksDocument.Merge(document, [("b", "y")]);

        Assert.That(merged.IndexOf(BenchmarksDocument.Begin("b"), StringComparison.Ordinal), Is.GreaterThan(merged.IndexOf(BenchmarksDocument.End("a"), StringComparison.Ordinal)));
        Assert.That(merged.IndexOf(BenchmarksDocument.Begin("b"), StringComparison.Ordinal), Is.LessThan(merged.IndexOf("## Records", StringComparison.Ordinal)));
    }

    [Test]
    public void Merge_refuses_a_document_with_an_unmatched_marker()
    {
        var document = $"# B\n{BenchmarksDocument.Begin("a")}\nno end\n";
        Assert.That(() => BenchmarksDocument.Merge(document, [("a", "y")]), Throws.TypeOf<InvalidDataException>());
    }

    [TestCase(new double[] { 5 }, 5, 5, 5)]
    [TestCase(new double[] { 1, 2, 3, 4 }, 2.5, 1.75, 3.25)]
    [TestCase(new double[] { 9, 1, 5, double.NaN }, 5, 3, 7)]
    public void Spread_gives_the_median_and_quartiles_by_linear_interpolation(double[] samples, double median, double p25, double p75)
    {
        var s = Spread.Of(samples);
        Assert.That((s.Median, s.P25, s.P75), Is.EqualTo((median, p25, p75)));
    }

    [TestCase(512, "512 ns")]
    [TestCase(1_500, "1.5 µs")]
    [TestCase(2_500_000, "2.5 ms")]
    [TestCase(3e9, "3 s")]
    [TestCase(double.NaN, "—")]
    public void A_benchmark_time_is_printed_in_the_largest_unit_that_keeps_it_at_least_one(double nanoseconds, string printed) =>
        Assert.That(HealthLedger.Benchmarks.Report.Experiments.BdnSuitesExperiment.Time(nanoseconds), Is.EqualTo(printed));

    [TestCase(2L, "2 B")]
    [TestCase(2_048L, "2 KB")]
    [TestCase(3L * 1024 * 1024, "3 MB")]
    public void Allocations_are_printed_in_1024_based_units_like_BenchmarkDotNet(long bytes, string printed) =>
        Assert.That(HealthLedger.Benchmarks.Report.Experiments.BdnSuitesExperiment.Bytes(bytes), Is.EqualTo(printed));

    [TestCase(RejectionCode.InvalidSignature, "signature")]
    [TestCase(RejectionCode.InvalidProofOfPossession, "signature")]
    [TestCase(RejectionCode.InsufficientProofOfWork, "consensus")]
    [TestCase(RejectionCode.NotAuthorized, "access control")]
    [TestCase(RejectionCode.DeviceRevoked, "access control")]
    [TestCase(RejectionCode.BadSequence, "state")]
    [TestCase(RejectionCode.DuplicateInMempool, "state")]
    [TestCase(RejectionCode.RefusedByGate, "detector")]
    [TestCase(RejectionCode.WrongChainId, "shape")]
    [TestCase(RejectionCode.None, "admitted")]
    public void A_rejection_code_is_counted_under_its_layer(RejectionCode code, string layer) =>
        Assert.That(HealthLedger.Benchmarks.Report.Experiments.TransmissionSecurityExperiment.Layer(code), Is.EqualTo(layer));

    [Test]
    [Category("Slow")]
    public void A_tiny_report_writes_every_section_and_figure_into_a_temporary_directory()
    {
        DetectionTestSupport.RequireDataDirectory();
        var dir = Path.Combine(Path.GetTempPath(), "hl-report-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var doc = Path.Combine(dir, "benchmarks.md");
            const string handWritten = "## Chain state at scale\n\nHand-written by another area: 1,000,000 records.\n";
            File.WriteAllText(doc, "# Benchmarks\n\n" + handWritten);
            var root = ReportCommand.FindRepositoryRoot();
            var committed = File.ReadAllBytes(Path.Combine(root, "docs", "benchmarks.md"));

            var sections = ReportRunner.Run(new ReportOptions(ReportScale.Tiny, doc, Path.Combine(dir, "figures"), root, []), TextWriter.Null);

            var text = File.ReadAllText(doc);
            Assert.Multiple(() =>
            {
                Assert.That(File.ReadAllBytes(Path.Combine(root, "docs", "benchmarks.md")), Is.EqualTo(committed), "the committed document is untouched");
                Assert.That(text, Does.Contain(handWritten), "hand-written sections survive");
                foreach (var id in Ids)
                {
                    Assert.That(text, Does.Contain(BenchmarksDocument.Begin(id)).And.Contain(BenchmarksDocument.End(id)), id);
                }

                foreach (var section in sections)
                {
                    Assert.That(NumericRow().IsMatch(section.Markdown), Is.True, $"{section.Id} has a table row with a number");
                    Assert.That(section.Markdown, Does.Contain("Command: `dotnet run"), section.Id);
                    Assert.That(section.Figures, section.Id == "bdn-suites" ? Is.Empty : Is.Not.Empty, section.Id);
                    foreach (var figure in section.Figures)
                    {
                        var bytes = File.ReadAllBytes(figure);
                        Assert.That(bytes.Take(8), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), figure);
                        Assert.That(bytes.Length, Is.InRange(10_000, 2_000_000), $"{figure}: a 1000×600 chart, not an empty canvas");
                        Assert.That(text, Does.Contain("figures/" + Path.GetFileName(figure)), "the document links the figure");
                    }
                }

                Assert.That(Directory.GetFiles(Path.Combine(dir, "figures"), "*.png").Select(Path.GetFileName), Is.EquivalentTo(FigureNames));
                Assert.That(text, Does.Contain("#### Ledger core").And.Contain("#### Block store").And.Contain("#### Detection runtime").And.Contain("#### Records").And.Contain("#### Network"), "every BenchmarkDotNet suite has its table");
            });
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"^\| [^|\n]*\| .*\d.* \|$", RegexOptions.Multiline)]
    private static partial Regex NumericRow();
}

namespace HealthLedger.Benchmarks.Report;

/// <summary>
/// What one experiment produced: its generated markdown (heading, command, table, figure links) and the files it
/// wrote. <paramref name="Id"/> names its markers in docs/benchmarks.md.
/// </summary>
internal sealed record ReportSection(string Id, string Markdown, IReadOnlyList<string> Figures, TimeSpan Duration);

namespace HealthLedger.Benchmarks.Report;

/// <summary>One experiment of the report: runs at the context's scale and returns its section.</summary>
internal interface IReportExperiment
{
    /// <summary>Stable id (markers in docs/benchmarks.md, figure names, <c>--only</c>).</summary>
    string Id { get; }

    /// <summary>Runs the experiment and writes its figure(s) into <see cref="ReportContext.FiguresDirectory"/>.</summary>
    /// <returns>The markdown body (without markers) and the figure paths.</returns>
    (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context);
}

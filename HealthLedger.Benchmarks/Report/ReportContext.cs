namespace HealthLedger.Benchmarks.Report;

/// <summary>Where an experiment writes, how long it may take, and where it logs.</summary>
internal sealed class ReportContext
{
    public required ReportScale Scale { get; init; }

    /// <summary>Where PNG figures go (docs/figures in a real run, a temporary directory in the smoke test).</summary>
    public required string FiguresDirectory { get; init; }

    /// <summary>The directory of the markdown file, for relative figure links.</summary>
    public required string DocumentDirectory { get; init; }

    /// <summary>The repository root (committed detector metrics are read from it).</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Scratch space for node stores; deleted by the caller.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Progress output.</summary>
    public required TextWriter Log { get; init; }

    /// <summary>The command that regenerates one experiment at this scale.</summary>
    public string CommandFor(string id) =>
        $"`dotnet run -c Release --project HealthLedger.Benchmarks -- report{Scale switch { ReportScale.Quick => " --quick", ReportScale.Tiny => " --tiny", _ => string.Empty }} --only {id}`";

    /// <summary>The full path of a figure, and its link relative to the document.</summary>
    public (string Path, string Link) Figure(string fileName)
    {
        Directory.CreateDirectory(FiguresDirectory);
        var path = System.IO.Path.Combine(FiguresDirectory, fileName);
        return (path, System.IO.Path.GetRelativePath(DocumentDirectory, path).Replace('\\', '/'));
    }
}

namespace HealthLedger.Benchmarks.Report;

/// <summary>
/// <c>report [--quick|--tiny] [--only id,id] [--doc docs/benchmarks.md] [--figures docs/figures]</c>: runs the report's
/// experiments and rewrites their sections of docs/benchmarks.md and their PNG figures.
/// </summary>
internal static class ReportCommand
{
    public static int Run(string[] args)
    {
        var root = FindRepositoryRoot();
        var scale = args.Contains("--tiny") ? ReportScale.Tiny : args.Contains("--quick") ? ReportScale.Quick : ReportScale.Full;
        var only = Value(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        var doc = Value(args, "--doc") ?? Path.Combine(root, "docs", "benchmarks.md");
        var figures = Value(args, "--figures") ?? Path.Combine(root, "docs", "figures");
        ReportRunner.Run(new ReportOptions(scale, doc, figures, root, only), Console.Out);
        return 0;
    }

    /// <summary>The directory holding HealthLedger.sln, searched upwards from the working directory, then from the binaries.</summary>
    public static string FindRepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "HealthLedger.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("HealthLedger.sln not found above the working directory: run from the clone.");
    }

    private static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

using System.CommandLine;

namespace HealthLedger.Benchmarks.Report;

/// <summary>
/// <c>report [--quick|--tiny] [--only id,id] [--doc docs/benchmarks.md] [--figures docs/figures]</c>: runs the report's
/// experiments and rewrites their sections of docs/benchmarks.md and their PNG figures.
/// </summary>
internal static class ReportCommand
{
    public static int Run(string[] args)
    {
        var quick = new Option<bool>("--quick") { Description = "Short versions of every experiment (under 5 minutes here)." };
        var tiny = new Option<bool>("--tiny") { Description = "Seconds-long smoke versions (what CI runs)." };
        var only = new Option<string[]>("--only") { Description = "Experiment ids to run (comma-separated), the others' sections kept.", CustomParser = r => [.. r.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))] };
        var doc = new Option<string?>("--doc") { Description = "The document whose sections are rewritten (default: docs/benchmarks.md of the clone)." };
        var figures = new Option<string?>("--figures") { Description = "Where the PNG figures go (default: docs/figures of the clone)." };
        var command = new RootCommand("Runs the report's experiments and rewrites their sections of docs/benchmarks.md and their figures.") { quick, tiny, only, doc, figures };
        command.SetAction(parse =>
        {
            var root = FindRepositoryRoot();
            var scale = parse.GetValue(tiny) ? ReportScale.Tiny : parse.GetValue(quick) ? ReportScale.Quick : ReportScale.Full;
            ReportRunner.Run(
                new ReportOptions(scale, parse.GetValue(doc) ?? Path.Combine(root, "docs", "benchmarks.md"), parse.GetValue(figures) ?? Path.Combine(root, "docs", "figures"), root, parse.GetValue(only) ?? []),
                Console.Out);
            return 0;
        });
        return command.Parse(args).Invoke();
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
}

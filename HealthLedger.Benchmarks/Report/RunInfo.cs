using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HealthLedger.Benchmarks.Report;

/// <summary>The machine, date, commit and load average of a report run.</summary>
internal static class RunInfo
{
    private static readonly string[] Flags = ["sha_ni", "avx2", "avx512f"];

    /// <summary>The 1-, 5- and 15-minute load averages, as /proc/loadavg prints them ("n/a" off Linux).</summary>
    public static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return $"{parts[0]}, {parts[1]}, {parts[2]}";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    /// <summary>CPU model, core count, memory, OS and runtime.</summary>
    public static string Machine()
    {
        var cpu = "unknown CPU";
        var flags = string.Empty;
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal) && cpu == "unknown CPU")
                {
                    cpu = line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
                }
                else if (line.StartsWith("flags", StringComparison.Ordinal) && flags.Length == 0)
                {
                    var set = line.Split(' ');
                    flags = string.Join(", ", Flags.Select(f => $"{f} {(set.Contains(f) ? "yes" : "no")}"));
                }
            }
        }
        catch (IOException)
        {
            // not Linux
        }

        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        return string.Create(CultureInfo.InvariantCulture, $"{cpu}, {Environment.ProcessorCount} cores ({flags}), {memory:F0} GiB, {RuntimeInformation.OSDescription}, .NET {Environment.Version}");
    }

    /// <summary>The checked-out commit and whether the work tree had changes ("unknown" without git).</summary>
    public static string Commit(string repositoryRoot)
    {
        var head = Git(repositoryRoot, "rev-parse --short=12 HEAD");
        if (head is null)
        {
            return "unknown";
        }

        var dirty = Git(repositoryRoot, "status --porcelain --untracked-files=no -- . :!docs/benchmarks.md :!docs/figures :!docs/data");
        return string.IsNullOrWhiteSpace(dirty) ? head : head + " (with uncommitted changes)";
    }

    private static string? Git(string directory, string arguments)
    {
        try
        {
            var info = new ProcessStartInfo("git", arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
            using var git = Process.Start(info);
            if (git is null)
            {
                return null;
            }

            var output = git.StandardOutput.ReadToEnd();
            git.WaitForExit(10_000);
            return git.ExitCode == 0 ? output.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

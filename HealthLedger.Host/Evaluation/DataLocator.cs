namespace HealthLedger.Detection.Evaluation;

/// <summary>Where the dataset folder is, or why it was not found.</summary>
/// <param name="Directory">The data folder (holding <c>wustl-ehms-2020/</c>, <c>nsl-kdd/</c>), or null.</param>
/// <param name="Explanation">Where it was looked for.</param>
internal sealed record DataLocation(string? Directory, string Explanation);

/// <summary>
/// Finds the datasets: the folder named by env <c>HEALTHLEDGER_DATA</c>, else <c>../shared/data</c> relative to the
/// repository root (the folder holding <c>HealthLedger.sln</c>, found by walking up from the app base directory or the
/// current directory). The data is never copied into the repository.
/// </summary>
internal static class DataLocator
{
    /// <summary>Name of the environment variable that overrides the data folder.</summary>
    public const string EnvironmentVariable = "HEALTHLEDGER_DATA";

    /// <summary>Finds the data folder; <paramref name="explicitDirectory"/> (e.g. <c>--data</c>) wins when given.</summary>
    public static DataLocation Find(string? explicitDirectory = null, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrEmpty(explicitDirectory))
        {
            return System.IO.Directory.Exists(explicitDirectory)
                ? new DataLocation(Path.GetFullPath(explicitDirectory), $"given as {explicitDirectory}")
                : new DataLocation(null, $"The given data folder '{explicitDirectory}' does not exist.");
        }

        var fromEnv = environment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return System.IO.Directory.Exists(fromEnv)
                ? new DataLocation(Path.GetFullPath(fromEnv), $"from {EnvironmentVariable}")
                : new DataLocation(null, $"{EnvironmentVariable} is '{fromEnv}', which does not exist.");
        }

        var root = FindRepositoryRoot();
        if (root is null)
        {
            return new DataLocation(null, $"{EnvironmentVariable} is not set and no HealthLedger.sln was found above {AppContext.BaseDirectory} or {System.IO.Directory.GetCurrentDirectory()}.");
        }

        var shared = Path.GetFullPath(Path.Combine(root, "..", "shared", "data"));
        return System.IO.Directory.Exists(shared)
            ? new DataLocation(shared, $"../shared/data next to {root}")
            : new DataLocation(null, $"{EnvironmentVariable} is not set and {shared} does not exist.");
    }

    /// <summary>The repository root (folder holding HealthLedger.sln) above the app base directory or the current directory.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, System.IO.Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "HealthLedger.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }
}

using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection;

/// <summary>Where the detection tests find their vectors, the trained models and the datasets.</summary>
internal static class DetectionTestSupport
{
    public static string VectorPath(string file) => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestVectors", "Detection", file);

    /// <summary>Path of a trained model file under HealthLedger.Detection/Models, or ignores the test when it is absent.</summary>
    public static string RequireTrainedModelFile(string file)
    {
        var root = DataLocator.FindRepositoryRoot();
        var path = root is null ? null : Path.Combine(root, "HealthLedger.Detection", "Models", file);
        if (path is null || !File.Exists(path))
        {
            Assert.Ignore($"Trained model '{file}' not found under HealthLedger.Detection/Models (it is committed by the training branch).");
        }

        return path!;
    }

    /// <summary>
    /// The dataset folder. When it is missing: fails under CI (env CI=true), otherwise ignores the test saying where to put it.
    /// </summary>
    public static string RequireDataDirectory()
    {
        var result = DataLocator.Find();
        if (result.Directory is not null)
        {
            return result.Directory;
        }

        var message = $"Detection datasets not found: {result.Explanation} Set HEALTHLEDGER_DATA to the folder holding wustl-ehms-2020/ and nsl-kdd/, or put them in ../shared/data next to the repository root.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
        return null!;
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

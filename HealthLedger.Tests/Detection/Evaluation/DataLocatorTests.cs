using HealthLedger.Detection.Evaluation;

namespace HealthLedger.Tests.Detection.Evaluation;

public sealed class DataLocatorTests
{
    [Test]
    public void Explicit_folder_wins_over_the_environment()
    {
        var dir = TestContext.CurrentContext.TestDirectory;

        var found = DataLocator.Find(dir, _ => "/nonexistent/env");

        Assert.That(found.Directory, Is.EqualTo(Path.GetFullPath(dir)));
    }

    [Test]
    public void Environment_variable_names_the_folder()
    {
        var dir = TestContext.CurrentContext.TestDirectory;

        var found = DataLocator.Find(null, name => name == DataLocator.EnvironmentVariable ? dir : null);

        Assert.That(found.Directory, Is.EqualTo(Path.GetFullPath(dir)));
    }

    [Test]
    public void Missing_folder_is_explained_not_thrown()
    {
        var found = DataLocator.Find(null, _ => "/nonexistent/healthledger-data");

        Assert.Multiple(() =>
        {
            Assert.That(found.Directory, Is.Null);
            Assert.That(found.Explanation, Does.Contain("/nonexistent/healthledger-data"));
        });
    }

    [Test]
    public void Repository_root_is_found_above_the_test_binaries()
    {
        var root = DataLocator.FindRepositoryRoot();

        Assert.That(root, Is.Not.Null);
        Assert.That(File.Exists(Path.Combine(root!, "HealthLedger.sln")), Is.True);
    }
}

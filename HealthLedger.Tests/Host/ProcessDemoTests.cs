using System.Diagnostics;
using System.Text.Json;
using HealthLedger.Tests.Detection;

namespace HealthLedger.Tests.Host;

/// <summary>
/// <c>healthledger demo</c> as a user runs it, small: four node processes over TLS on loopback, WUSTL-EHMS-2020
/// test-split records stored as encrypted FHIR bundles through the ingestion gate, one node SIGKILLed and restarted,
/// key releases to the granted provider and refusals to a never-granted one, and its <c>--json</c> summary.
/// Without the dataset it fails under CI (CI=true) and is ignored elsewhere.
/// </summary>
[TestFixture]
[Category("Slow")]
[NonParallelizable]
public sealed class ProcessDemoTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "hl-process-demo-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public async Task The_demo_with_a_few_hundred_records_reaches_agreement_and_finality_stores_the_admitted_records_and_releases_keys_only_to_the_granted_provider()
    {
        var data = DetectionTestSupport.RequireDataDirectory();
        var json = Path.Combine(_dir, "summary.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "healthledger.dll"));
        foreach (var a in new[] { "demo", "--nodes", "4", "--records", "240", "--rate", "0", "--json", json, "--dir", Path.Combine(_dir, "net") })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["HEALTHLEDGER_DATA"] = data;
        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        if (!demo.WaitForExit(300_000))
        {
            demo.Kill(entireProcessTree: true);
            Assert.Fail("the demo did not finish within 300 s:\n" + await stdout);
        }

        var text = await stdout + await stderr;
        Assert.That(demo.ExitCode, Is.Zero, text);
        Assert.That(NodeProcessesUnder(_dir), Is.Empty, "no node process outlives the demo");
        Assert.That(text, Does.Not.Contain("SYNTHETIC"));
        Assert.That(text, Does.Contain("killed with SIGKILL").And.Contain("restarted from its store"));

        using var summary = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        var root = summary.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("nodes").GetInt32(), Is.EqualTo(4));
            Assert.That(root.GetProperty("agreement").GetBoolean(), Is.True);
            Assert.That(root.GetProperty("finalizedHeight").GetUInt64(), Is.GreaterThan(0UL));
            Assert.That(root.GetProperty("height").GetUInt64(), Is.GreaterThanOrEqualTo(root.GetProperty("finalizedHeight").GetUInt64()));
            Assert.That(root.GetProperty("transactions").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("benignAdmitted").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("attacksRefused").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("records").GetInt32(), Is.EqualTo(240));
            Assert.That(root.GetProperty("benignAdmitted").GetInt32() + root.GetProperty("benignRefused").GetInt32() + root.GetProperty("attacksRefused").GetInt32() + root.GetProperty("attacksAdmitted").GetInt32(), Is.EqualTo(240), "every record classified");
            Assert.That(root.GetProperty("anchorsFinal").GetInt32(), Is.EqualTo(root.GetProperty("benignAdmitted").GetInt32() + root.GetProperty("attacksAdmitted").GetInt32()), "every admitted record final on every node");
            Assert.That(root.GetProperty("recordsWithoutVitals").GetInt32(), Is.Zero, "every WUSTL row has a plausible vital sign");
            Assert.That(root.GetProperty("recordsStored").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("recordsStored").GetInt32(), Is.EqualTo(root.GetProperty("benignAdmitted").GetInt32() + root.GetProperty("attacksAdmitted").GetInt32()),
                "every admitted record's envelope is held by its custodian (attacks the gate let through are admitted records too)");
            Assert.That(root.GetProperty("recordStore").GetString(), Is.EqualTo("local"));
            Assert.That(root.GetProperty("ciphertextsWithoutAnchor").GetInt32(), Is.Zero, "refused records left no envelope in the local stores");
            Assert.That(root.GetProperty("recordsReleased").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("releasesListed").GetInt32(), Is.EqualTo(root.GetProperty("recordsReleased").GetInt32()), "every release listed on-chain for its patient");
            Assert.That(root.GetProperty("releasesRefused").GetInt32(), Is.GreaterThan(0));
            Assert.That(root.GetProperty("releaseErrors").GetInt32(), Is.Zero);
            Assert.That(root.GetProperty("durationSeconds").GetDouble(), Is.GreaterThan(0));
        });
        TestContext.Out.WriteLine(text);
    }

    /// <summary>Processes whose command line names a path under <paramref name="dir"/> (Linux /proc).</summary>
    private static List<int> NodeProcessesUnder(string dir)
    {
        var found = new List<int>();
        if (!Directory.Exists("/proc"))
        {
            return found;
        }

        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(entry, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("node run", StringComparison.Ordinal) && cmdline.Contains(dir, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // the process ended meanwhile
            }
        }

        return found;
    }
}

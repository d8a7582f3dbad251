using HealthLedger.Host.Demo;

namespace HealthLedger.Tests.Host;

[TestFixture]
[Category("Slow")]
public sealed class DemoRunnerTests
{
    [Test]
    public void The_demo_runs_end_to_end_and_its_own_checks_pass()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-demo-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var output = new StringWriter();
            var exit = new DemoRunner(output, dir, difficultyLevel: 2, roundsPerPhase: 4).Run(CancellationToken.None);
            var text = output.ToString();

            Assert.That(exit, Is.Zero, text);
            Assert.That(text, Does.Contain("Merkle proofs verified from headers: 3/3"));
            Assert.That(text, Does.Contain("All five nodes agree on one tip: True"));
            Assert.That(text, Does.Contain("infusion-pump record: refused by intrusion-detector"), "the ingestion gate ran with the shipped model");
            Assert.That(text, Does.Contain("Intrusion reports on-chain (seen by clinic-north): 1"));
            Assert.That(Directory.GetFiles(dir, "blocks-*.dat", SearchOption.AllDirectories), Has.Length.EqualTo(5), "each node keeps a file store");
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}

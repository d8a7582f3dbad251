using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Runtime;
using HealthLedger.Host.Configuration;

namespace HealthLedger.Tests.Host;

/// <summary>What <c>node run</c> builds from a node's configuration: the ingestion gate and the operator token.</summary>
[TestFixture]
public sealed class NodeConfigurationTests
{
    private string _dir = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "hl-node-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void The_default_detector_section_loads_the_embedded_model_with_its_own_operating_points()
    {
        using var gate = NodeGate.Create(null, _dir, TimeProvider.System);
        Assert.That(gate, Is.Not.Null);
        Assert.That(gate!.Source, Does.StartWith("embedded:"));
        Assert.That(gate.Detector, Is.InstanceOf<OnnxIntrusionDetector>());
        Assert.That(gate.Filter.Name, Is.EqualTo("intrusion-detector"));
    }

    [Test]
    public void A_disabled_detector_gives_no_gate() =>
        Assert.That(NodeGate.Create(new DetectorFile { Enabled = false }, _dir, TimeProvider.System), Is.Null);

    [TestCase(0f)]
    [TestCase(1f)]
    [TestCase(-0.5f)]
    [TestCase(float.NaN)]
    public void A_threshold_outside_zero_to_one_is_refused(float threshold) =>
        Assert.That(() => NodeGate.Create(new DetectorFile { Threshold = threshold }, _dir, TimeProvider.System), Throws.TypeOf<InvalidDataException>());

    [Test]
    public void A_missing_model_file_is_an_error_not_the_default_model() =>
        Assert.That(() => NodeGate.Create(new DetectorFile { Model = "absent.onnx" }, _dir, TimeProvider.System), Throws.InstanceOf<IOException>());

    [Test]
    public void A_configured_threshold_decides_every_verdict()
    {
        var inner = new FakeIntrusionDetector(s => (float)s.Fields["score"].Number, threshold: 0.9f);
        var detector = new FixedThresholdDetector(inner, 0.5f);
        DeviceSubmission Submission(double score) => new(KeyPair.FromLabel("config-device").Address, DateTimeOffset.UnixEpoch, new Dictionary<string, FeatureValue> { ["score"] = score });
        Assert.Multiple(() =>
        {
            Assert.That(detector.Threshold, Is.EqualTo(0.5f));
            Assert.That(detector.Classify(Submission(0.6)).Verdict.IsAttack, Is.True, "above the configured threshold, below the model's");
            Assert.That(detector.Classify(Submission(0.4)).Verdict.IsAttack, Is.False);
            Assert.That(detector.ClassifyBatch([Submission(0.6), Submission(0.4)]).Select(r => r.Verdict.IsAttack), Is.EqualTo(new[] { true, false }));
        });
    }

    [Test]
    public void The_operator_token_file_is_created_owner_only_and_refused_once_others_can_read_it()
    {
        var path = Path.Combine(_dir, "operator.token");
        NetworkFiles.WriteOperatorToken(path);
        var loaded = new LoadedNode(null!, "http://127.0.0.1:1", _dir, new NodeConfigFile { Genesis = "g", Key = "k", Data = "d", Listen = "127.0.0.1:1", Api = "http://127.0.0.1:1", OperatorTokenFile = "operator.token" });
        if (OperatingSystem.IsWindows())
        {
            Assert.Ignore("Unix file modes");
            return;
        }

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
        Assert.That(loaded.ReadOperatorToken(), Has.Length.GreaterThanOrEqualTo(43), "256 bits in base64url");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        Assert.That(loaded.ReadOperatorToken, Throws.TypeOf<InvalidDataException>());
    }

    [Test]
    public void No_token_file_configured_means_no_token() =>
        Assert.That(new LoadedNode(null!, "", _dir, new NodeConfigFile { Genesis = "g", Key = "k", Data = "d", Listen = "", Api = "" }).ReadOperatorToken(), Is.Null);
}

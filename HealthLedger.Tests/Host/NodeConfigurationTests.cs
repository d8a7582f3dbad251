using System.CommandLine;
using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Runtime;
using HealthLedger.Host.Commands;
using HealthLedger.Host.Configuration;

namespace HealthLedger.Tests.Host;

/// <summary>What <c>init</c> writes and <c>node run</c> builds from a node's configuration: the ingestion gate, the operator token and the records store.</summary>
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

    [Test]
    public void Init_gives_every_node_a_local_record_store_under_its_data_directory()
    {
        var net = Path.Combine(_dir, "net");
        Assert.That(Init("--nodes", "2", "--dir", net), Is.Zero);
        for (var i = 0; i < 2; i++)
        {
            var config = Path.Combine(net, $"node-{i}", "config.json");
            var loaded = NetworkFiles.LoadNode(config);
            using var key = loaded.Options.NodeKey;
            Assert.Multiple(() =>
            {
                Assert.That(loaded.File.Records, Is.EqualTo(new RecordsFile { Directory = "data/records" }));
                Assert.That(loaded.Options.Records, Is.Not.Null, "node run turns records on");
                Assert.That(loaded.Options.Records!.IpfsEndpoint, Is.Null);
                Assert.That(loaded.Options.Records.Directory, Is.EqualTo(Path.Combine(loaded.Options.DataDirectory, "records")));
            });
        }
    }

    [Test]
    public void Init_with_an_ipfs_endpoint_writes_it_into_every_node_and_node_run_stores_there()
    {
        var net = Path.Combine(_dir, "net");
        Assert.That(Init("--nodes", "2", "--dir", net, "--ipfs", "http://127.0.0.1:5001"), Is.Zero);
        var loaded = NetworkFiles.LoadNode(Path.Combine(net, "node-1", "config.json"));
        using var key = loaded.Options.NodeKey;
        Assert.Multiple(() =>
        {
            Assert.That(loaded.File.Records!.Ipfs, Is.EqualTo("http://127.0.0.1:5001"));
            Assert.That(loaded.Options.Records!.IpfsEndpoint, Is.EqualTo(new Uri("http://127.0.0.1:5001")));
        });
    }

    [TestCase("127.0.0.1:5001")]
    [TestCase("not a url")]
    [TestCase("ftp://127.0.0.1:5001")]
    [TestCase("file:///var/run/ipfs")]
    [TestCase("http://user:secret@127.0.0.1:5001")]
    [TestCase("http://127.0.0.1:5001/?arg=x")]
    public void An_ipfs_endpoint_that_is_not_a_plain_http_url_is_refused(string endpoint)
    {
        Assert.That(() => new RecordsFile { Ipfs = endpoint }.ToOptions(_dir), Throws.TypeOf<InvalidDataException>());
        var net = Path.Combine(_dir, "refused");
        Assert.That(Init("--nodes", "2", "--dir", net, "--ipfs", endpoint), Is.EqualTo(2), "init refuses it");
        Assert.That(Directory.Exists(net), Is.False, "and creates nothing");
    }

    [Test]
    public void A_blank_record_directory_is_refused() =>
        Assert.That(() => new RecordsFile { Directory = " " }.ToOptions(_dir), Throws.TypeOf<InvalidDataException>());

    [Test]
    public void A_record_directory_is_resolved_against_the_configuration_file() =>
        Assert.That(new RecordsFile { Directory = "../envelopes" }.ToOptions(Path.Combine(_dir, "node-0")).Directory, Is.EqualTo(Path.Combine(_dir, "envelopes")));

    [Test]
    public void A_configuration_without_a_records_section_runs_the_node_without_records()
    {
        var net = Path.Combine(_dir, "net");
        Assert.That(Init("--nodes", "2", "--dir", net), Is.Zero);
        var config = Path.Combine(net, "node-0", "config.json");
        var file = NetworkFiles.ReadJson<NodeConfigFile>(config);
        NetworkFiles.WriteJson(config, file with { Records = null });
        var loaded = NetworkFiles.LoadNode(config);
        using var key = loaded.Options.NodeKey;
        Assert.That(loaded.Options.Records, Is.Null);
    }

    [Test]
    public void Init_with_keep_recent_bodies_writes_a_pruning_node_configuration()
    {
        var net = Path.Combine(_dir, "pruned");
        Assert.That(Init("--nodes", "2", "--dir", net, "--keep-recent-bodies", "5000"), Is.Zero);
        var loaded = NetworkFiles.LoadNode(Path.Combine(net, "node-1", "config.json"));
        using var key = loaded.Options.NodeKey;
        Assert.That(loaded.Options.Chain.KeepRecentBodies, Is.EqualTo(5000));
    }

    [Test]
    public void A_node_configuration_without_keep_recent_bodies_keeps_every_body()
    {
        var net = Path.Combine(_dir, "unpruned");
        Assert.That(Init("--nodes", "2", "--dir", net), Is.Zero);
        var loaded = NetworkFiles.LoadNode(Path.Combine(net, "node-0", "config.json"));
        using var key = loaded.Options.NodeKey;
        Assert.That(loaded.Options.Chain.KeepRecentBodies, Is.Null);
    }

    [TestCase(0L)]
    [TestCase(-3L)]
    public void Keeping_fewer_than_one_recent_body_is_refused_by_init_and_by_the_loader(long keep)
    {
        var net = Path.Combine(_dir, "bad-prune");
        Assert.That(Init("--nodes", "2", "--dir", net, "--keep-recent-bodies", keep.ToString(System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(2));
        Assert.That(Directory.Exists(net), Is.False, "init creates nothing");
        var good = Path.Combine(_dir, "good");
        Assert.That(Init("--nodes", "2", "--dir", good), Is.Zero);
        var config = Path.Combine(good, "node-0", "config.json");
        NetworkFiles.WriteJson(config, NetworkFiles.ReadJson<NodeConfigFile>(config) with { KeepRecentBodies = keep });
        Assert.That(() => NetworkFiles.LoadNode(config), Throws.TypeOf<InvalidDataException>());
    }

    private static int Init(params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in NetworkCommands.Create())
        {
            root.Subcommands.Add(command);
        }

        return root.Parse(["init", .. args]).Invoke();
    }
}

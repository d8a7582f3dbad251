using HealthLedger.Detection.Model;

namespace HealthLedger.Tests.Detection.Model;

public sealed class DetectorModelMetadataTests
{
    private static Dictionary<string, string> Valid() => new()
    {
        ["hl.schema"] = "1",
        ["hl.dataset"] = "nsl-kdd",
        ["hl.dataset_sha256"] = new string('a', 64),
        ["hl.features"] = """["duration","protocol_type=tcp"]""",
        ["hl.window"] = "4",
        ["hl.classes"] = """["normal","attack"]""",
        ["hl.threshold"] = "0.25",
        ["hl.training"] = """{"seed":1}""",
        ["hl.metrics"] = """{"test":{}}""",
        ["hl.split"] = """{"kind":"files"}""",
    };

    [Test]
    public void Parses_a_conforming_map()
    {
        var metadata = DetectorModelMetadata.Parse(Valid());

        Assert.Multiple(() =>
        {
            Assert.That(metadata.Window, Is.EqualTo(4));
            Assert.That(metadata.Threshold, Is.EqualTo(0.25f));
            Assert.That(metadata.Features, Is.EqualTo(new[] { "duration", "protocol_type=tcp" }));
            Assert.That(metadata.ModelId, Is.EqualTo("nsl-kdd/2-class/aaaaaaaaaaaa"));
        });
    }

    [Test]
    public void Without_per_history_thresholds_every_history_uses_the_single_threshold()
    {
        var metadata = DetectorModelMetadata.Parse(Valid());

        Assert.Multiple(() =>
        {
            Assert.That(metadata.ThresholdByHistory, Is.Null);
            Assert.That(Enumerable.Range(1, 6).Select(metadata.ThresholdFor), Has.All.EqualTo(0.25f));
        });
    }

    [Test]
    public void Per_history_thresholds_apply_until_the_window_is_full()
    {
        var map = Valid();
        map["hl.threshold_by_history"] = "[0.9,0.7,0.5,0.25]";
        var metadata = DetectorModelMetadata.Parse(map);

        Assert.Multiple(() =>
        {
            Assert.That(metadata.ThresholdByHistory, Is.EqualTo(new[] { 0.9f, 0.7f, 0.5f, 0.25f }));
            Assert.That(new[] { 1, 2, 3, 4, 5, 100 }.Select(metadata.ThresholdFor), Is.EqualTo(new[] { 0.9f, 0.7f, 0.5f, 0.25f, 0.25f, 0.25f }));
            Assert.That(() => metadata.ThresholdFor(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [TestCase("[0.9,0.7,0.25]", "3 thresholds for a window of 4")]
    [TestCase("[0.9,0.7,0.5,0.3]", "differs from hl.threshold")]
    [TestCase("[0.9,0.7,1.5,0.25]", "probability")]
    [TestCase("[0.9,\"x\",0.5,0.25]", "probability")]
    [TestCase("{\"a\":1}", "JSON array")]
    [TestCase("[0.9,", "not valid JSON")]
    public void Malformed_per_history_thresholds_are_refused_with_the_reason(string value, string reason)
    {
        var map = Valid();
        map["hl.threshold_by_history"] = value;

        var e = Assert.Throws<DetectorModelException>(() => DetectorModelMetadata.Parse(map));

        Assert.That(e!.Error, Is.EqualTo(DetectorModelError.InvalidMetadata));
        Assert.That(e.Message, Does.Contain("hl.threshold_by_history").And.Contain(reason));
    }

    [TestCase("hl.schema")]
    [TestCase("hl.dataset")]
    [TestCase("hl.dataset_sha256")]
    [TestCase("hl.features")]
    [TestCase("hl.window")]
    [TestCase("hl.classes")]
    [TestCase("hl.threshold")]
    [TestCase("hl.training")]
    [TestCase("hl.metrics")]
    [TestCase("hl.split")]
    public void Each_missing_entry_is_named(string key)
    {
        var map = Valid();
        map.Remove(key);

        var e = Assert.Throws<DetectorModelException>(() => DetectorModelMetadata.Parse(map));

        Assert.That(e!.Error, Is.EqualTo(DetectorModelError.MissingMetadata));
        Assert.That(e.Message, Does.Contain(key));
    }

    [TestCase("hl.schema", "2", DetectorModelError.UnsupportedSchema)]
    [TestCase("hl.dataset_sha256", "ABC", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.features", "[]", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.features", """["a","a"]""", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.features", """["a",1]""", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.features", "not json", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.window", "0", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.window", "-3", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.classes", """["normal"]""", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.threshold", "NaN", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.threshold", "-0.1", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.metrics", "[1,2]", DetectorModelError.InvalidMetadata)]
    [TestCase("hl.split", "{", DetectorModelError.InvalidMetadata)]
    public void Malformed_entry_is_refused_with_its_error(string key, string value, DetectorModelError expected)
    {
        var map = Valid();
        map[key] = value;

        var e = Assert.Throws<DetectorModelException>(() => DetectorModelMetadata.Parse(map));

        Assert.That(e!.Error, Is.EqualTo(expected));
        Assert.That(e.Message, Does.Contain(key));
    }
}

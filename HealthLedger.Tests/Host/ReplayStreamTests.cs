using HealthLedger.Detection.Model;
using HealthLedger.Host.Demo.Processes;
using HealthLedger.Tests.Detection;

namespace HealthLedger.Tests.Host;

/// <summary>The records the multi-process demo replays.</summary>
[TestFixture]
public sealed class ReplayStreamTests
{
    [Test]
    public void A_small_replay_takes_a_contiguous_run_of_each_test_block_holding_both_classes()
    {
        DetectionTestSupport.RequireDataDirectory();
        using var model = DetectorModel.LoadDefault();
        var stream = ReplayStream.LoadWustl(model, 240, out var why);
        Assert.That(stream, Is.Not.Null, why);
        Assert.Multiple(() =>
        {
            Assert.That(stream!.Synthetic, Is.False);
            Assert.That(stream.Count, Is.EqualTo(240));
            Assert.That(stream.Devices, Has.Count.EqualTo(6), "one device per test block");
            Assert.That(stream.Devices.All(d => d.Records.Any(r => r.IsAttack == true) && d.Records.Any(r => r.IsAttack == false)), Is.True, "each device holds benign records and attacks");
            Assert.That(stream.Devices.SelectMany(d => d.Records).All(r => r.Fields.Count == new HealthLedger.Detection.Features.FeatureExtractor(model.Metadata.Features).Fields.Count), Is.True);
        });
    }

    [Test]
    public void The_whole_split_is_the_models_three_thousand_test_rows()
    {
        DetectionTestSupport.RequireDataDirectory();
        using var model = DetectorModel.LoadDefault();
        var stream = ReplayStream.LoadWustl(model, 1_000_000, out var why)!;
        Assert.That(stream, Is.Not.Null, why);
        Assert.That(stream.Count, Is.EqualTo(3_000));
        Assert.That(stream.Devices.SelectMany(d => d.Records).Count(r => r.IsAttack == true), Is.EqualTo(337), "the model card's test split: 2663 benign, 337 attacks");
    }

    [Test]
    public void The_synthetic_fallback_says_so_and_carries_no_labels()
    {
        using var model = DetectorModel.LoadDefault();
        var stream = ReplayStream.CreateSynthetic(model, 30, 6);
        Assert.That(stream.Synthetic, Is.True);
        Assert.That(stream.Description, Does.StartWith("SYNTHETIC"));
        Assert.That(stream.Count, Is.EqualTo(30));
        Assert.That(stream.Devices.SelectMany(d => d.Records).All(r => r.IsAttack is null), Is.True);
    }
}

using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Tests.Detection.Gate;

public sealed class DetectorGateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Address Device = KeyPair.FromLabel("pump-7").Address;

    private static DeviceSubmission Submission(double score) => new(
        Device,
        Now.AddSeconds(-3),
        new Dictionary<string, FeatureValue> { ["score"] = score, ["SpO2"] = 97, ["Heart_rate"] = 72 });

    private static FakeIntrusionDetector ScoreField() => new(s => (float)s.Fields["score"].Number, threshold: 0.6f, modelId: "fake-model");

    [TestCase(0.0)]
    [TestCase(0.59)]
    public void Normal_record_is_admitted_with_its_score(double score)
    {
        var verdict = new DetectorGate(ScoreField(), new ManualClock(Now)).Screen(Submission(score));

        Assert.That(verdict, Is.EqualTo(new GateVerdict.Admitted((float)score, 0.6f)));
    }

    [TestCase(0.6)]
    [TestCase(0.99)]
    public void Attack_is_refused_with_score_threshold_and_report(double score)
    {
        var verdict = new DetectorGate(ScoreField(), new ManualClock(Now)).Screen(Submission(score));

        var refused = verdict as GateVerdict.Refused;
        Assert.That(refused, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Reason, Is.EqualTo(GateRefusalReason.IntrusionSuspected));
            Assert.That(refused.Score, Is.EqualTo((float)score));
            Assert.That(refused.Threshold, Is.EqualTo(0.6f));
            Assert.That(refused.Alert, Is.EqualTo(new IntrusionAlert(Device, Now.AddSeconds(-3), Now, (float)score, 0.6f, "fake-model", ScoreField().ModelHash)));
        });
    }

    [Test]
    public void Intrusion_report_names_device_time_and_score_but_no_health_data()
    {
        var refused = (GateVerdict.Refused)new DetectorGate(ScoreField(), new ManualClock(Now)).Screen(Submission(0.875));

        Assert.Multiple(() =>
        {
            Assert.That(refused.Detail, Does.Contain(Device.ToString()));
            Assert.That(refused.Detail, Does.Contain("2026-03-01T11:59:57"));
            Assert.That(refused.Detail, Does.Contain("0.8750"));
            Assert.That(refused.Detail, Does.Not.Contain("97").And.Not.Contain("72").And.Not.Contain("SpO2"));
        });
    }

    [Test]
    public void Record_with_invalid_features_is_refused_unscored()
    {
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        var detector = new OnnxIntrusionDetector(model, new ManualClock(Now));
        var submission = new DeviceSubmission(Device, Now, new Dictionary<string, FeatureValue>
        {
            ["duration"] = double.PositiveInfinity, ["src_bytes"] = 1, ["protocol_type"] = "tcp", ["Temp"] = 37,
        });

        var refused = new DetectorGate(detector, new ManualClock(Now)).Screen(submission) as GateVerdict.Refused;

        Assert.Multiple(() =>
        {
            Assert.That(refused, Is.Not.Null);
            Assert.That(refused!.Reason, Is.EqualTo(GateRefusalReason.InvalidFeatures));
            Assert.That(refused.Score, Is.Null);
            Assert.That(refused.FeatureError!.Kind, Is.EqualTo(FeatureErrorKind.Infinite));
            Assert.That(refused.Alert, Is.Null);
        });
    }

    [Test]
    public void Alert_converts_to_the_on_chain_report_payload_without_health_data()
    {
        var refused = (GateVerdict.Refused)new DetectorGate(ScoreField(), new ManualClock(Now)).Screen(Submission(0.87654));

        var payload = refused.Alert!.ToReportPayload();

        Assert.That(payload, Is.EqualTo(new HealthLedger.Core.Transactions.IntrusionReport(Device, Now.ToUnixTimeMilliseconds(), 8765, ScoreField().ModelHash)));
    }

    [Test]
    public void Batch_screening_keeps_input_order()
    {
        var fake = ScoreField();
        var verdicts = new DetectorGate(fake, new ManualClock(Now)).ScreenBatch([Submission(0.1), Submission(0.9), Submission(0.2)]);

        Assert.That(verdicts.Select(v => v.IsAdmitted), Is.EqualTo(new[] { true, false, true }));
        Assert.That(fake.Seen, Has.Count.EqualTo(3));
    }
}

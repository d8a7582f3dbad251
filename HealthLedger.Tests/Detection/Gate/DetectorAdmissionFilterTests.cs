using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Validation;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Tests.Detection.Gate;

public sealed class DetectorAdmissionFilterTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly Address Device = KeyPair.FromLabel("monitor-3").Address;

    private static DeviceSubmission Submission(double score) => new(Device, Now, new Dictionary<string, FeatureValue> { ["score"] = score });

    // The filter reads only the origin and the attachment; the transaction and state are not needed here.
    private static AdmissionContext Context(object? attachment, TransactionOrigin origin = TransactionOrigin.Local) => new(null!, null!, origin, attachment);

    private static (DetectorAdmissionFilter Filter, List<IntrusionAlert> Alerts, FakeIntrusionDetector Fake) Create(bool requireSubmission = false)
    {
        var fake = new FakeIntrusionDetector(s => (float)s.Fields["score"].Number, threshold: 0.7f);
        var alerts = new List<IntrusionAlert>();
        return (new DetectorAdmissionFilter(new DetectorGate(fake, new ManualClock(Now)), alerts.Add, requireSubmission), alerts, fake);
    }

    [Test]
    public void Normal_submission_passes()
    {
        var (filter, alerts, _) = Create();

        Assert.That(filter.Check(Context(Submission(0.2))), Is.EqualTo(ValidationResult.Ok));
        Assert.That(alerts, Is.Empty);
    }

    [Test]
    public void Attack_is_rejected_by_the_gate_with_score_and_threshold_in_basis_points()
    {
        var (filter, alerts, _) = Create();

        var result = filter.Check(Context(Submission(0.95)));

        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(RejectionCode.RefusedByGate));
            Assert.That(result.Actual, Is.EqualTo(9500));
            Assert.That(result.Limit, Is.EqualTo(7000));
            Assert.That(result.Message, Does.Contain(Device.ToString()));
            Assert.That(alerts.Single().Device, Is.EqualTo(Device));
        });
    }

    [Test]
    public void Unclassifiable_submission_is_rejected_without_an_alert()
    {
        var alerts = new List<IntrusionAlert>();
        var bad = new DeviceSubmission(Device, Now, new Dictionary<string, FeatureValue> { ["score"] = 0.1 });
        var onnxLike = new DetectorAdmissionFilter(new DetectorGate(new RefusingDetector(), new ManualClock(Now)), alerts.Add);

        var result = onnxLike.Check(Context(bad));

        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(RejectionCode.RefusedByGate));
            Assert.That(result.Actual, Is.Null);
            Assert.That(alerts, Is.Empty);
        });
    }

    [TestCase(TransactionOrigin.Peer, false)]
    [TestCase(TransactionOrigin.Reorg, false)]
    [TestCase(TransactionOrigin.Local, false)]
    [TestCase(TransactionOrigin.Peer, true)]
    public void Transaction_without_a_submission_passes_unless_local_ones_must_carry_one(TransactionOrigin origin, bool required)
    {
        var (filter, _, fake) = Create(required);

        Assert.That(filter.Check(Context(null, origin)).IsValid, Is.True);
        Assert.That(fake.Seen, Is.Empty);
    }

    [Test]
    public void Local_transaction_without_a_submission_is_refused_when_required()
    {
        var (filter, _, _) = Create(requireSubmission: true);

        Assert.That(filter.Check(Context("not a submission")).Code, Is.EqualTo(RejectionCode.RefusedByGate));
    }

    private sealed class RefusingDetector : IIntrusionDetector
    {
        public float Threshold => 0.5f;

        public string ModelId => "refusing";

        public Hash256 ModelHash => default;

        public DetectionResult Classify(DeviceSubmission submission) =>
            DetectionResult.Invalid(new FeatureError(FeatureErrorKind.Missing, "SpO2", "Field 'SpO2' is missing."));

        public IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions) => submissions.Select(Classify).ToArray();
    }
}

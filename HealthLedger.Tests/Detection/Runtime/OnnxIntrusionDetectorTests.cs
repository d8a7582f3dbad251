using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Tests.Detection.Runtime;

public sealed class OnnxIntrusionDetectorTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private DetectorModel _model = null!;

    [OneTimeSetUp]
    public void LoadModel() => _model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));

    [OneTimeTearDown]
    public void DisposeModel() => _model.Dispose();

    private static Address Device(int i) => KeyPair.FromLabel($"device-{i}").Address;

    private static DeviceSubmission Submission(int device, double duration, string protocol = "tcp", int minute = 0) => new(
        Device(device),
        Start.AddMinutes(minute),
        new Dictionary<string, FeatureValue>
        {
            ["duration"] = duration,
            ["src_bytes"] = 100 + (duration * 50),
            ["protocol_type"] = protocol,
            ["Temp"] = 36 + (duration / 10),
        });

    private float[] PredictDirect(params DeviceSubmission[] history)
    {
        // The window the contract defines: the last T records, left-padded with the earliest.
        var extractor = new FeatureExtractor(_model.Metadata.Features);
        var rows = history.TakeLast(_model.Window).Select(s =>
        {
            var v = new float[_model.FeatureCount];
            Assert.That(extractor.TryExtract(s.Fields, v, out _), Is.True);
            return v;
        }).ToList();
        while (rows.Count < _model.Window)
        {
            rows.Insert(0, rows[0]);
        }

        var p = new float[_model.ClassCount];
        _model.Predict(rows.SelectMany(r => r).ToArray(), 1, p);
        return p;
    }

    [Test]
    public void Classify_scores_the_device_window_with_the_submission_last()
    {
        var detector = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var history = Enumerable.Range(0, 5).Select(i => Submission(1, i * 3.0, i % 2 == 0 ? "tcp" : "udp", i)).ToArray();

        for (var i = 0; i < history.Length; i++)
        {
            var result = detector.Classify(history[i]);
            var expected = PredictDirect(history[..(i + 1)]);
            Assert.Multiple(() =>
            {
                Assert.That(result.IsClassified, Is.True);
                Assert.That(result.Verdict.AttackProbability, Is.EqualTo(1f - expected[0]).Within(1e-6f));
                Assert.That(result.Verdict.Threshold, Is.EqualTo(0.5f));
                Assert.That(result.Verdict.IsAttack, Is.EqualTo(1f - expected[0] >= 0.5f));
            });
        }
    }

    [Test]
    public void Batch_gives_the_same_verdicts_as_one_by_one()
    {
        var submissions = Enumerable.Range(0, 40).Select(i => Submission(i % 7, i * 0.7, i % 3 == 0 ? "icmp" : "tcp", i)).ToArray();
        var sequential = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var batched = new OnnxIntrusionDetector(_model, new ManualClock(Start));

        var one = submissions.Select(sequential.Classify).ToArray();
        var many = batched.ClassifyBatch(submissions);

        Assert.That(many, Has.Count.EqualTo(one.Length));
        for (var i = 0; i < one.Length; i++)
        {
            Assert.That(many[i].Verdict.AttackProbability, Is.EqualTo(one[i].Verdict.AttackProbability).Within(1e-6f), $"submission {i}");
        }
    }

    [Test]
    public void Parallel_chunked_batch_gives_the_same_results_as_one_by_one_including_refusals()
    {
        // 600 submissions over 13 devices, every 17th refused: extraction is spread over 3 threads, inference runs in
        // chunks of 50 on 3 threads; windows must still follow list order.
        var submissions = Enumerable.Range(0, 600)
            .Select(i => Submission(i % 13, i % 17 == 0 ? double.NaN : i * 0.37, i % 3 == 0 ? "icmp" : "tcp", i))
            .ToArray();
        using var parallelModel = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"), new DetectorModelOptions { BatchParallelism = 3, BatchChunkSize = 50 });
        var sequential = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var batched = new OnnxIntrusionDetector(parallelModel, new ManualClock(Start));

        var one = submissions.Select(sequential.Classify).ToArray();
        var many = batched.ClassifyBatch(submissions);

        Assert.That(many, Has.Count.EqualTo(one.Length));
        for (var i = 0; i < one.Length; i++)
        {
            Assert.That(many[i].IsClassified, Is.EqualTo(one[i].IsClassified), $"submission {i}");
            if (one[i].IsClassified)
            {
                Assert.That(many[i].Verdict.AttackProbability, Is.EqualTo(one[i].Verdict.AttackProbability).Within(1e-6f), $"submission {i}");
            }
            else
            {
                Assert.That(many[i].Error!.Kind, Is.EqualTo(one[i].Error!.Kind), $"submission {i}");
            }
        }
    }

    [Test]
    public void Batch_with_a_null_submission_is_refused_before_any_window_changes()
    {
        var detector = new OnnxIntrusionDetector(_model, new ManualClock(Start));

        Assert.That(() => detector.ClassifyBatch([Submission(1, 4), null!]), Throws.ArgumentException);
        Assert.That(detector.TrackedDevices, Is.Zero);
    }

    [Test]
    public void Invalid_submission_in_a_batch_is_refused_and_does_not_enter_the_window()
    {
        var detector = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var bad = Submission(1, double.NaN);
        var good = Submission(1, 4);

        var results = detector.ClassifyBatch([bad, good]);

        Assert.Multiple(() =>
        {
            Assert.That(results[0].IsClassified, Is.False);
            Assert.That(results[0].Error!.Kind, Is.EqualTo(FeatureErrorKind.NaN));
            Assert.That(results[1].IsClassified, Is.True);
            Assert.That(results[1].Verdict.AttackProbability, Is.EqualTo(1f - PredictDirect(good)[0]).Within(1e-6f));
        });
    }

    [Test]
    public void Invalid_single_submission_is_refused_without_inference()
    {
        var detector = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var fields = new Dictionary<string, FeatureValue>(Submission(1, 1).Fields);
        fields.Remove("Temp");

        var result = detector.Classify(Submission(1, 1) with { Fields = fields });

        Assert.That(result.Error, Is.EqualTo(new FeatureError(FeatureErrorKind.Missing, "Temp", "Field 'Temp' is missing.")));
        Assert.That(detector.TrackedDevices, Is.Zero);
    }

    [Test]
    public void Concurrent_classification_matches_sequential_classification()
    {
        var perDevice = Enumerable.Range(0, 16).Select(d => Enumerable.Range(0, 12).Select(i => Submission(d, (d * 0.5) + i, "udp", i)).ToArray()).ToArray();
        var sequential = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var expected = perDevice.Select(list => list.Select(s => sequential.Classify(s).Verdict.AttackProbability).ToArray()).ToArray();
        var concurrent = new OnnxIntrusionDetector(_model, new ManualClock(Start));
        var actual = new float[16][];

        Parallel.For(0, 16, d => actual[d] = perDevice[d].Select(s => concurrent.Classify(s).Verdict.AttackProbability).ToArray());

        for (var d = 0; d < 16; d++)
        {
            Assert.That(actual[d], Is.EqualTo(expected[d]).Within(1e-6f), $"device {d}");
        }
    }

    [Test]
    public void Device_count_stays_within_the_configured_bound()
    {
        var detector = new OnnxIntrusionDetector(_model, new ManualClock(Start), new DeviceWindowOptions { MaxDevices = 8 });
        detector.ClassifyBatch(Enumerable.Range(0, 100).Select(d => Submission(d, 1)).ToArray());

        Assert.That(detector.TrackedDevices, Is.EqualTo(8));
    }

    [TestCase(new[] { 0.9f, 0.1f }, 0.5f, false, 0)]
    [TestCase(new[] { 0.5f, 0.5f }, 0.5f, true, 1)]
    [TestCase(new[] { 0.2f, 0.3f, 0.5f }, 0.7f, true, 2)]
    [TestCase(new[] { 0.4f, 0.35f, 0.25f }, 0.7f, false, 0)]
    [TestCase(new[] { 0.4f, 0.35f, 0.25f }, 0.5f, true, 1)]
    public void Verdict_uses_one_minus_p_normal_against_the_threshold(float[] probabilities, float threshold, bool attack, int predicted)
    {
        var verdict = OnnxIntrusionDetector.ToVerdict(probabilities, threshold);

        Assert.Multiple(() =>
        {
            Assert.That(verdict.AttackProbability, Is.EqualTo(1f - probabilities[0]));
            Assert.That(verdict.IsAttack, Is.EqualTo(attack));
            Assert.That(verdict.PredictedClass, Is.EqualTo(predicted));
        });
    }

    [Test]
    public void A_new_devices_first_records_are_judged_with_the_per_history_thresholds_single_and_batched()
    {
        using var model = DetectorModel.Load(DetectionTestSupport.RequireTrainedModelFile("wustl-ehms-binary.onnx"));
        var byHistory = model.Metadata.ThresholdByHistory;
        Assert.That(byHistory, Is.Not.Null.And.Count.EqualTo(model.Window), "the shipped gate model carries hl.threshold_by_history");
        var submissions = SyntheticSubmissions.Create(model, 2 * model.Window, devices: 1);
        var single = new OnnxIntrusionDetector(model, new ManualClock(Start));
        var batched = new OnnxIntrusionDetector(model, new ManualClock(Start));

        var singleThresholds = submissions.Select(s => single.Classify(s).Verdict.Threshold).ToArray();
        var batchThresholds = batched.ClassifyBatch(submissions).Select(r => r.Verdict.Threshold).ToArray();

        var expected = Enumerable.Range(1, submissions.Length).Select(h => h < model.Window ? byHistory![h - 1] : model.Metadata.Threshold).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(singleThresholds, Is.EqualTo(expected));
            Assert.That(batchThresholds, Is.EqualTo(expected));
            Assert.That(expected[0], Is.GreaterThan(model.Metadata.Threshold), "a first record needs a higher score to be refused");
        });
    }
}

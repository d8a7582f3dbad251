using System.Text.Json;
using HealthLedger.Detection.Model;

namespace HealthLedger.Tests.Detection.Model;

public sealed class DetectorModelTests
{
    [Test]
    public void Loads_tiny_model_and_reads_its_contract_metadata()
    {
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));

        Assert.Multiple(() =>
        {
            Assert.That(model.Window, Is.EqualTo(3));
            Assert.That(model.FeatureCount, Is.EqualTo(6));
            Assert.That(model.ClassCount, Is.EqualTo(2));
            Assert.That(model.Metadata.Features, Is.EqualTo(new[] { "duration", "src_bytes", "protocol_type=tcp", "protocol_type=udp", "protocol_type=icmp", "Temp" }));
            Assert.That(model.Metadata.Classes, Is.EqualTo(new[] { "normal", "attack" }));
            Assert.That(model.Metadata.Threshold, Is.EqualTo(0.5f));
            Assert.That(model.Metadata.Dataset, Is.EqualTo("wustl-ehms-2020"));
        });
    }

    [Test]
    public void Loading_from_a_stream_gives_the_same_predictions_as_from_a_path()
    {
        var (inputs, _) = ReadParity(DetectionTestSupport.VectorPath("tiny-binary.parity.json"));
        using var fromPath = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        using var stream = File.OpenRead(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        using var fromStream = DetectorModel.Load(stream);
        var a = new float[inputs.Count * 2];
        var b = new float[inputs.Count * 2];

        fromPath.Predict(Flatten(inputs), inputs.Count, a);
        fromStream.Predict(Flatten(inputs), inputs.Count, b);

        Assert.That(b, Is.EqualTo(a));
    }

    [Test]
    public void Tiny_model_matches_pytorch_outputs_within_1e4()
    {
        AssertParity(DetectionTestSupport.VectorPath("tiny-binary.onnx"), DetectionTestSupport.VectorPath("tiny-binary.parity.json"));
    }

    [TestCase("wustl-ehms-binary")]
    [TestCase("nsl-kdd-binary")]
    [TestCase("wustl-ehms-3class")]
    [TestCase("wustl-ehms-binary-fast")]
    public void Trained_model_matches_pytorch_outputs_within_1e4(string name)
    {
        var model = DetectionTestSupport.RequireTrainedModelFile(name + ".onnx");
        var parity = DetectionTestSupport.RequireTrainedModelFile(name + ".parity.json");
        AssertParity(model, parity);
    }

    [Test]
    public void Single_window_prediction_equals_the_same_row_of_a_batch()
    {
        var (inputs, _) = ReadParity(DetectionTestSupport.VectorPath("tiny-binary.parity.json"));
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        var flat = Flatten(inputs);
        var batch = new float[inputs.Count * 2];
        model.Predict(flat, inputs.Count, batch);

        for (var i = 0; i < inputs.Count; i++)
        {
            var single = new float[2];
            model.Predict(flat.AsSpan(i * model.WindowLength, model.WindowLength), 1, single);
            Assert.That(single, Is.EqualTo(batch.AsSpan(i * 2, 2).ToArray()).Within(1e-6f), $"window {i}");
        }
    }

    [Test]
    public void Batch_split_over_parallel_chunks_gives_the_same_probabilities()
    {
        var (inputs, _) = ReadParity(DetectionTestSupport.VectorPath("tiny-binary.parity.json"));
        var windows = Enumerable.Repeat(Flatten(inputs), 8).SelectMany(w => w).ToArray();
        var count = inputs.Count * 8;
        using var sequential = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        using var parallel = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"), new DetectorModelOptions { BatchParallelism = 3 });
        var a = new float[count * 2];
        var b = new float[count * 2];

        sequential.Predict(windows, count, a);
        parallel.Predict(windows, count, b);

        Assert.That(b, Is.EqualTo(a).Within(1e-6f));
    }

    [TestCase("wustl-ehms-binary")]
    [TestCase("nsl-kdd-binary")]
    [TestCase("wustl-ehms-3class")]
    [TestCase("wustl-ehms-binary-fast")]
    public void Trained_model_matches_pytorch_outputs_on_every_inference_path(string name)
    {
        var modelPath = DetectionTestSupport.RequireTrainedModelFile(name + ".onnx");
        var (inputs, expected) = ReadParity(DetectionTestSupport.RequireTrainedModelFile(name + ".parity.json"));
        var flat = Flatten(inputs);

        // Chunks of 5: full chunks on the shape-specialised session, a short tail on the general one, two threads.
        using var chunked = DetectorModel.Load(modelPath, new DetectorModelOptions { BatchChunkSize = 5, BatchParallelism = 2 });
        using var general = DetectorModel.Load(modelPath, new DetectorModelOptions { SpecializeBatchShapes = false });
        Assert.That(chunked.HasSpecializedShapes, Is.True);
        Assert.That(general.HasSpecializedShapes, Is.False);
        var c = chunked.ClassCount;
        var batch = new float[inputs.Count * c];
        var plain = new float[inputs.Count * c];
        chunked.Predict(flat, inputs.Count, batch);
        general.Predict(flat, inputs.Count, plain);

        for (var i = 0; i < inputs.Count; i++)
        {
            var single = new float[c];
            chunked.Predict(flat.AsSpan(i * chunked.WindowLength, chunked.WindowLength), 1, single);
            Assert.Multiple(() =>
            {
                Assert.That(single, Is.EqualTo(expected[i]).Within(1e-4f), $"single window {i}");
                Assert.That(batch.AsSpan(i * c, c).ToArray(), Is.EqualTo(expected[i]).Within(1e-4f), $"chunked batch window {i}");
                Assert.That(plain.AsSpan(i * c, c).ToArray(), Is.EqualTo(expected[i]).Within(1e-4f), $"general session window {i}");
            });
        }
    }

    [TestCase(1, 1)]
    [TestCase(4, 1)]
    [TestCase(4, 2)]
    [TestCase(7, 3)]
    [TestCase(1000, 2)]
    public void Chunked_and_specialised_batches_give_the_same_probabilities(int chunkSize, int parallelism)
    {
        var (inputs, _) = ReadParity(DetectionTestSupport.VectorPath("tiny-binary.parity.json"));
        var windows = Enumerable.Repeat(Flatten(inputs), 9).SelectMany(w => w).ToArray();
        var count = inputs.Count * 9;
        using var reference = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"), new DetectorModelOptions { SpecializeBatchShapes = false, BatchChunkSize = 100_000 });
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"), new DetectorModelOptions { BatchChunkSize = chunkSize, BatchParallelism = parallelism });
        Assert.That(model.HasSpecializedShapes, Is.True);

        foreach (var n in new[] { 1, 2, chunkSize, chunkSize + 1, 3 * chunkSize, 130, count })
        {
            if (n > count)
            {
                continue;
            }

            var a = new float[n * 2];
            var b = new float[n * 2];
            reference.Predict(windows.AsSpan(0, n * model.WindowLength), n, a);
            model.Predict(windows.AsSpan(0, n * model.WindowLength), n, b);
            Assert.That(b, Is.EqualTo(a).Within(1e-6f), $"batch of {n}");
        }
    }

    [Test]
    public void Options_out_of_range_are_refused()
    {
        var path = DetectionTestSupport.VectorPath("tiny-binary.onnx");
        Assert.Multiple(() =>
        {
            Assert.That(() => DetectorModel.Load(path, new DetectorModelOptions { BatchChunkSize = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => DetectorModel.Load(path, new DetectorModelOptions { BatchParallelism = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => DetectorModel.Load(path, new DetectorModelOptions { IntraOpThreads = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Predict_refuses_buffers_of_the_wrong_size()
    {
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        Assert.Multiple(() =>
        {
            Assert.That(() => model.Predict(new float[model.WindowLength + 1], 1, new float[2]), Throws.ArgumentException);
            Assert.That(() => model.Predict(new float[model.WindowLength], 1, new float[3]), Throws.ArgumentException);
        });
    }

    [Test]
    public void Predict_after_dispose_throws()
    {
        var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-binary.onnx"));
        model.Dispose();
        Assert.That(() => model.Predict(new float[model.WindowLength], 1, new float[2]), Throws.TypeOf<ObjectDisposedException>());
    }

    [TestCase("tiny-not-onnx.onnx", DetectorModelError.InvalidModel)]
    [TestCase("tiny-wrong-input-name.onnx", DetectorModelError.MissingInput)]
    [TestCase("tiny-double-input.onnx", DetectorModelError.WrongInputType)]
    [TestCase("tiny-wrong-input-rank.onnx", DetectorModelError.WrongInputShape)]
    [TestCase("tiny-window-mismatch.onnx", DetectorModelError.WrongInputShape)]
    [TestCase("tiny-feature-count-mismatch.onnx", DetectorModelError.WrongInputShape)]
    [TestCase("tiny-wrong-output-name.onnx", DetectorModelError.MissingOutput)]
    [TestCase("tiny-missing-features.onnx", DetectorModelError.MissingMetadata)]
    [TestCase("tiny-wrong-schema.onnx", DetectorModelError.UnsupportedSchema)]
    [TestCase("tiny-bad-threshold.onnx", DetectorModelError.InvalidMetadata)]
    [TestCase("tiny-bad-classes.onnx", DetectorModelError.InvalidMetadata)]
    public void Model_breaking_the_contract_is_refused_with_its_error(string file, DetectorModelError expected)
    {
        var e = Assert.Throws<DetectorModelException>(() => DetectorModel.Load(DetectionTestSupport.VectorPath(file)).Dispose());
        Assert.That(e!.Error, Is.EqualTo(expected), e.Message);
    }

    [Test]
    public void Three_class_model_loads_with_its_class_names()
    {
        using var model = DetectorModel.Load(DetectionTestSupport.VectorPath("tiny-3class.onnx"));
        Assert.That(model.Metadata.Classes, Is.EqualTo(new[] { "normal", "Spoofing", "Data Alteration" }));
    }

    [Test]
    public void Embedded_default_model_is_the_wustl_binary_model()
    {
        if (!DetectorModel.HasEmbeddedDefault)
        {
            Assert.Ignore("This build embeds no default model yet (HealthLedger.Detection/Models/wustl-ehms-binary.onnx is committed by the training branch).");
        }

        using var model = DetectorModel.LoadDefault();
        Assert.Multiple(() =>
        {
            Assert.That(model.Metadata.Dataset, Is.EqualTo("wustl-ehms-2020"));
            Assert.That(model.Metadata.Classes, Has.Count.EqualTo(2));
        });
    }

    [Test]
    public void Embedded_fast_model_is_a_smaller_wustl_binary_model_with_the_same_contract()
    {
        using var fast = DetectorModel.LoadFast();
        using var standard = DetectorModel.LoadDefault();
        var fileBytes = File.ReadAllBytes(DetectionTestSupport.RequireTrainedModelFile(DetectorModel.FastModelFileName));

        Assert.Multiple(() =>
        {
            Assert.That(fast.Sha256, Is.EqualTo(HealthLedger.Core.Crypto.Hash256.Sha256(fileBytes)), "the embedded bytes are the committed file");
            Assert.That(fast.Sha256, Is.Not.EqualTo(standard.Sha256));
            Assert.That(fast.Metadata.Features, Is.EqualTo(standard.Metadata.Features));
            Assert.That(fast.Metadata.Window, Is.EqualTo(standard.Metadata.Window));
            Assert.That(fast.Metadata.ThresholdByHistory, Has.Count.EqualTo(fast.Window));
            Assert.That(fileBytes, Has.Length.LessThan(new FileInfo(DetectionTestSupport.RequireTrainedModelFile(DetectorModel.DefaultModelFileName)).Length));
        });
    }

    internal static (List<float[][]> Inputs, List<float[]> Probabilities) ReadParity(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var inputs = doc.RootElement.GetProperty("inputs").EnumerateArray()
            .Select(w => w.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray()).ToList();
        var probabilities = doc.RootElement.GetProperty("probabilities").EnumerateArray()
            .Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToList();
        return (inputs, probabilities);
    }

    internal static float[] Flatten(List<float[][]> windows) => windows.SelectMany(w => w.SelectMany(r => r)).ToArray();

    private static void AssertParity(string modelPath, string parityPath)
    {
        var (inputs, expected) = ReadParity(parityPath);
        using var model = DetectorModel.Load(modelPath);
        Assert.That(inputs, Has.Count.GreaterThan(0));
        var actual = new float[inputs.Count * model.ClassCount];

        model.Predict(Flatten(inputs), inputs.Count, actual);

        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.That(actual.AsSpan(i * model.ClassCount, model.ClassCount).ToArray(), Is.EqualTo(expected[i]).Within(1e-4f), $"window {i}");
        }
    }
}

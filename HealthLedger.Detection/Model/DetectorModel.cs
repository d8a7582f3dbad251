using System.Buffers;
using HealthLedger.Core.Crypto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace HealthLedger.Detection.Model;

/// <summary>
/// A loaded detector model that follows the model contract: input <c>features</c> float32 <c>[N, T, F]</c> of raw
/// feature values, output <c>probabilities</c> float32 <c>[N, C]</c> (softmax, class 0 = normal) and <c>hl.*</c> metadata.
/// Thread-safe: <see cref="Predict"/> may be called from many threads at once.
/// </summary>
public sealed class DetectorModel : IDisposable
{
    /// <summary>Name of the model input.</summary>
    public const string InputName = "features";

    /// <summary>Name of the model output.</summary>
    public const string OutputName = "probabilities";

    /// <summary>File name of the default (gate) model embedded in this assembly.</summary>
    public const string DefaultModelFileName = "wustl-ehms-binary.onnx";

    /// <summary>
    /// File name of the opt-in fast gate model embedded in this assembly: the same data, features, window and training
    /// as the default with a smaller DSAE and BiLSTM (h1 32, h2 16, 16 units per direction), for gateways bound by
    /// throughput. Its accuracy is slightly lower (see docs/detection.md).
    /// </summary>
    public const string FastModelFileName = "wustl-ehms-binary-fast.onnx";

    private const string ResourcePrefix = "HealthLedger.Detection.Models.";

    private static readonly string[] InputNames = [InputName];
    private static readonly string[] OutputNames = [OutputName];

    private const int MinParallelChunk = 64;

    private readonly InferenceSession _session;
    private readonly InferenceSession? _singleSession;
    private readonly InferenceSession? _chunkSession;
    private readonly int _batchParallelism;
    private readonly int _chunkSize;
    private readonly ThreadLocal<SingleScratch> _single;
    private int _disposed;

    private DetectorModel(InferenceSession session, InferenceSession? singleSession, InferenceSession? chunkSession, DetectorModelMetadata metadata, Hash256 sha256, DetectorModelOptions options)
    {
        _session = session;
        _singleSession = singleSession;
        _chunkSession = chunkSession;
        _batchParallelism = options.BatchParallelism;
        _chunkSize = options.BatchChunkSize;
        Metadata = metadata;
        Sha256 = sha256;
        _single = new ThreadLocal<SingleScratch>(() => new SingleScratch(this, _singleSession ?? _session), trackAllValues: true);
    }

    /// <summary>The parsed <c>hl.*</c> metadata.</summary>
    public DetectorModelMetadata Metadata { get; }

    /// <summary>SHA-256 of the model file's bytes: the model id recorded in intrusion reports.</summary>
    public Hash256 Sha256 { get; }

    /// <summary>The window length T.</summary>
    public int Window => Metadata.Window;

    /// <summary>The feature count F.</summary>
    public int FeatureCount => Metadata.Features.Count;

    /// <summary>The class count C.</summary>
    public int ClassCount => Metadata.Classes.Count;

    /// <summary>Floats in one input window (T × F).</summary>
    public int WindowLength => Window * FeatureCount;

    /// <summary>True when this build embeds the default model (<see cref="DefaultModelFileName"/>).</summary>
    public static bool HasEmbeddedDefault => typeof(DetectorModel).Assembly.GetManifestResourceInfo(ResourcePrefix + DefaultModelFileName) is not null;

    /// <summary>Loads the default WUSTL-EHMS binary model embedded in this assembly.</summary>
    /// <exception cref="DetectorModelException">The build has no embedded model, or it breaks the contract.</exception>
    public static DetectorModel LoadDefault(DetectorModelOptions? options = null) => LoadEmbedded(DefaultModelFileName, options);

    /// <summary>Loads the opt-in fast WUSTL-EHMS binary gate model (<see cref="FastModelFileName"/>) embedded in this assembly.</summary>
    /// <exception cref="DetectorModelException">The build does not embed it, or it breaks the contract.</exception>
    public static DetectorModel LoadFast(DetectorModelOptions? options = null) => LoadEmbedded(FastModelFileName, options);

    private static DetectorModel LoadEmbedded(string file, DetectorModelOptions? options)
    {
        using var stream = typeof(DetectorModel).Assembly.GetManifestResourceStream(ResourcePrefix + file)
            ?? throw new DetectorModelException(DetectorModelError.InvalidModel, $"this build of {typeof(DetectorModel).Assembly.GetName().Name} does not embed {file}.");
        return Load(stream, options);
    }

    /// <summary>Loads a model file.</summary>
    /// <exception cref="DetectorModelException">The file is not a model or breaks the contract.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static DetectorModel Load(string path, DetectorModelOptions? options = null) => Load(File.ReadAllBytes(path), options);

    /// <summary>Loads a model from a stream (read to its end).</summary>
    /// <exception cref="DetectorModelException">The bytes are not a model or break the contract.</exception>
    public static DetectorModel Load(Stream stream, DetectorModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Load(buffer.ToArray(), options);
    }

    /// <summary>Loads a model from its bytes.</summary>
    /// <exception cref="DetectorModelException">The bytes are not a model or break the contract.</exception>
    public static DetectorModel Load(byte[] model, DetectorModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= DetectorModelOptions.Default;
        options.Validate();
        InferenceSession session;
        try
        {
            session = CreateSession(model, options, null, 0);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DetectorModelException(DetectorModelError.InvalidModel, $"ONNX Runtime cannot load the model: {e.Message}", e);
        }

        InferenceSession? single = null;
        InferenceSession? chunk = null;
        try
        {
            var metadata = Check(session);
            var batchDimension = options.SpecializeBatchShapes ? SymbolicBatchDimension(session) : null;
            if (batchDimension is not null)
            {
                // The two specialised sessions load side by side (each costs about as much as the general one).
                var chunkTask = options.BatchChunkSize == 1
                    ? Task.FromResult<InferenceSession?>(null)
                    : Task.Run(() => TryCreateSession(model, options, batchDimension, options.BatchChunkSize));
                try
                {
                    single = TryCreateSession(model, options, batchDimension, 1);
                }
                finally
                {
                    chunk = chunkTask.GetAwaiter().GetResult();
                }
            }

            return new DetectorModel(session, single, chunk, metadata, Hash256.Sha256(model), options);
        }
        catch
        {
            chunk?.Dispose();
            single?.Dispose();
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when single windows and full batch chunks run on sessions whose batch dimension is fixed
    /// (<see cref="DetectorModelOptions.SpecializeBatchShapes"/> and a model with a symbolic batch dimension).
    /// </summary>
    public bool HasSpecializedShapes => _singleSession is not null;

    /// <summary>
    /// Runs the model on <paramref name="count"/> windows laid out as <c>[count, T, F]</c> in <paramref name="windows"/>
    /// and writes the <c>[count, C]</c> class probabilities to <paramref name="probabilities"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The spans are not sized for <paramref name="count"/> windows.</exception>
    public void Predict(ReadOnlySpan<float> windows, int count, Span<float> probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (windows.Length != count * WindowLength)
        {
            throw new ArgumentException($"Expected {count} × {Window} × {FeatureCount} floats, got {windows.Length}.", nameof(windows));
        }

        if (probabilities.Length != count * ClassCount)
        {
            throw new ArgumentException($"Expected {count} × {ClassCount} floats, got {probabilities.Length}.", nameof(probabilities));
        }

        if (count == 0)
        {
            return;
        }

        if (count == 1)
        {
            _single.Value!.Run(windows, probabilities);
            return;
        }

        var input = ArrayPool<float>.Shared.Rent(windows.Length);
        var output = ArrayPool<float>.Shared.Rent(probabilities.Length);
        try
        {
            windows.CopyTo(input);
            RunBatch(input, output, count);
            output.AsSpan(0, probabilities.Length).CopyTo(probabilities);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<float>.Shared.Return(output);
        }
    }

    /// <summary>
    /// <see cref="Predict"/> over arrays the caller owns (the first <paramref name="count"/> windows of
    /// <paramref name="windows"/>): no copies. The arrays must not change until the call returns.
    /// </summary>
    internal void PredictInPlace(float[] windows, int count, float[] probabilities)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(windows.Length, count * WindowLength, nameof(windows));
        ArgumentOutOfRangeException.ThrowIfLessThan(probabilities.Length, count * ClassCount, nameof(probabilities));
        if (count == 1)
        {
            _single.Value!.Run(windows.AsSpan(0, WindowLength), probabilities.AsSpan(0, ClassCount));
        }
        else if (count > 1)
        {
            RunBatch(windows, probabilities, count);
        }
    }

    /// <summary>
    /// Runs <paramref name="count"/> windows as inferences of at most <see cref="DetectorModelOptions.BatchChunkSize"/>
    /// windows, on up to <see cref="DetectorModelOptions.BatchParallelism"/> threads (the caller's among them).
    /// </summary>
    private void RunBatch(float[] input, float[] output, int count)
    {
        var chunk = _chunkSize;
        var workers = BatchWorkers(count);
        if (workers == 1)
        {
            for (var start = 0; start < count; start += chunk)
            {
                RunRange(input, output, start, Math.Min(chunk, count - start));
            }

            return;
        }

        var options = new ParallelOptions { MaxDegreeOfParallelism = workers };
        if (count >= workers * chunk)
        {
            // Full chunks (plus one short tail), handed out one at a time so a slow thread takes fewer.
            var chunks = (count + chunk - 1) / chunk;
            var next = -1;
            Parallel.For(0, workers, options, _ =>
            {
                int c;
                while ((c = Interlocked.Increment(ref next)) < chunks)
                {
                    var start = c * chunk;
                    RunRange(input, output, start, Math.Min(chunk, count - start));
                }
            });
        }
        else
        {
            // Fewer windows than one chunk per thread: equal shares.
            Parallel.For(0, workers, options, w =>
            {
                var start = (int)((long)count * w / workers);
                var end = (int)((long)count * (w + 1) / workers);
                RunRange(input, output, start, end - start);
            });
        }
    }

    /// <summary>Threads a batch of <paramref name="count"/> windows is spread over: at most the batch parallelism, at least 64 windows each.</summary>
    internal int BatchWorkers(int count) => Math.Min(_batchParallelism, Math.Max(1, count / MinParallelChunk));

    private void RunRange(float[] input, float[] output, int start, int count)
    {
        var session = count == _chunkSize ? _chunkSession ?? _session : count == 1 ? _singleSession ?? _session : _session;
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * WindowLength, count * WindowLength), [count, Window, FeatureCount]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(start * ClassCount, count * ClassCount), [count, ClassCount]);
        using var runOptions = new RunOptions();
        session.Run(runOptions, InputNames, [inputValue], OutputNames, [outputValue]);
    }

    /// <summary>Releases the sessions. Call only once no <see cref="Predict"/> call is in flight.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var scratch in _single.Values)
        {
            scratch.Dispose();
        }

        _single.Dispose();
        _chunkSession?.Dispose();
        _singleSession?.Dispose();
        _session.Dispose();
    }

    private static InferenceSession CreateSession(byte[] model, DetectorModelOptions options, string? batchDimension, int batchSize)
    {
        using var sessionOptions = options.CreateSessionOptions(batchDimension, batchSize);
        return new InferenceSession(model, sessionOptions);
    }

    /// <summary>A session with the batch dimension fixed, or null when ONNX Runtime refuses it (the general session then serves).</summary>
    private static InferenceSession? TryCreateSession(byte[] model, DetectorModelOptions options, string batchDimension, int batchSize)
    {
        try
        {
            return CreateSession(model, options, batchDimension, batchSize);
        }
        catch (OnnxRuntimeException)
        {
            return null;
        }
    }

    /// <summary>The name of the input's batch dimension when it is symbolic (e.g. <c>N</c>), else null.</summary>
    private static string? SymbolicBatchDimension(InferenceSession session)
    {
        var input = session.InputMetadata[InputName];
        if (input.Dimensions[0] > 0 || input.SymbolicDimensions.Length == 0 || string.IsNullOrEmpty(input.SymbolicDimensions[0]))
        {
            return null;
        }

        var name = input.SymbolicDimensions[0];
        var output = session.OutputMetadata[OutputName];
        return output.SymbolicDimensions.Length > 0 && output.SymbolicDimensions[0] == name ? name : null;
    }

    private static DetectorModelMetadata Check(InferenceSession session)
    {
        var inputs = session.InputMetadata;
        if (!inputs.TryGetValue(InputName, out var input) || inputs.Count != 1)
        {
            throw new DetectorModelException(DetectorModelError.MissingInput, $"the model must have exactly one input named '{InputName}'; it has [{string.Join(", ", inputs.Keys)}].");
        }

        if (!input.IsTensor || input.ElementDataType != TensorElementType.Float)
        {
            throw new DetectorModelException(DetectorModelError.WrongInputType, $"input '{InputName}' must be a float32 tensor; it is {input.OnnxValueType}/{input.ElementDataType}.");
        }

        if (input.Dimensions.Length != 3)
        {
            throw new DetectorModelException(DetectorModelError.WrongInputShape, $"input '{InputName}' must be [N, T, F]; it has rank {input.Dimensions.Length}.");
        }

        var outputs = session.OutputMetadata;
        if (!outputs.TryGetValue(OutputName, out var output))
        {
            throw new DetectorModelException(DetectorModelError.MissingOutput, $"the model has no output named '{OutputName}'; it has [{string.Join(", ", outputs.Keys)}].");
        }

        if (!output.IsTensor || output.ElementDataType != TensorElementType.Float)
        {
            throw new DetectorModelException(DetectorModelError.WrongOutputType, $"output '{OutputName}' must be a float32 tensor; it is {output.OnnxValueType}/{output.ElementDataType}.");
        }

        if (output.Dimensions.Length != 2)
        {
            throw new DetectorModelException(DetectorModelError.WrongOutputShape, $"output '{OutputName}' must be [N, C]; it has rank {output.Dimensions.Length}.");
        }

        var metadata = DetectorModelMetadata.Parse(session.ModelMetadata.CustomMetadataMap);
        var dims = input.Dimensions;
        if (dims[1] > 0 && dims[1] != metadata.Window)
        {
            throw new DetectorModelException(DetectorModelError.WrongInputShape, $"input '{InputName}' has window dimension {dims[1]} but hl.window is {metadata.Window}.");
        }

        if (dims[2] > 0 && dims[2] != metadata.Features.Count)
        {
            throw new DetectorModelException(DetectorModelError.WrongInputShape, $"input '{InputName}' has {dims[2]} features but hl.features lists {metadata.Features.Count}.");
        }

        if (output.Dimensions[1] > 0 && output.Dimensions[1] != metadata.Classes.Count)
        {
            throw new DetectorModelException(DetectorModelError.WrongOutputShape, $"output '{OutputName}' has {output.Dimensions[1]} classes but hl.classes lists {metadata.Classes.Count}.");
        }

        return metadata;
    }

    /// <summary>Per-thread buffers and tensors for single-window inference, created once and reused.</summary>
    private sealed class SingleScratch : IDisposable
    {
        private readonly InferenceSession _session;
        private readonly float[] _input;
        private readonly float[] _output;
        private readonly OrtValue _inputValue;
        private readonly OrtValue _outputValue;
        private readonly RunOptions _runOptions = new();
        private readonly OrtValue[] _inputs;
        private readonly OrtValue[] _outputs;

        public SingleScratch(DetectorModel owner, InferenceSession session)
        {
            _session = session;
            _input = new float[owner.WindowLength];
            _output = new float[owner.ClassCount];
            _inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, owner.Window, owner.FeatureCount]);
            _outputValue = OrtValue.CreateTensorValueFromMemory(_output, [1, owner.ClassCount]);
            _inputs = [_inputValue];
            _outputs = [_outputValue];
        }

        public void Run(ReadOnlySpan<float> window, Span<float> probabilities)
        {
            window.CopyTo(_input);
            _session.Run(_runOptions, InputNames, _inputs, OutputNames, _outputs);
            _output.CopyTo(probabilities);
        }

        public void Dispose()
        {
            _inputValue.Dispose();
            _outputValue.Dispose();
            _runOptions.Dispose();
        }
    }
}

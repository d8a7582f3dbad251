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

    private const string ResourcePrefix = "HealthLedger.Detection.Models.";

    private static readonly string[] InputNames = [InputName];
    private static readonly string[] OutputNames = [OutputName];

    private const int MinParallelChunk = 64;

    private readonly InferenceSession _session;
    private readonly int _batchParallelism;
    private readonly ThreadLocal<SingleScratch> _single;
    private int _disposed;

    private DetectorModel(InferenceSession session, DetectorModelMetadata metadata, Hash256 sha256, int batchParallelism)
    {
        _session = session;
        _batchParallelism = batchParallelism;
        Metadata = metadata;
        Sha256 = sha256;
        _single = new ThreadLocal<SingleScratch>(() => new SingleScratch(this), trackAllValues: true);
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
    public static DetectorModel LoadDefault(DetectorModelOptions? options = null)
    {
        using var stream = typeof(DetectorModel).Assembly.GetManifestResourceStream(ResourcePrefix + DefaultModelFileName)
            ?? throw new DetectorModelException(DetectorModelError.InvalidModel, $"this build of {typeof(DetectorModel).Assembly.GetName().Name} embeds no default model ({DefaultModelFileName}).");
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
        using var sessionOptions = options.CreateSessionOptions();
        InferenceSession session;
        try
        {
            session = new InferenceSession(model, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new DetectorModelException(DetectorModelError.InvalidModel, $"ONNX Runtime cannot load the model: {e.Message}", e);
        }

        try
        {
            var metadata = Check(session);
            return new DetectorModel(session, metadata, Hash256.Sha256(model), options.BatchParallelism);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

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
            var chunks = Math.Min(_batchParallelism, count / MinParallelChunk);
            if (chunks > 1)
            {
                Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = chunks }, c =>
                {
                    var start = (int)((long)count * c / chunks);
                    var end = (int)((long)count * (c + 1) / chunks);
                    RunRange(input, output, start, end - start);
                });
            }
            else
            {
                RunRange(input, output, 0, count);
            }

            output.AsSpan(0, probabilities.Length).CopyTo(probabilities);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(input);
            ArrayPool<float>.Shared.Return(output);
        }
    }

    private void RunRange(float[] input, float[] output, int start, int count)
    {
        using var inputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, input.AsMemory(start * WindowLength, count * WindowLength), [count, Window, FeatureCount]);
        using var outputValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, output.AsMemory(start * ClassCount, count * ClassCount), [count, ClassCount]);
        using var runOptions = new RunOptions();
        _session.Run(runOptions, InputNames, [inputValue], OutputNames, [outputValue]);
    }

    /// <summary>Releases the session. Call only once no <see cref="Predict"/> call is in flight.</summary>
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
        _session.Dispose();
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
        private readonly DetectorModel _owner;
        private readonly float[] _input;
        private readonly float[] _output;
        private readonly OrtValue _inputValue;
        private readonly OrtValue _outputValue;
        private readonly RunOptions _runOptions = new();
        private readonly OrtValue[] _inputs;
        private readonly OrtValue[] _outputs;

        public SingleScratch(DetectorModel owner)
        {
            _owner = owner;
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
            _owner._session.Run(_runOptions, InputNames, _inputs, OutputNames, _outputs);
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

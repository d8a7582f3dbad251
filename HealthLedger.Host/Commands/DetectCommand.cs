using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Host.Commands;

/// <summary>The `detect` command: evaluates the intrusion detector on its held-out test split.</summary>
internal static class DetectCommand
{
    private static readonly Dictionary<string, (string Dataset, string ModelFile)> Datasets = new(StringComparer.OrdinalIgnoreCase)
    {
        ["wustl"] = ("wustl-ehms-2020", DetectorModel.DefaultModelFileName),
        ["nsl-kdd"] = ("nsl-kdd", "nsl-kdd-binary.onnx"),
    };

    public static Command Create()
    {
        var command = new Command("detect", "Intrusion detector (DSAE + BiLSTM, ONNX Runtime) tools.");
        command.Subcommands.Add(CreateEvaluate());
        command.Subcommands.Add(CreateBench());
        return command;
    }

    private static Command CreateBench()
    {
        var model = new Option<FileInfo?>("--model")
        {
            Description = "ONNX model file (default: the embedded WUSTL model).",
        };
        var count = new Option<int>("--count")
        {
            Description = "Single-submission calls to time one by one.",
            DefaultValueFactory = _ => 100_000,
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "Seconds to run each batch size for the throughput figure.",
            DefaultValueFactory = _ => 2.0,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "ONNX Runtime intra-op threads (default 1, the library default).",
            DefaultValueFactory = _ => 1,
        };
        var parallel = new Option<int>("--parallel")
        {
            Description = "Batch parallelism: concurrent inferences one batch is split into (default 1).",
            DefaultValueFactory = _ => 1,
        };
        var chunk = new Option<int>("--chunk")
        {
            Description = "Most windows per inference within a batch (default 128, the library default).",
            DefaultValueFactory = _ => DetectorModelOptions.Default.BatchChunkSize,
        };
        var general = new Option<bool>("--no-specialize")
        {
            Description = "Run every batch size on the general session (no sessions with the batch dimension fixed).",
        };
        var command = new Command("bench", "Latency harness: per-call p50/p99 of single-submission classification, batched throughput (1, 64, 512, 2048) and model load time.")
        {
            model,
            count,
            seconds,
            threads,
            parallel,
            chunk,
            general,
        };
        command.SetAction(parseResult => DetectBench.Run(
            parseResult.GetValue(model),
            parseResult.GetValue(count),
            parseResult.GetValue(seconds),
            new DetectorModelOptions
            {
                IntraOpThreads = parseResult.GetValue(threads),
                BatchParallelism = parseResult.GetValue(parallel),
                BatchChunkSize = parseResult.GetValue(chunk),
                SpecializeBatchShapes = !parseResult.GetValue(general),
            }));
        return command;
    }

    private static Command CreateEvaluate()
    {
        var dataset = new Option<string>("--dataset")
        {
            Description = "Dataset whose test split to evaluate: wustl or nsl-kdd.",
            Required = true,
        };
        dataset.AcceptOnlyFromAmong("wustl", "nsl-kdd");
        var data = new Option<DirectoryInfo?>("--data")
        {
            Description = $"Data folder (default: env {DataLocator.EnvironmentVariable}, else ../shared/data next to the repository root).",
        };
        var model = new Option<FileInfo?>("--model")
        {
            Description = "ONNX model file (default: the embedded WUSTL model, or HealthLedger.Detection/Models/nsl-kdd-binary.onnx).",
        };
        var json = new Option<FileInfo>("--json")
        {
            Description = "Write the metrics as JSON to this file.",
            Required = true,
        };
        var history = new Option<int?>("--history")
        {
            Description = "Records of device history each test record may see, itself included (1 = a new device's first record; default: the model's window). Measures cold-start behaviour.",
        };
        var command = new Command("evaluate", "Rebuild the model's exact test split from hl.split/hl.window, run the model and report accuracy, sensitivity, specificity, precision, F1, ROC-AUC and the confusion matrix.")
        {
            dataset,
            data,
            model,
            json,
            history,
        };
        command.SetAction(parseResult => Evaluate(
            parseResult.GetValue(dataset)!,
            parseResult.GetValue(data),
            parseResult.GetValue(model),
            parseResult.GetValue(json)!,
            parseResult.GetValue(history)));
        return command;
    }

    private static int Evaluate(string datasetName, DirectoryInfo? dataDir, FileInfo? modelFile, FileInfo json, int? history)
    {
        if (history is < 1)
        {
            Console.Error.WriteLine("--history must be at least 1.");
            return 2;
        }

        var (dataset, defaultModel) = Datasets[datasetName];
        var location = DataLocator.Find(dataDir?.FullName);
        if (location.Directory is null)
        {
            Console.Error.WriteLine($"Data not found: {location.Explanation}");
            return 2;
        }

        DetectorModel loaded;
        string source;
        try
        {
            (loaded, source) = LoadModel(modelFile, defaultModel);
        }
        catch (Exception e) when (e is DetectorModelException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"Cannot load the model: {e.Message}");
            return 2;
        }

        using (loaded)
        {
            if (loaded.Metadata.Dataset != dataset)
            {
                Console.Error.WriteLine($"The model was trained on '{loaded.Metadata.Dataset}', not '{dataset}'.");
                return 2;
            }

            EvaluationResult result;
            try
            {
                result = DetectorEvaluator.Evaluate(loaded, location.Directory, source, history);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
            {
                Console.Error.WriteLine($"Evaluation failed: {e.Message}");
                return 1;
            }

            Console.Write(EvaluationReport.Table(result));
            var directory = Path.GetDirectoryName(json.FullName);
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }

            using (var stream = File.Create(json.FullName))
            {
                EvaluationReport.WriteJson(result, stream);
            }

            Console.WriteLine($"Metrics written to {json.FullName}");
            return 0;
        }
    }

    internal static (DetectorModel Model, string Source) LoadModel(FileInfo? modelFile, string defaultModel)
    {
        if (modelFile is not null)
        {
            return (DetectorModel.Load(modelFile.FullName), modelFile.FullName);
        }

        if (defaultModel == DetectorModel.DefaultModelFileName && DetectorModel.HasEmbeddedDefault)
        {
            return (DetectorModel.LoadDefault(), "embedded:" + defaultModel);
        }

        var root = DataLocator.FindRepositoryRoot()
            ?? throw new FileNotFoundException($"No --model given and no repository root found to look for Models/{defaultModel}.");
        var path = Path.Combine(root, "HealthLedger.Detection", "Models", defaultModel);
        return (DetectorModel.Load(path), path);
    }
}
/// <summary>
/// `healthledger detect bench`: times every single-submission call (so p50/p99 are per call, not per iteration as in
/// BenchmarkDotNet), batched inference throughput and model load time. Synthetic inputs; Release build recommended:
/// <c>dotnet run -c Release --project HealthLedger.Host -- detect bench</c>.
/// </summary>
internal static class DetectBench
{
    public static int Run(FileInfo? modelFile, int count, double seconds, DetectorModelOptions options)
    {
        if (count < 1 || seconds <= 0)
        {
            Console.Error.WriteLine("--count and --seconds must be positive.");
            return 2;
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            Console.Error.WriteLine($"--threads, --parallel and --chunk must be positive: {e.Message}");
            return 2;
        }

        byte[] bytes;
        try
        {
            bytes = modelFile is not null ? File.ReadAllBytes(modelFile.FullName) : EmbeddedBytes();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DetectorModelException)
        {
            Console.Error.WriteLine($"Cannot read the model: {e.Message}");
            return 2;
        }

        var inv = CultureInfo.InvariantCulture;

        // Model load with the chosen options: 20 loads from bytes (contract checks included), after one warm-up.
        DetectorModel.Load(bytes, options).Dispose();
        var loads = new double[20];
        for (var i = 0; i < loads.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            DetectorModel.Load(bytes, options).Dispose();
            loads[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(loads);
        using var model = DetectorModel.Load(bytes, options);
        Console.WriteLine(string.Create(inv, $"model: {model.Metadata.ModelId}, T={model.Window}, F={model.FeatureCount}, C={model.ClassCount}, {bytes.Length:N0} bytes, intra-op threads {options.IntraOpThreads}, batch parallelism {options.BatchParallelism}, chunk {options.BatchChunkSize}, specialised shapes {model.HasSpecializedShapes}, {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
        Console.WriteLine(string.Create(inv, $"load: median {loads[loads.Length / 2]:F2} ms, max {loads[^1]:F2} ms (n={loads.Length})"));

        // Single submissions through the whole detector, each call timed.
        var detector = new OnnxIntrusionDetector(model, TimeProvider.System, new DeviceWindowOptions { MaxDevices = 1024 });
        var submissions = SyntheticSubmissions.Create(model, 8192, 256);
        for (var i = 0; i < 20_000; i++)
        {
            detector.Classify(submissions[i % submissions.Length]);
        }

        var latencies = new double[count];
        var cpu0 = CpuSeconds();
        for (var i = 0; i < count; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            detector.Classify(submissions[i % submissions.Length]);
            latencies[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }

        var cpuPerCall = (CpuSeconds() - cpu0) / count * 1e6;
        Array.Sort(latencies);
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)Math.Ceiling(q * latencies.Length) - 1)];
        Console.WriteLine(string.Create(inv, $"single Classify (n={count:N0}): p50 {P(0.50):F1} µs, p90 {P(0.90):F1} µs, p99 {P(0.99):F1} µs, p99.9 {P(0.999):F1} µs, max {latencies[^1]:F1} µs; process CPU {cpuPerCall:F1} µs/call"));

        // Batched raw inference and batched ClassifyBatch.
        foreach (var batch in new[] { 1, 64, 512, 2048 })
        {
            var windows = SyntheticSubmissions.Windows(model, batch);
            var probabilities = new float[batch * model.ClassCount];
            var (predict, predictCpu) = Throughput(seconds, batch, () => model.Predict(windows, batch, probabilities));
            var slice = new ArraySegment<DeviceSubmission>(submissions, 0, batch);
            var (classify, classifyCpu) = Throughput(seconds, batch, () => detector.ClassifyBatch(slice));
            Console.WriteLine(string.Create(inv, $"batch {batch,3}: Predict {predict,9:N0} samples/s ({predictCpu,9:N0} per CPU-s)   ClassifyBatch {classify,9:N0} samples/s ({classifyCpu,9:N0} per CPU-s)"));
        }

        Console.WriteLine($"load average at the end: {LoadAverage()}");
        return 0;
    }

    /// <summary>The 1-, 5- and 15-minute load averages (Linux), to judge whether the figures come from a quiet machine.</summary>
    private static string LoadAverage()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', fields.Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static double CpuSeconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalSeconds;
    }

    /// <summary>Samples per wall-clock second and per second of process CPU time (the latter is robust to a shared machine).</summary>
    private static (double Wall, double PerCpuSecond) Throughput(double seconds, int batch, Action run)
    {
        for (var i = 0; i < 20; i++)
        {
            run();
        }

        long samples = 0;
        var cpu0 = CpuSeconds();
        var t0 = Stopwatch.GetTimestamp();
        var budget = TimeSpan.FromSeconds(seconds);
        while (Stopwatch.GetElapsedTime(t0) < budget)
        {
            run();
            samples += batch;
        }

        var wall = Stopwatch.GetElapsedTime(t0).TotalSeconds;
        return (samples / wall, samples / Math.Max(1e-9, CpuSeconds() - cpu0));
    }

    private static byte[] EmbeddedBytes()
    {
        using var stream = typeof(DetectorModel).Assembly.GetManifestResourceStream("HealthLedger.Detection.Models." + DetectorModel.DefaultModelFileName)
            ?? throw new DetectorModelException(DetectorModelError.InvalidModel, "this build embeds no default model; pass --model.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
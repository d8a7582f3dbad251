using System.CommandLine;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Model;

namespace HealthLedger.Node.Commands;

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
        var command = new Command("bench", "Latency harness: per-call p50/p99 of single-submission classification, batched throughput (1, 64, 512) and model load time.")
        {
            model,
            count,
            seconds,
        };
        command.SetAction(parseResult => DetectBench.Run(parseResult.GetValue(model), parseResult.GetValue(count), parseResult.GetValue(seconds)));
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
        var command = new Command("evaluate", "Rebuild the model's exact test split from hl.split/hl.window, run the model and report accuracy, sensitivity, specificity, precision, F1, ROC-AUC and the confusion matrix.")
        {
            dataset,
            data,
            model,
            json,
        };
        command.SetAction(parseResult => Evaluate(
            parseResult.GetValue(dataset)!,
            parseResult.GetValue(data),
            parseResult.GetValue(model),
            parseResult.GetValue(json)!));
        return command;
    }

    private static int Evaluate(string datasetName, DirectoryInfo? dataDir, FileInfo? modelFile, FileInfo json)
    {
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
                result = DetectorEvaluator.Evaluate(loaded, location.Directory, source);
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

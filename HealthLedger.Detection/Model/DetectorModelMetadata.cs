using System.Globalization;
using System.Text.Json;

namespace HealthLedger.Detection.Model;

/// <summary>The <c>hl.*</c> metadata of a detector model, parsed and checked against the model contract.</summary>
public sealed class DetectorModelMetadata
{
    /// <summary>The only <c>hl.schema</c> version this runtime reads.</summary>
    public const string SupportedSchema = "1";

    private DetectorModelMetadata(
        string dataset,
        string datasetSha256,
        IReadOnlyList<string> features,
        int window,
        IReadOnlyList<string> classes,
        float threshold,
        string trainingJson,
        string metricsJson,
        string splitJson,
        IReadOnlyList<float>? thresholdByHistory)
    {
        Dataset = dataset;
        DatasetSha256 = datasetSha256;
        Features = features;
        Window = window;
        Classes = classes;
        Threshold = threshold;
        TrainingJson = trainingJson;
        MetricsJson = metricsJson;
        SplitJson = splitJson;
        ThresholdByHistory = thresholdByHistory;
    }

    /// <summary><c>hl.dataset</c>: <c>wustl-ehms-2020</c> or <c>nsl-kdd</c>.</summary>
    public string Dataset { get; }

    /// <summary><c>hl.dataset_sha256</c>: lower-case hex SHA-256 of the training file.</summary>
    public string DatasetSha256 { get; }

    /// <summary><c>hl.features</c>: the F feature names in input order (one-hot categoricals as <c>column=value</c>).</summary>
    public IReadOnlyList<string> Features { get; }

    /// <summary><c>hl.window</c>: the window length T (records per classification).</summary>
    public int Window { get; }

    /// <summary><c>hl.classes</c>: class names; class 0 is always <c>normal</c>.</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary><c>hl.threshold</c>: a record is an attack when P(attack) = 1 − P(normal) is at least this.</summary>
    public float Threshold { get; }

    /// <summary>
    /// Optional <c>hl.threshold_by_history</c>: T thresholds, element h − 1 for a device that has sent only h records
    /// (its window is left-padded), each chosen on validation windows cut to h records by the rule of <see cref="Threshold"/>;
    /// the last equals <see cref="Threshold"/>. Null when the model has none (one threshold for every history).
    /// </summary>
    public IReadOnlyList<float>? ThresholdByHistory { get; }

    /// <summary>The threshold for a record whose device has <paramref name="history"/> records (itself included).</summary>
    /// <param name="history">Records of the device's history in the window, 1..T (larger values are treated as T).</param>
    /// <returns><see cref="ThresholdByHistory"/>[h − 1] when present, else <see cref="Threshold"/>.</returns>
    public float ThresholdFor(int history)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(history, 1);
        return ThresholdByHistory is { } list && history < Window ? list[history - 1] : Threshold;
    }

    /// <summary><c>hl.training</c> as raw JSON (hyper-parameters and seeds).</summary>
    public string TrainingJson { get; }

    /// <summary><c>hl.metrics</c> as raw JSON (test metrics of the model and of the baseline).</summary>
    public string MetricsJson { get; }

    /// <summary><c>hl.split</c> as raw JSON (how to rebuild the train/validation/test split).</summary>
    public string SplitJson { get; }

    /// <summary>A short human-readable name: dataset, class count and the dataset hash prefix.</summary>
    public string ModelId => $"{Dataset}/{Classes.Count}-class/{DatasetSha256[..Math.Min(12, DatasetSha256.Length)]}";

    /// <summary>Parses and checks the metadata map of a model; throws <see cref="DetectorModelException"/> when it breaks the contract.</summary>
    public static DetectorModelMetadata Parse(IReadOnlyDictionary<string, string> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var schema = Required(map, "hl.schema");
        if (schema.Trim() != SupportedSchema)
        {
            throw new DetectorModelException(DetectorModelError.UnsupportedSchema, $"hl.schema is '{schema}', this runtime reads schema {SupportedSchema}.");
        }

        var dataset = Required(map, "hl.dataset");
        if (string.IsNullOrWhiteSpace(dataset))
        {
            throw Invalid("hl.dataset", "it is empty");
        }

        var sha = Required(map, "hl.dataset_sha256");
        if (sha.Length != 64 || !sha.All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f'))
        {
            throw Invalid("hl.dataset_sha256", "it must be 64 lower-case hex characters");
        }

        var features = StringArray(map, "hl.features");
        if (features.Count == 0)
        {
            throw Invalid("hl.features", "it must list at least one feature");
        }

        if (features.Distinct(StringComparer.Ordinal).Count() != features.Count)
        {
            throw Invalid("hl.features", "feature names must be unique");
        }

        if (features.Any(string.IsNullOrEmpty))
        {
            throw Invalid("hl.features", "feature names must not be empty");
        }

        var windowText = Required(map, "hl.window");
        if (!int.TryParse(windowText, NumberStyles.None, CultureInfo.InvariantCulture, out var window) || window < 1)
        {
            throw Invalid("hl.window", $"'{windowText}' is not a positive integer");
        }

        var classes = StringArray(map, "hl.classes");
        if (classes.Count < 2)
        {
            throw Invalid("hl.classes", "a classifier needs at least two classes");
        }

        if (classes[0] != "normal")
        {
            throw Invalid("hl.classes", $"class 0 must be 'normal', got '{classes[0]}'");
        }

        var thresholdText = Required(map, "hl.threshold");
        if (!double.TryParse(thresholdText, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold)
            || !double.IsFinite(threshold) || threshold < 0 || threshold > 1)
        {
            throw Invalid("hl.threshold", $"'{thresholdText}' is not a probability in [0, 1]");
        }

        var training = JsonObject(map, "hl.training");
        var metrics = JsonObject(map, "hl.metrics");
        var split = JsonObject(map, "hl.split");
        var byHistory = map.ContainsKey("hl.threshold_by_history") ? ProbabilityArray(map, "hl.threshold_by_history") : null;
        if (byHistory is not null)
        {
            if (byHistory.Count != window)
            {
                throw Invalid("hl.threshold_by_history", $"it has {byHistory.Count} thresholds for a window of {window}");
            }

            if (Math.Abs(byHistory[^1] - threshold) > 1e-6)
            {
                throw Invalid("hl.threshold_by_history", $"its full-window threshold {byHistory[^1].ToString(CultureInfo.InvariantCulture)} differs from hl.threshold {thresholdText}");
            }
        }

        return new DetectorModelMetadata(dataset, sha, features, window, classes, (float)threshold, training, metrics, split, byHistory);
    }

    private static string Required(IReadOnlyDictionary<string, string> map, string key) =>
        map.TryGetValue(key, out var value)
            ? value
            : throw new DetectorModelException(DetectorModelError.MissingMetadata, $"the model has no '{key}' metadata entry.");

    private static DetectorModelException Invalid(string key, string why) =>
        new(DetectorModelError.InvalidMetadata, $"'{key}' is malformed: {why}.");

    private static List<string> StringArray(IReadOnlyDictionary<string, string> map, string key) =>
        JsonArray(map, key, "strings", "a string", item => item.ValueKind == JsonValueKind.String ? (true, item.GetString()!) : (false, ""));

    private static List<float> ProbabilityArray(IReadOnlyDictionary<string, string> map, string key) =>
        JsonArray(map, key, "probabilities", "a probability in [0, 1]", item =>
            item.ValueKind == JsonValueKind.Number && item.TryGetDouble(out var v) && double.IsFinite(v) && v is >= 0 and <= 1
                ? (true, (float)v)
                : (false, 0f));

    private static List<T> JsonArray<T>(IReadOnlyDictionary<string, string> map, string key, string elements, string element, Func<JsonElement, (bool Ok, T Value)> read)
    {
        var text = Required(map, key);
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw Invalid(key, $"it must be a JSON array of {elements}");
            }

            var list = new List<T>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                var (ok, value) = read(item);
                if (!ok)
                {
                    throw Invalid(key, $"every element must be {element}");
                }

                list.Add(value);
            }

            return list;
        }
        catch (JsonException e)
        {
            throw new DetectorModelException(DetectorModelError.InvalidMetadata, $"'{key}' is not valid JSON: {e.Message}", e);
        }
    }

    private static string JsonObject(IReadOnlyDictionary<string, string> map, string key)
    {
        var text = Required(map, key);
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? text : throw Invalid(key, "it must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new DetectorModelException(DetectorModelError.InvalidMetadata, $"'{key}' is not valid JSON: {e.Message}", e);
        }
    }
}

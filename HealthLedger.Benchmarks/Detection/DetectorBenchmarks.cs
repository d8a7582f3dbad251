using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Benchmarks.Detection;

/// <summary>
/// Detector latency and throughput. Run:
/// <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*Detector*' --job short --inProcess</c>.
/// Goals: single submission p99 ≤ 100 µs, batched ≥ 150,000 samples/s, model load ≤ 50 ms. P50/P95/P99 columns are over
/// BenchmarkDotNet iterations (means of many calls); per-call percentiles come from <c>healthledger detect bench</c>.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PercentileConfig))]
public class DetectorBenchmarks : DetectorBatchBenchmarkBase
{
    /// <summary>Windows per batch.</summary>
    [Params(1, 64, 512)]
    public int BatchSize { get; set; }

    /// <summary>Loads the model and prepares inputs.</summary>
    [GlobalSetup]
    public void Setup() => Prepare(BatchSize, DetectorModelOptions.Default);

    /// <summary>Raw inference on <see cref="BatchSize"/> prepared windows (samples/s = BatchSize / mean).</summary>
    [Benchmark(Baseline = true)]
    public void PredictBatch() => PredictPrepared();

    /// <summary>Full path for <see cref="BatchSize"/> submissions: features, per-device windows, one inference.</summary>
    [Benchmark]
    public IReadOnlyList<DetectionResult> ClassifyBatch() => ClassifyNext();
}

/// <summary>
/// Batch 512 spread over two threads (<see cref="DetectorModelOptions.BatchParallelism"/> = 2): the two-core throughput
/// figure (samples/s = 512 / mean).
/// </summary>
[MemoryDiagnoser]
[Config(typeof(PercentileConfig))]
public class DetectorParallelBatchBenchmarks : DetectorBatchBenchmarkBase
{
    /// <summary>Loads the model with batch parallelism 2 and prepares inputs.</summary>
    [GlobalSetup]
    public void Setup() => Prepare(512, new DetectorModelOptions { BatchParallelism = 2 });

    /// <summary>Raw inference on 512 prepared windows, two threads.</summary>
    [Benchmark(Baseline = true)]
    public void PredictBatch512Parallel2() => PredictPrepared();

    /// <summary>Full path for 512 submissions, two threads.</summary>
    [Benchmark]
    public IReadOnlyList<DetectionResult> ClassifyBatch512Parallel2() => ClassifyNext();
}

/// <summary>Shared state of the batch benchmarks: a detector over the shipped model, synthetic submissions and windows.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [GlobalCleanup].")]
public abstract class DetectorBatchBenchmarkBase
{
    private DetectorModel _model = null!;
    private OnnxIntrusionDetector _detector = null!;
    private DeviceSubmission[] _submissions = null!;
    private float[] _windows = null!;
    private float[] _probabilities = null!;
    private int _batch;
    private int _next;

    /// <summary>Releases the model.</summary>
    [GlobalCleanup]
    public void Cleanup() => _detector.Dispose();

    /// <summary>Loads the model with <paramref name="options"/> and prepares <paramref name="batch"/>-sized inputs.</summary>
    /// <param name="batch">Windows per call.</param>
    /// <param name="options">Model options.</param>
    protected void Prepare(int batch, DetectorModelOptions options)
    {
        _batch = batch;
        _model = DetectorModel.Load(DetectorBenchmarkSetup.ModelBytes(), options);
        _detector = new OnnxIntrusionDetector(_model, TimeProvider.System, new DeviceWindowOptions { MaxDevices = 1024 }, ownsModel: true);
        _submissions = SyntheticSubmissions.Create(_model, 4096, 256);
        _windows = SyntheticSubmissions.Windows(_model, batch);
        _probabilities = new float[batch * _model.ClassCount];
        _detector.ClassifyBatch(_submissions);
    }

    /// <summary>Raw inference on the prepared windows.</summary>
    protected void PredictPrepared() => _model.Predict(_windows, _batch, _probabilities);

    /// <summary>The full path for the next slice of submissions.</summary>
    /// <returns>The results.</returns>
    protected IReadOnlyList<DetectionResult> ClassifyNext()
    {
        var start = _next;
        _next = (_next + _batch) % (_submissions.Length - _batch);
        return _detector.ClassifyBatch(new ArraySegment<DeviceSubmission>(_submissions, start, _batch));
    }
}

/// <summary>Single-submission latency and model load time (no batch parameter).</summary>
[MemoryDiagnoser]
[Config(typeof(PercentileConfig))]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Disposed in [GlobalCleanup].")]
public class DetectorLatencyBenchmarks
{
    private DetectorModel _model = null!;
    private OnnxIntrusionDetector _detector = null!;
    private DeviceSubmission[] _submissions = null!;
    private byte[] _modelBytes = null!;
    private int _next;

    /// <summary>Loads the model and prepares inputs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _modelBytes = DetectorBenchmarkSetup.ModelBytes();
        _model = DetectorModel.Load(_modelBytes);
        _detector = new OnnxIntrusionDetector(_model, TimeProvider.System, new DeviceWindowOptions { MaxDevices = 1024 }, ownsModel: true);
        _submissions = SyntheticSubmissions.Create(_model, 4096, 256);
        _detector.ClassifyBatch(_submissions);
    }

    /// <summary>Releases the model.</summary>
    [GlobalCleanup]
    public void Cleanup() => _detector.Dispose();

    /// <summary>One submission through the whole detector (features, window, inference, verdict).</summary>
    [Benchmark(Baseline = true)]
    public DetectionResult ClassifySingle()
    {
        var submission = _submissions[_next];
        _next = (_next + 1) % _submissions.Length;
        return _detector.Classify(submission);
    }

    /// <summary>Model load from bytes, including the contract checks (then disposed).</summary>
    [Benchmark]
    public int LoadModel()
    {
        using var model = DetectorModel.Load(_modelBytes);
        return model.FeatureCount;
    }
}

/// <summary>Adds P50, P95 and P99 columns (over iterations).</summary>
internal sealed class PercentileConfig : ManualConfig
{
    public PercentileConfig()
    {
        AddColumn(StatisticColumn.P50, StatisticColumn.P95, new P99Column());
    }

    private sealed class P99Column : IColumn
    {
        public string Id => "P99";

        public string ColumnName => "P99";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => 10;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => "99th percentile of iteration means";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            return statistics is null ? "NA" : (statistics.Percentiles.Percentile(99) / 1000.0).ToString("N2", System.Globalization.CultureInfo.InvariantCulture) + " μs";
        }

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    }
}

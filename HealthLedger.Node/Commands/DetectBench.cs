using System.Diagnostics;
using System.Globalization;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Node.Commands;

/// <summary>
/// `healthledger detect bench`: times every single-submission call (so p50/p99 are per call, not per iteration as in
/// BenchmarkDotNet), batched inference throughput and model load time. Synthetic inputs; Release build recommended:
/// <c>dotnet run -c Release --project HealthLedger.Node -- detect bench</c>.
/// </summary>
internal static class DetectBench
{
    public static int Run(FileInfo? modelFile, int count, double seconds)
    {
        if (count < 1 || seconds <= 0)
        {
            Console.Error.WriteLine("--count and --seconds must be positive.");
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

        // Model load: 20 loads from bytes (contract checks included), after one warm-up.
        DetectorModel.Load(bytes).Dispose();
        var loads = new double[20];
        for (var i = 0; i < loads.Length; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            DetectorModel.Load(bytes).Dispose();
            loads[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        Array.Sort(loads);
        using var model = DetectorModel.Load(bytes);
        Console.WriteLine(string.Create(inv, $"model: {model.Metadata.ModelId}, T={model.Window}, F={model.FeatureCount}, C={model.ClassCount}, {bytes.Length:N0} bytes"));
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
        foreach (var batch in new[] { 1, 64, 512 })
        {
            var windows = SyntheticSubmissions.Windows(model, batch);
            var probabilities = new float[batch * model.ClassCount];
            var (predict, predictCpu) = Throughput(seconds, batch, () => model.Predict(windows, batch, probabilities));
            var slice = new ArraySegment<DeviceSubmission>(submissions, 0, batch);
            var (classify, classifyCpu) = Throughput(seconds, batch, () => detector.ClassifyBatch(slice));
            Console.WriteLine(string.Create(inv, $"batch {batch,3}: Predict {predict,9:N0} samples/s ({predictCpu,9:N0} per CPU-s)   ClassifyBatch {classify,9:N0} samples/s ({classifyCpu,9:N0} per CPU-s)"));
        }

        return 0;
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

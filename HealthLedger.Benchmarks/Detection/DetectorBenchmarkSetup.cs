using HealthLedger.Detection.Model;

namespace HealthLedger.Benchmarks.Detection;

/// <summary>Model bytes and synthetic submissions shared by the detector benchmarks.</summary>
internal static class DetectorBenchmarkSetup
{
    /// <summary>
    /// The model to measure: env HEALTHLEDGER_BENCH_MODEL, else the embedded default (WUSTL) model, else the tiny
    /// test model from HealthLedger.Tests/TestVectors/Detection.
    /// </summary>
    public static byte[] ModelBytes()
    {
        var fromEnv = Environment.GetEnvironmentVariable("HEALTHLEDGER_BENCH_MODEL");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return File.ReadAllBytes(fromEnv);
        }

        var resource = typeof(DetectorModel).Assembly.GetManifestResourceStream("HealthLedger.Detection.Models." + DetectorModel.DefaultModelFileName);
        if (resource is not null)
        {
            using (resource)
            {
                using var buffer = new MemoryStream();
                resource.CopyTo(buffer);
                return buffer.ToArray();
            }
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var tiny = Path.Combine(dir.FullName, "HealthLedger.Tests", "TestVectors", "Detection", "tiny-binary.onnx");
            if (File.Exists(tiny))
            {
                return File.ReadAllBytes(tiny);
            }
        }

        throw new FileNotFoundException("No detector model to benchmark: set HEALTHLEDGER_BENCH_MODEL.");
    }
}

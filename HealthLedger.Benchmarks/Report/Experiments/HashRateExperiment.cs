using System.Diagnostics;
using System.Globalization;
using System.Text;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 6: the nonce-search rate of each hashing kernel per CPU-second on one thread, against the rate
/// <c>openssl speed -evp sha256</c> implies in the same run (bytes/s ÷ 64 ÷ 2: two compressions per nonce with a midstate).
/// </summary>
internal sealed class HashRateExperiment : IReportExperiment
{
    private static readonly HashKernel[] Kernels = [HashKernel.Naive, HashKernel.Scalar, HashKernel.Vector256, HashKernel.Vector512, HashKernel.ShaNi];

    public string Id => "hash-rate";

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var trials = context.Scale.Pick(2, 5, 9);
        var seconds = context.Scale.Pick(0.05, 0.4, 1.0);
        var input = new byte[136];
        new Random(42).NextBytes(input);

        var openssl = new List<double>();
        string? opensslNote = null;
        for (var t = 0; t < context.Scale.Pick(1, 3, 5); t++)
        {
            var (rate, note) = OpenSsl(context.Scale.Pick(1, 1, 2));
            opensslNote ??= note;
            if (rate is { } r)
            {
                openssl.Add(r / 1e6);
            }
        }

        var opensslSpread = Spread.Of(openssl);
        var results = new List<(HashKernel Kernel, Spread Rate, bool Accelerated)>();
        foreach (var kernel in Kernels)
        {
            if (kernel == HashKernel.ShaNi && !NonceSearch.IsAccelerated(kernel))
            {
                continue;
            }

            // Calibrate the nonce count to the trial length, then time the trials (MH per CPU-second of the process).
            var probe = Stopwatch.StartNew();
            var probeCount = 1UL << 14;
            NonceSearch.Search(input, Hash256.Zero, 1, 0, probeCount, kernel);
            var perSecond = probeCount / Math.Max(probe.Elapsed.TotalSeconds, 1e-6);
            var count = (ulong)Math.Clamp(perSecond * seconds, 1 << 12, uint.MaxValue / 2);
            var rates = new List<double>();
            for (var t = 0; t < trials; t++)
            {
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                var done = NonceSearch.Search(input, Hash256.Zero, (uint)(t + 2), 0, count, kernel).HashesDone;
                var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                rates.Add(done / Math.Max(cpuSeconds, wall.Elapsed.TotalSeconds * 0.5) / 1e6);
            }

            results.Add((kernel, Spread.Of(rates), NonceSearch.IsAccelerated(kernel)));
            context.Log.WriteLine($"  {kernel,-10} median {Spread.Of(rates).Median:F2} MH/s per CPU-second");
        }

        var (path, link) = context.Figure("hash-rate.png");
        var categories = results.Select(r => r.Kernel.ToString()).ToList();
        Figures.Bars(
            path,
            "Nonce search, one thread: MH per CPU-second (median, bars: quartiles)",
            "MH/s per CPU-second",
            categories,
            [new BarSeries("HealthLedger kernel", [.. results.Select(r => r.Rate.Median)], [.. results.Select(r => r.Rate.P25)], [.. results.Select(r => r.Rate.P75)])],
            opensslSpread.HasValue ? (opensslSpread.Median, $"openssl-implied {opensslSpread.Median:F2} MH/s (same run)") : null);

        var table = new MarkdownTable("Kernel", "Hardware path here", "MH/s per CPU-second, median (p25–p75)", "vs openssl-implied");
        foreach (var r in results)
        {
            var ratio = opensslSpread.HasValue ? (r.Rate.Median / opensslSpread.Median).ToString("0.00", CultureInfo.InvariantCulture) + "×" : "—";
            table.Row(r.Kernel.ToString(), r.Accelerated ? "yes" : "no (emulated or scalar)", r.Rate.Format("0.00"), ratio);
        }

        var md = new StringBuilder();
        md.AppendLine("### Hash rate per core against openssl (SHA-NI)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. Each kernel hashes a 136-byte header for every nonce (target zero, so no early exit), {trials} trials of ≈ {seconds:0.##} s on one thread; the rate is hashes per CPU-second of the process. `openssl {OpenSslSpeed.Arguments(context.Scale.Pick(1, 1, 2))}` ran {openssl.Count} time(s) in the same run: {opensslSpread.Format("0.00")} MH/s implied per core (bytes/s ÷ 64 ÷ 2, two compressions per nonce).{(opensslNote is null ? string.Empty : " " + opensslNote)} `Vector512` is software-emulated where the CPU lacks AVX-512.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Hash rate per core]({link})").AppendLine();
        md.Append(table);
        return (md.ToString(), [path]);
    }

    private static (double? NoncesPerSecond, string? Note) OpenSsl(int seconds)
    {
        try
        {
            var info = new ProcessStartInfo("openssl", OpenSslSpeed.Arguments(seconds)) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var process = Process.Start(info);
            if (process is null)
            {
                return (null, "openssl did not start.");
            }

            var output = process.StandardOutput.ReadToEnd();
            process.StandardError.ReadToEnd();
            if (!process.WaitForExit(60_000))
            {
                process.Kill();
                return (null, "openssl timed out.");
            }

            return OpenSslSpeed.TryParseBytesPerSecond(output, out var bytes)
                ? (OpenSslSpeed.ImpliedNoncesPerSecond(bytes), null)
                : (null, "openssl's output had no sha256 line.");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (null, "openssl is not installed.");
        }
    }
}

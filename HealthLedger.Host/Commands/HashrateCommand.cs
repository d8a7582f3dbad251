using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Consensus.Mining;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Host.Commands;

/// <summary>
/// The <c>hashrate</c> command: runs the miner against an unreachable target for a few seconds and prints the
/// hash rate (total and per thread), the kernel used, and the rate implied by <c>openssl speed</c> for comparison.
/// </summary>
internal static class HashrateCommand
{
    public static Command Create()
    {
        var engine = new Option<string>("--engine")
        {
            Description = "Consensus engine of the header hashed: pow or epow (same kernel; ePoW signs once per found block, not per hash).",
            DefaultValueFactory = _ => "pow",
        };
        engine.AcceptOnlyFromAmong("pow", "epow");
        var threads = new Option<int>("--threads")
        {
            Description = "Miner threads (default: all cores).",
            DefaultValueFactory = _ => Environment.ProcessorCount,
        };
        var seconds = new Option<double>("--seconds")
        {
            Description = "How long to hash.",
            DefaultValueFactory = _ => 5,
        };
        var kernel = new Option<HashKernel>("--kernel")
        {
            Description = "Hashing kernel: Auto (fastest here), ShaNi, Vector512, Vector256, Scalar or Naive (the SHA256.HashData baseline).",
            DefaultValueFactory = _ => HashKernel.Auto,
        };
        var opensslSeconds = new Option<int>("--openssl-seconds")
        {
            Description = "Seconds for the 'openssl speed -evp sha256' comparison run (0 skips it).",
            DefaultValueFactory = _ => 3,
        };

        var command = new Command("hashrate", "Measure the proof-of-work hash rate (double SHA-256 per nonce) of this machine.")
        {
            engine, threads, seconds, kernel, opensslSeconds,
        };
        command.SetAction(parseResult => Run(
            parseResult.GetValue(engine) ?? "pow",
            parseResult.GetValue(threads),
            parseResult.GetValue(seconds),
            parseResult.GetValue(kernel),
            parseResult.GetValue(opensslSeconds)));
        return command;
    }

    private static int Run(string engineName, int threads, double seconds, HashKernel kernel, int opensslSeconds)
    {
        if (threads < 1 || seconds <= 0 || opensslSeconds < 0)
        {
            Console.Error.WriteLine("--threads and --seconds must be positive, --openssl-seconds not negative.");
            return 2;
        }

        var engine = engineName == "epow" ? ConsensusEngineId.EnhancedProofOfWork : ConsensusEngineId.ProofOfWork;
        var template = new BlockHeader(
            BlockHeader.CurrentVersion,
            chainId: 1,
            height: 1,
            timestampMs: TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(),
            previousHash: Hash256.Sha256("hashrate"u8),
            merkleRoot: Hash256.Sha256("merkle"u8),
            targetBits: CompactTarget.FromDifficultyLevel(8),
            threshold: 1,
            engine,
            miner: KeyPair.FromLabel("hashrate").PublicKey,
            nonce: 0,
            Signature.Empty);

        if (!Enum.IsDefined(kernel) || (kernel == HashKernel.ShaNi && !NonceSearch.IsAccelerated(kernel)))
        {
            Console.Error.WriteLine($"Kernel {kernel} cannot run on this machine (best here: {NonceSearch.BestKernel}).");
            return 2;
        }

        var miner = new Miner(new MinerOptions { Threads = threads, Kernel = kernel }, TimeProvider.System);
        var resolved = miner.Kernel;
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(inv, $"engine      : {engineName} ({(engine == ConsensusEngineId.EnhancedProofOfWork ? "ePoW: same double SHA-256 kernel, the engine byte differs; one Ed25519 signature per found block, not per hash" : "classic PoW")})"));
        Console.WriteLine(string.Create(inv, $"kernel      : {resolved}: {NonceSearch.Describe(resolved)}"));
        Console.WriteLine(string.Create(inv, $"threads     : {threads} (cores: {Environment.ProcessorCount}), hashing for {seconds:0.##} s against an unreachable target"));

        // Target zero: only a hash of exactly zero would meet it, so the miner runs until the time is up.
        using var timer = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = miner.Mine(template, BigInteger.Zero, timer.Token);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var perCpuSecond = cpu > TimeSpan.Zero ? result.Hashes / cpu.TotalSeconds / 1e6 : 0;
        var total = result.HashesPerSecond / 1e6;
        var perThread = total / threads;
        var each = string.Join(", ", result.HashesPerThread.Select(h => (h / result.Elapsed.TotalSeconds / 1e6).ToString("0.00", inv)));
        Console.WriteLine(string.Create(inv, $"hashes      : {result.Hashes:N0} in {result.Elapsed.TotalSeconds:0.000} s"));
        Console.WriteLine(string.Create(inv, $"total       : {total:0.00} MH/s"));
        Console.WriteLine(string.Create(inv, $"per thread  : {perThread:0.00} MH/s  [{each}]"));
        Console.WriteLine(string.Create(inv, $"per core    : {perCpuSecond:0.00} MH/s per CPU-second ({cpu.TotalSeconds:0.00} CPU-s used; openssl speed also divides by CPU time)"));

        if (opensslSeconds > 0)
        {
            var implied = MeasureOpenSsl(opensslSeconds);
            if (implied is { } rate)
            {
                Console.WriteLine(string.Create(inv, $"openssl     : openssl {OpenSslSpeed.Arguments(opensslSeconds)}: {rate.BytesPerSecond / 1e6:0.0} MB/s = {rate.BytesPerSecond / 64 / 1e6:0.00} M compressions/s = {rate.Nonces / 1e6:0.00} MH/s implied per core (2 compressions per nonce)"));
                Console.WriteLine(string.Create(inv, $"ratio       : {perCpuSecond * 1e6 / rate.Nonces:0.00}x the openssl-implied single-stream rate per core (CPU time); {perThread * 1e6 / rate.Nonces:0.00}x per thread (wall clock)"));
            }
            else
            {
                Console.WriteLine("openssl     : not available (no 'openssl' on PATH or unreadable output)");
            }
        }

        return 0;
    }

    private static (double BytesPerSecond, double Nonces)? MeasureOpenSsl(int seconds)
    {
        try
        {
            var start = new ProcessStartInfo("openssl", OpenSslSpeed.Arguments(seconds))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            _ = errors.Result;
            return OpenSslSpeed.TryParseBytesPerSecond(output, out var bytes)
                ? (bytes, OpenSslSpeed.ImpliedNoncesPerSecond(bytes))
                : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }
}

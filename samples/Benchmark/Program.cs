// A benchmark run with BenchmarkDotNet against the packages: decoding a transaction from untrusted bytes (canonical
// check included), verifying its signature, and a Merkle root. Run with `dotnet run -c Release`; `-- --dry` (as CI does)
// runs each benchmark once, in process, to check that it works, not to measure it.
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

var job = args.Contains("--dry") ? Job.Dry : Job.ShortRun;
var config = DefaultConfig.Instance.AddJob(job.WithToolchain(InProcessEmitToolchain.Instance)).WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = BenchmarkRunner.Run<LedgerBenchmarks>(config);
if (summary.HasCriticalValidationErrors || summary.Reports.Length == 0 || summary.Reports.Any(r => !r.Success))
{
    throw new InvalidOperationException("a benchmark failed");
}

Console.WriteLine($"benchmarks ok: {summary.Reports.Length} run");

/// <summary>Hot paths a node runs for every transaction it receives.</summary>
[MemoryDiagnoser]
public class LedgerBenchmarks : IDisposable
{
    private readonly KeyPair _patient = KeyPair.Generate();
    private ReadOnlyMemory<byte> _encoded;
    private Transaction _tx = null!;
    private Hash256[] _ids = [];

    [GlobalSetup]
    public void Setup()
    {
        _tx = Transaction.Create(_patient, 1, 0, 1_800_000_000_000, new PatientRegistration(Hash256.Sha256("mrn:salt"u8)));
        _encoded = _tx.Encode();
        _ids = [.. Enumerable.Range(0, 1024).Select(i => Hash256.Sha256(BitConverter.GetBytes(i)))];
    }

    [Benchmark]
    public Transaction DecodeTransaction() => Transaction.Decode(_encoded);

    [Benchmark]
    public bool VerifySignature() => Transaction.Decode(_encoded).VerifySignature();

    [Benchmark]
    public Hash256 MerkleRootOf1024() => MerkleTree.ComputeRoot(_ids);

    public void Dispose()
    {
        _patient.Dispose();
        GC.SuppressFinalize(this);
    }
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// Transaction validation (shape + signature, cold cache) on one core and on all cores, and the validation and
/// application of a 1,000-transaction block with a cold signature cache (from the network) and a warm one
/// (transactions already admitted to the mempool). Cold minus warm is the time spent in signature checks.
/// </summary>
[MemoryDiagnoser]
public class ValidationBenchmarks
{
    private Transaction[] _txs = [];
    private Blockchain _base = null!;
    private HealthLedger.Core.Blocks.Block _block = null!;
    private Blockchain _chain = null!;

    [GlobalSetup]
    public void Setup()
    {
        _txs = BenchChain.Registrations(1_000, 1);
        _base = BenchChain.Open(new InMemoryBlockStore());
        _block = BenchChain.Mine(_base.Tip, _txs);
    }

    [Benchmark(OperationsPerInvoke = 1_000)]
    public int ValidateTransactionsOneCore()
    {
        var validator = new TransactionValidator(BenchChain.Genesis);
        var ok = 0;
        foreach (var tx in _txs)
        {
            ok += validator.Validate(tx).IsValid ? 1 : 0;
        }

        return ok;
    }

    [Benchmark(OperationsPerInvoke = 1_000)]
    public int ValidateTransactionsAllCores()
    {
        var validator = new TransactionValidator(BenchChain.Genesis);
        var ok = 0;
        Parallel.ForEach(_txs, tx =>
        {
            if (validator.Validate(tx).IsValid)
            {
                Interlocked.Increment(ref ok);
            }
        });
        return ok;
    }

    [IterationSetup(Targets = [nameof(Block1000ColdSignatureCache)])]
    public void ColdSetup() => _chain = BenchChain.Open(new InMemoryBlockStore());

    [IterationSetup(Targets = [nameof(Block1000WarmSignatureCache)])]
    public void WarmSetup()
    {
        _chain = BenchChain.Open(new InMemoryBlockStore());
        foreach (var tx in _txs)
        {
            _chain.TransactionValidator.Validate(tx);
        }
    }

    [Benchmark(Baseline = true)]
    public BlockStatus Block1000ColdSignatureCache() => _chain.AddBlock(_block).Status;

    [Benchmark]
    public BlockStatus Block1000WarmSignatureCache() => _chain.AddBlock(_block).Status;
}

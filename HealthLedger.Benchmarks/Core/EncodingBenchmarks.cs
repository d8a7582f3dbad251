using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// The canonical MessagePack encoding (docs/format.md) of transactions and blocks: encode (the baseline), decode (which
/// re-encodes to check the bytes are the one valid encoding), and the hand-written hash input of a transaction.
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*EncodingBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class EncodingBenchmarks
{
    private Transaction[] _txs = [];
    private Block _block = null!;
    private byte[] _blockBytes = [];
    private byte[] _txBytes = [];

    /// <summary>Transactions in the block.</summary>
    [Params(1, 100, 1_000)]
    public int Transactions { get; set; }

    /// <summary>Signed registrations and a mined block of them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _txs = BenchChain.Registrations(Transactions, 3);
        _block = BenchChain.Mine(BenchChain.Open(new HealthLedger.Core.Storage.InMemoryBlockStore()).Tip, _txs);
        _blockBytes = _block.Encode().ToArray();
        _txBytes = _txs[0].Encode().ToArray();
    }

    /// <summary>Encodes a fresh copy of the block (the cached bytes are not reused).</summary>
    [Benchmark(Baseline = true)]
    public int EncodeBlock() => new Block(_block.Header, _txs.Select(t => new Transaction(t.Version, t.ChainId, t.Sender, t.Sequence, t.TimestampMs, t.Payload, t.Signature)).ToArray()).Encode().Length;

    /// <summary>Decodes the block, checking that it re-encodes to the same bytes.</summary>
    [Benchmark]
    public int DecodeBlock() => Block.Decode(_blockBytes).Transactions.Count;

    /// <summary>Decodes one transaction (canonical check included).</summary>
    [Benchmark]
    public ulong DecodeTransaction() => Transaction.Decode(_txBytes).Sequence;

    /// <summary>The signing hash of one fresh transaction (hand-written fixed layout, then SHA-256).</summary>
    [Benchmark]
    public byte SigningHash()
    {
        var t = _txs[0];
        var hash = new Transaction(t.Version, t.ChainId, t.Sender, t.Sequence, t.TimestampMs, t.Payload, t.Signature).SigningHash;
        return HealthLedger.Core.Crypto.Hash256.AsSpan(in hash)[0];
    }
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// The per-field cost of the payload and message layouts (docs/format.md): a five-field payload (a key release)
/// encoded, decoded and hashed, and a hello and a 64-hash locator request encoded and decoded. The baseline is the
/// transaction encode. Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*LayoutEncodingBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
public class LayoutEncodingBenchmarks
{
    private static readonly KeyPair Signer = KeyPair.FromLabel("bench-layout");
    private Transaction _tx = null!;
    private byte[] _txBytes = [];
    private HelloMessage _hello = null!;
    private byte[] _helloBody = [];
    private GetBlocksMessage _getBlocks = null!;
    private byte[] _getBlocksBody = [];

    /// <summary>A signed key release, a hello and a full locator request, with their encodings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var h = Hash256.Sha256("layout"u8);
        _tx = Transaction.Create(Signer, 7, 300, 1_800_000_000_456, new KeyRelease(h, Signer.Address, 1_800_000_000_123, 5_000_000_000, Hash256.Sha256("request"u8)));
        _txBytes = _tx.Encode().ToArray();
        _hello = new HelloMessage(1, 7, h, 5_000_000_000, h, ulong.MaxValue);
        _helloBody = MessageCodec.EncodeBody(_hello);
        _getBlocks = new GetBlocksMessage([.. Enumerable.Range(0, GetBlocksMessage.MaxLocator).Select(i => Hash256.Sha256(BitConverter.GetBytes(i)))], 500);
        _getBlocksBody = MessageCodec.EncodeBody(_getBlocks);
    }

    private Transaction Fresh() => new(_tx.Version, _tx.ChainId, _tx.Sender, _tx.Sequence, _tx.TimestampMs, _tx.Payload, _tx.Signature);

    /// <summary>Encodes a fresh copy of the key release transaction (the cached bytes are not reused).</summary>
    [Benchmark(Baseline = true)]
    public int EncodeKeyRelease() => Fresh().Encode().Length;

    /// <summary>Decodes it (canonical check included).</summary>
    [Benchmark]
    public ulong DecodeKeyRelease() => Transaction.Decode(_txBytes).Sequence;

    /// <summary>The signing hash of a fresh copy (hand-written layout, then SHA-256).</summary>
    [Benchmark]
    public byte KeyReleaseSigningHash()
    {
        var hash = Fresh().SigningHash;
        return Hash256.AsSpan(in hash)[0];
    }

    /// <summary>Encodes a hello into a frame.</summary>
    [Benchmark]
    public int EncodeHello() => MessageCodec.EncodeFrame(_hello).Length;

    /// <summary>Decodes a hello body (canonical check included).</summary>
    [Benchmark]
    public MessageType DecodeHello() => MessageCodec.DecodeBody(_helloBody).Type;

    /// <summary>Encodes a 64-hash locator request into a frame.</summary>
    [Benchmark]
    public int EncodeGetBlocks() => MessageCodec.EncodeFrame(_getBlocks).Length;

    /// <summary>Decodes it.</summary>
    [Benchmark]
    public MessageType DecodeGetBlocks() => MessageCodec.DecodeBody(_getBlocksBody).Type;
}

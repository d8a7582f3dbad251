using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Core;

/// <summary>Ed25519 sign and verify through BouncyCastle (the default <see cref="ISignatureScheme"/>).</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private readonly KeyPair _key = KeyPair.FromLabel("bench-signer");
    private byte[] _message = [];
    private Signature _signature;

    /// <summary>Message bytes (32: a transaction's signing hash; 1,024: a proof-of-possession-sized message and more).</summary>
    [Params(32, 1024)]
    public int MessageBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _message = new byte[MessageBytes];
        Random.Shared.NextBytes(_message);
        _signature = _key.Sign(_message);
    }

    [Benchmark(Baseline = true)]
    public Signature Sign() => _key.Sign(_message);

    [Benchmark]
    public bool Verify() => Ed25519.Instance.Verify(_key.PublicKey, _message, _signature);
}

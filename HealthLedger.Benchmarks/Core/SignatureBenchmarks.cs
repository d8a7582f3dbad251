using BenchmarkDotNet.Attributes;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Core;

/// <summary>Ed25519 sign and verify through BouncyCastle (the default <see cref="ISignatureScheme"/>).</summary>
[MemoryDiagnoser]
public class SignatureBenchmarks
{
    private readonly KeyPair _key = KeyPair.FromLabel("bench-signer");
    private readonly byte[] _message = new byte[32];
    private Signature _signature;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_message);
        _signature = _key.Sign(_message);
    }

    [Benchmark(Baseline = true)]
    public Signature Sign() => _key.Sign(_message);

    [Benchmark]
    public bool Verify() => Ed25519.Instance.Verify(_key.PublicKey, _message, _signature);
}

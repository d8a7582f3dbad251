using System.Security.Cryptography;

namespace HealthLedger.Core.Crypto;

/// <summary>
/// An Ed25519 key pair. Holds the private seed; dispose it to wipe the seed from memory.
/// </summary>
/// <remarks>Thread safety: signing may run on several threads at once; dispose only when no thread signs any more.</remarks>
public sealed class KeyPair : IDisposable
{
    private readonly byte[] _seed;
    private readonly ISignatureScheme _scheme;

    private KeyPair(byte[] seed, ISignatureScheme scheme)
    {
        _seed = seed;
        _scheme = scheme;
        PublicKey = scheme.DerivePublicKey(seed);
        Address = PublicKey.ToAddress();
    }

    /// <summary>The public key.</summary>
    public PublicKey PublicKey { get; }

    /// <summary>The on-chain identity of this key.</summary>
    public Address Address { get; }

    /// <summary>Generates a new key pair from the operating system's CSPRNG.</summary>
    public static KeyPair Generate(ISignatureScheme? scheme = null)
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        return new KeyPair(seed, scheme ?? Ed25519.Instance);
    }

    /// <summary>Creates a key pair from a 32-byte seed (copied).</summary>
    public static KeyPair FromSeed(ReadOnlySpan<byte> seed, ISignatureScheme? scheme = null)
    {
        if (seed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 seed is 32 bytes.", nameof(seed));
        }

        return new KeyPair(seed.ToArray(), scheme ?? Ed25519.Instance);
    }

    /// <summary>
    /// A deterministic key pair for tests and demos: the seed is SHA-256 of the label. Never use for real keys.
    /// </summary>
    public static KeyPair FromLabel(string label) =>
        FromSeed(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(label)));

    /// <summary>Signs a message.</summary>
    public Signature Sign(ReadOnlySpan<byte> message)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _scheme.Sign(_seed, message);
    }

    /// <summary>The private seed, for persisting to a key file. Handle with care.</summary>
    public byte[] ExportSeed()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (byte[])_seed.Clone();
    }

    private bool _disposed;

    /// <summary>Wipes the private seed.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_seed);
        _disposed = true;
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using HealthLedger.Core.Crypto;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace HealthLedger.Records.Crypto;

/// <summary>An X25519 public key (32 bytes): what record keys are wrapped to.</summary>
public sealed class EncryptionPublicKey : IEquatable<EncryptionPublicKey>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = X25519.PointSize;

    private readonly byte[] _bytes;

    /// <summary>Creates a key from exactly 32 bytes (copied).</summary>
    public EncryptionPublicKey(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An X25519 public key is {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }
        _bytes = bytes.ToArray();
    }

    /// <summary>The key bytes.</summary>
    public ReadOnlySpan<byte> Span => _bytes;

    /// <inheritdoc />
    public bool Equals(EncryptionPublicKey? other) => other is not null && CryptographicOperations.FixedTimeEquals(_bytes, other._bytes);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as EncryptionPublicKey);

    /// <inheritdoc />
    public override int GetHashCode() => BinaryPrimitives.ReadInt32LittleEndian(_bytes);

    /// <inheritdoc />
    public override string ToString() => Convert.ToHexStringLower(_bytes);
}

/// <summary>
/// An X25519 key pair for receiving record keys. It is a key of its own, not derived from the Ed25519 identity; an
/// <see cref="EncryptionKeyBinding"/> signed by the identity ties the two together. Dispose to wipe the private key.
/// </summary>
/// <remarks>Thread safety: unwrapping may run on several threads at once (the private key is only read); dispose only when no thread uses the key any more.</remarks>
public sealed class EncryptionKeyPair : IDisposable
{
    private readonly byte[] _private;
    private bool _disposed;

    private EncryptionKeyPair(byte[] privateKey)
    {
        _private = privateKey;
        var pub = new byte[X25519.PointSize];
        X25519.ScalarMultBase(_private, 0, pub, 0);
        PublicKey = new EncryptionPublicKey(pub);
    }

    /// <summary>The public key.</summary>
    public EncryptionPublicKey PublicKey { get; }

    /// <summary>Generates a key pair.</summary>
    public static EncryptionKeyPair Generate(IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var key = new byte[X25519.ScalarSize];
        random.Fill(key);
        return new EncryptionKeyPair(key);
    }

    /// <summary>Creates a key pair from a 32-byte private key (copied; clamped on use as RFC 7748 says).</summary>
    public static EncryptionKeyPair FromPrivateKey(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != X25519.ScalarSize)
        {
            throw new ArgumentException($"An X25519 private key is {X25519.ScalarSize} bytes.", nameof(privateKey));
        }
        return new EncryptionKeyPair(privateKey.ToArray());
    }

    /// <summary>The private key, for persisting. Handle with care.</summary>
    public byte[] ExportPrivateKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return (byte[])_private.Clone();
    }

    /// <summary>X25519 with a peer's public key; false when the result is all zero (a low-order peer key).</summary>
    internal bool TryAgree(EncryptionPublicKey peer, Span<byte> shared)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = new byte[X25519.PointSize];
        var ok = X25519.CalculateAgreement(_private, 0, peer.Span.ToArray(), 0, result, 0);
        result.CopyTo(shared);
        CryptographicOperations.ZeroMemory(result);
        return ok;
    }

    /// <summary>Wipes the private key.</summary>
    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_private);
        _disposed = true;
    }
}

/// <summary>
/// An identity's statement "records for me are wrapped to this X25519 key", signed with its Ed25519 key over
/// <c>"HL-ENCKEY-v1" || chain id (u32 LE) || Ed25519 public key || X25519 public key</c>.
/// </summary>
/// <param name="ChainId">The chain the binding is for (no cross-chain reuse).</param>
/// <param name="Identity">The Ed25519 identity key.</param>
/// <param name="Key">The X25519 encryption key.</param>
/// <param name="Signature">The identity's signature.</param>
public sealed record EncryptionKeyBinding(uint ChainId, PublicKey Identity, EncryptionPublicKey Key, Signature Signature)
{
    private static ReadOnlySpan<byte> Domain => "HL-ENCKEY-v1"u8;

    /// <summary>The address of the identity.</summary>
    public Address Owner => Identity.ToAddress();

    /// <summary>Signs a binding.</summary>
    public static EncryptionKeyBinding Create(KeyPair identity, EncryptionPublicKey key, uint chainId)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(key);
        return new EncryptionKeyBinding(chainId, identity.PublicKey, key, identity.Sign(SignedBytes(chainId, identity.PublicKey, key)));
    }

    /// <summary>True when the signature verifies (strict Ed25519).</summary>
    public bool Verify() => Ed25519.Instance.Verify(Identity, SignedBytes(ChainId, Identity, Key), Signature);

    private static byte[] SignedBytes(uint chainId, PublicKey identity, EncryptionPublicKey key)
    {
        var bytes = new byte[Domain.Length + 4 + PublicKey.Length + EncryptionPublicKey.Length];
        Domain.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(Domain.Length), chainId);
        identity.WriteTo(bytes.AsSpan(Domain.Length + 4));
        key.Span.CopyTo(bytes.AsSpan(Domain.Length + 4 + PublicKey.Length));
        return bytes;
    }
}

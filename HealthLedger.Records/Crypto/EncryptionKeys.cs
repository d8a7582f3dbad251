using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
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
/// An X25519 key pair for receiving record keys: an identity's own (<see cref="IdentityEncryptionKeys.FromIdentity(KeyPair)"/>)
/// or a one-off reply key a requester names in a signed key-release request. Dispose to wipe the private key.
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
/// The one documented relation between an Ed25519 identity and its X25519 encryption key (docs/records.md,
/// "Encryption keys and identities"): the birational map of RFC 7748 §4.1, as libsodium's
/// <c>crypto_sign_ed25519_pk_to_curve25519</c> and <c>crypto_sign_ed25519_sk_to_curve25519</c> compute it.
/// Public: <c>u = (1 + y) / (1 − y) mod p</c> for the Edwards point's y; private: the first 32 bytes of
/// SHA-512(seed), clamped (the scalar Ed25519 itself signs with). No extra key is registered or distributed: anyone who
/// knows an identity's public key (every patient and node is on-chain) can wrap a record key to it.
/// </summary>
public static class IdentityEncryptionKeys
{
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));

    /// <summary>
    /// The X25519 public key of an Ed25519 public key; false when the 32 bytes are not a canonical encoding of a point
    /// on the curve (y ≥ p, no x for y) or encode a point the map sends nowhere (y = 1, the neutral element).
    /// Low-order points convert, and are refused later when the agreement yields zero.
    /// </summary>
    public static bool TryFromIdentity(PublicKey identity, [NotNullWhen(true)] out EncryptionPublicKey? key)
    {
        key = null;
        Span<byte> bytes = stackalloc byte[PublicKey.Length];
        identity.WriteTo(bytes);
        bytes[31] &= 0x7F; // the sign of x: irrelevant to u
        var y = new BigInteger(bytes, isUnsigned: true, isBigEndian: false);
        if (y >= P || y.IsOne)
        {
            return false;
        }

        // On the curve: x² = (y² − 1) / (d·y² + 1) must be a square (Euler's criterion), or zero.
        var y2 = y * y % P;
        var x2 = Mod((y2 - 1) * Inverse(Mod(D * y2 + 1)));
        if (!x2.IsZero && !BigInteger.ModPow(x2, (P - 1) / 2, P).IsOne)
        {
            return false;
        }

        var u = Mod((1 + y) * Inverse(Mod(1 - y)));
        Span<byte> out32 = stackalloc byte[EncryptionPublicKey.Length];
        out32.Clear();
        u.TryWriteBytes(out32, out _, isUnsigned: true, isBigEndian: false);
        key = new EncryptionPublicKey(out32);
        return true;
    }

    /// <summary>The X25519 public key of an identity; throws when the key is not a valid Ed25519 point (see <see cref="TryFromIdentity"/>).</summary>
    public static EncryptionPublicKey FromIdentity(PublicKey identity) =>
        TryFromIdentity(identity, out var key) ? key : throw new ArgumentException("Not a canonical Ed25519 point with an X25519 image.", nameof(identity));

    /// <summary>The X25519 key pair of an Ed25519 key pair: the clamped first half of SHA-512(seed). Dispose it to wipe the key.</summary>
    public static EncryptionKeyPair FromIdentity(KeyPair identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var seed = identity.ExportSeed();
        var hash = SHA512.HashData(seed);
        try
        {
            hash[0] &= 248;
            hash[31] &= 127;
            hash[31] |= 64;
            return EncryptionKeyPair.FromPrivateKey(hash.AsSpan(0, 32));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
            CryptographicOperations.ZeroMemory(hash);
        }
    }

    private static BigInteger Mod(BigInteger a)
    {
        var r = a % P;
        return r.Sign < 0 ? r + P : r;
    }

    private static BigInteger Inverse(BigInteger a) => BigInteger.ModPow(Mod(a), P - 2, P);
}

using HealthLedger.Core.Crypto;
using NSec.Cryptography;
using PublicKey = HealthLedger.Core.Crypto.PublicKey;
using Signature = HealthLedger.Core.Crypto.Signature;

namespace HealthLedger.Crypto.Sodium;

/// <summary>
/// Ed25519 (RFC 8032, pure variant) through libsodium (NSec.Cryptography): the same keys and signatures as the default
/// <see cref="HealthLedger.Core.Crypto.Ed25519"/> (signing is deterministic, so both produce identical bytes), verified in native code.
/// libsodium's verification is strict like the default scheme's: a non-canonical S, a non-canonical or small-order
/// public key or R is refused, so a signature one scheme accepts the other accepts too (checked by a differential test
/// on edge cases). Validity of a signature is consensus: every node of a network should still run one scheme.
/// Stateless and thread-safe.
/// </summary>
public sealed class SodiumEd25519 : ISignatureScheme
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    /// <summary>The shared instance.</summary>
    public static SodiumEd25519 Instance { get; } = new();

    /// <inheritdoc />
    public Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message)
    {
        if (privateSeed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 private seed is 32 bytes.", nameof(privateSeed));
        }

        using var key = Key.Import(Algorithm, privateSeed, KeyBlobFormat.RawPrivateKey);
        Span<byte> sig = stackalloc byte[Signature.Length];
        Algorithm.Sign(key, message, sig);
        return new Signature(sig);
    }

    /// <inheritdoc />
    public bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature)
    {
        if (!NSec.Cryptography.PublicKey.TryImport(Algorithm, PublicKey.AsSpan(in key), KeyBlobFormat.RawPublicKey, out var imported) || imported is null)
        {
            return false;
        }

        return Algorithm.Verify(imported, message, Signature.AsSpan(in signature));
    }

    /// <inheritdoc />
    public PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed)
    {
        if (privateSeed.Length != 32)
        {
            throw new ArgumentException("An Ed25519 private seed is 32 bytes.", nameof(privateSeed));
        }

        using var key = Key.Import(Algorithm, privateSeed, KeyBlobFormat.RawPrivateKey);
        return new PublicKey(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }
}

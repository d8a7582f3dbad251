using Org.BouncyCastle.Math.EC.Rfc8032;

namespace HealthLedger.Core.Crypto;

/// <summary>
/// Ed25519 (RFC 8032, pure variant) through BouncyCastle. Verification is strict: non-canonical S,
/// non-canonical or small-order points are rejected, so signatures are not malleable.
/// </summary>
/// <remarks>Thread safety: stateless, so safe for concurrent use.</remarks>
public sealed class Ed25519 : ISignatureScheme
{
    /// <summary>The shared instance; the type is stateless and thread-safe.</summary>
    public static Ed25519 Instance { get; } = new();

    /// <inheritdoc />
    public Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message)
    {
        if (privateSeed.Length != Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.SecretKeySize)
        {
            throw new ArgumentException("An Ed25519 private seed is 32 bytes.", nameof(privateSeed));
        }

        Span<byte> sig = stackalloc byte[Signature.Length];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(privateSeed, message, sig);
        return new Signature(sig);
    }

    /// <inheritdoc />
    public bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature)
    {
        try
        {
            return Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(
                Signature.AsSpan(in signature), PublicKey.AsSpan(in key), message);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed)
    {
        if (privateSeed.Length != Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.SecretKeySize)
        {
            throw new ArgumentException("An Ed25519 private seed is 32 bytes.", nameof(privateSeed));
        }

        Span<byte> pk = stackalloc byte[PublicKey.Length];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(privateSeed, pk);
        return new PublicKey(pk);
    }
}

namespace HealthLedger.Core.Crypto;

/// <summary>
/// A signature scheme (Ed25519 by default). Kept behind a small interface so that a faster verifier
/// (for example libsodium) can be plugged in without touching consensus or validation code.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use (signatures are verified in parallel).</remarks>
public interface ISignatureScheme
{
    /// <summary>Signs <paramref name="message"/> with the 32-byte private seed.</summary>
    Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message);

    /// <summary>Verifies a signature. Returns false (never throws) for a bad key, a bad signature or a wrong message.</summary>
    bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature);

    /// <summary>Derives the public key of a 32-byte private seed.</summary>
    PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed);
}

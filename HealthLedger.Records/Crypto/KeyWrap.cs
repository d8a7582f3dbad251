using System.Security.Cryptography;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Records.Crypto;

/// <summary>
/// A record key wrapped for one recipient: an ephemeral X25519 key, X25519 with the recipient's key, HKDF-SHA256
/// (salt = ephemeral public || recipient public, info = "HL-WRAP-v1" || record id (u128 LE) || recipient address) to a
/// 256-bit key-encryption key, and AES-256-GCM of the 32-byte record key (zero nonce: every KEK is used once) with
/// the info as associated data. A wrap opens only for its recipient, for its record.
/// </summary>
/// <param name="Recipient">Who the wrap is for.</param>
/// <param name="EphemeralPublicKey">The sender's one-time X25519 public key (32 bytes).</param>
/// <param name="Sealed">Encrypted record key and tag (48 bytes).</param>
public sealed record KeyWrap(Address Recipient, byte[] EphemeralPublicKey, byte[] Sealed)
{
    /// <summary>Size of a record key.</summary>
    public const int RecordKeyLength = 32;

    /// <summary>Size of <see cref="Sealed"/>.</summary>
    public const int SealedLength = RecordKeyLength + 16;

    /// <summary>Size of an encoded wrap: recipient, ephemeral key, sealed key.</summary>
    public const int EncodedLength = Address.Length + EncryptionPublicKey.Length + SealedLength;

    private static ReadOnlySpan<byte> Domain => "HL-WRAP-v1"u8;

    /// <summary>Wraps <paramref name="recordKey"/> for a recipient.</summary>
    public static KeyWrap Create(ReadOnlySpan<byte> recordKey, RecordContext context, Address recipient, EncryptionPublicKey recipientKey, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(recipientKey);
        if (recordKey.Length != RecordKeyLength)
        {
            throw new ArgumentException($"A record key is {RecordKeyLength} bytes.", nameof(recordKey));
        }
        using var ephemeral = EncryptionKeyPair.Generate(random);
        Span<byte> shared = stackalloc byte[32];
        if (!ephemeral.TryAgree(recipientKey, shared))
        {
            throw new ArgumentException("The recipient's X25519 key is of low order.", nameof(recipientKey));
        }
        var info = Info(context, recipient);
        Span<byte> kek = stackalloc byte[32];
        Derive(shared, ephemeral.PublicKey, recipientKey, info, kek);
        var sealedKey = new byte[SealedLength];
        using (var aes = new AesGcm(kek, 16))
        {
            aes.Encrypt(stackalloc byte[12], recordKey, sealedKey.AsSpan(0, RecordKeyLength), sealedKey.AsSpan(RecordKeyLength), info);
        }
        CryptographicOperations.ZeroMemory(kek);
        CryptographicOperations.ZeroMemory(shared);
        return new KeyWrap(recipient, ephemeral.PublicKey.Span.ToArray(), sealedKey);
    }

    /// <summary>Opens the wrap with the recipient's key pair into <paramref name="recordKey"/>.</summary>
    public RecordResult TryOpen(RecordContext context, EncryptionKeyPair recipientKey, Span<byte> recordKey)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(recipientKey);
        if (EphemeralPublicKey.Length != EncryptionPublicKey.Length || Sealed.Length != SealedLength || recordKey.Length != RecordKeyLength)
        {
            return RecordResult.Fail(RecordErrorCode.MalformedEnvelope, "key wrap of the wrong size");
        }
        Span<byte> shared = stackalloc byte[32];
        var ephemeral = new EncryptionPublicKey(EphemeralPublicKey);
        if (!recipientKey.TryAgree(ephemeral, shared))
        {
            return RecordResult.Fail(RecordErrorCode.WrongKeyWrap, "the wrap's ephemeral key is of low order");
        }
        var info = Info(context, Recipient);
        Span<byte> kek = stackalloc byte[32];
        Derive(shared, ephemeral, recipientKey.PublicKey, info, kek);
        try
        {
            using var aes = new AesGcm(kek, 16);
            aes.Decrypt(stackalloc byte[12], Sealed.AsSpan(0, RecordKeyLength), Sealed.AsSpan(RecordKeyLength), recordKey, info);
            return RecordResult.Ok;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(recordKey);
            return RecordResult.Fail(RecordErrorCode.WrongKeyWrap, $"the key wrap for {Recipient} does not open with this key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(shared);
        }
    }

    internal void WriteTo(Span<byte> destination)
    {
        Recipient.WriteTo(destination);
        EphemeralPublicKey.CopyTo(destination[Address.Length..]);
        Sealed.CopyTo(destination[(Address.Length + EncryptionPublicKey.Length)..]);
    }

    internal static KeyWrap Read(ReadOnlySpan<byte> source) => new(
        new Address(source[..Address.Length]),
        source.Slice(Address.Length, EncryptionPublicKey.Length).ToArray(),
        source.Slice(Address.Length + EncryptionPublicKey.Length, SealedLength).ToArray());

    private static byte[] Info(RecordContext context, Address recipient)
    {
        // The record id only: the rest of the context is authenticated by the record encryption itself, so an altered
        // context is reported as a tampered ciphertext, and a wrap moved to another record as a wrong wrap.
        var info = new byte[Domain.Length + 16 + Address.Length];
        Domain.CopyTo(info);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt128LittleEndian(info.AsSpan(Domain.Length), context.RecordId);
        recipient.WriteTo(info.AsSpan(Domain.Length + 16));
        return info;
    }

    private static void Derive(ReadOnlySpan<byte> shared, EncryptionPublicKey ephemeral, EncryptionPublicKey recipient, ReadOnlySpan<byte> info, Span<byte> kek)
    {
        Span<byte> salt = stackalloc byte[64];
        ephemeral.Span.CopyTo(salt);
        recipient.Span.CopyTo(salt[32..]);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, kek, salt, info);
    }
}

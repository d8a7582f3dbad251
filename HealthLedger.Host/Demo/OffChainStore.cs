using System.Security.Cryptography;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Host.Demo;

/// <summary>
/// A local content-addressed store of encrypted records (AES-256-GCM). Only the content address and the SHA-256 of
/// the ciphertext go on-chain. The address is "hl-local:" + hex SHA-256 of the ciphertext.
/// </summary>
internal sealed class OffChainStore(string directory)
{
    public (string Address, Hash256 CiphertextHash) Put(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> key)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var cipher = new byte[plaintext.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, plaintext, cipher, tag);
        }

        byte[] blob = [.. nonce, .. tag, .. cipher];
        var hash = Hash256.Sha256(blob);
        Directory.CreateDirectory(directory);
        File.WriteAllBytes(Path.Combine(directory, hash.ToString()), blob);
        return ("hl-local:" + hash, hash);
    }

    public byte[] Get(string address, Hash256 expectedHash, ReadOnlySpan<byte> key)
    {
        var blob = File.ReadAllBytes(Path.Combine(directory, address["hl-local:".Length..]));
        if (Hash256.Sha256(blob) != expectedHash)
        {
            throw new InvalidDataException("Ciphertext does not match its on-chain hash.");
        }

        var plain = new byte[blob.Length - 28];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(28), blob.AsSpan(12, 16), plain);
        return plain;
    }
}

using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using HealthLedger.Core.Crypto;
using PublicKey = HealthLedger.Core.Crypto.PublicKey;

namespace HealthLedger.Network.Transport.Tls;

/// <summary>
/// TLS certificates bound to a node's Ed25519 identity, in the manner of libp2p's TLS handshake: each connection
/// uses a fresh self-signed ECDSA P-256 certificate carrying an extension with the node's Ed25519 public key and the
/// node key's signature over <c>"HL-TLS1" ‖ chain id (u32 LE) ‖ the certificate's SubjectPublicKeyInfo (DER)</c>.
/// TLS 1.3 proves that the peer holds the certificate's private key; the extension proves that the node key vouches
/// for that certificate key; so the peer is the node, and a man in the middle cannot pose as it without the node's
/// Ed25519 key. No certificate authority is involved: who may connect is decided by the chain's node registry.
/// </summary>
public static class NodeCertificate
{
    /// <summary>
    /// The extension's object identifier: a UUID-derived OID (ITU-T X.667, arc 2.25), so it collides with nobody's.
    /// </summary>
    public const string ExtensionOid = "2.25.251430644737477439666218937798326088891";

    private const int MaxExtensionBytes = 256;

    /// <summary>
    /// Creates a certificate for <paramref name="nodeKey"/> on chain <paramref name="chainId"/>, valid from an hour before
    /// <paramref name="now"/> for <paramref name="lifetime"/> (one day when null), with a fresh P-256 key.
    /// </summary>
    public static X509Certificate2 Create(KeyPair nodeKey, uint chainId, DateTimeOffset now, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(nodeKey);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeKey.Address}", key, HashAlgorithmName.SHA256);
        var spki = request.PublicKey.ExportSubjectPublicKeyInfo();
        var signature = nodeKey.Sign(BindingMessage(chainId, spki));
        request.CertificateExtensions.Add(new X509Extension(ExtensionOid, EncodeExtension(nodeKey.PublicKey, signature), critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var cert = request.CreateSelfSigned(now.AddHours(-1), now + (lifetime ?? TimeSpan.FromDays(1)));

        // Round-trip through PKCS#12 so the private key is usable by the TLS stack on every platform.
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// Checks a peer's certificate: inside its validity period at <paramref name="now"/>, carrying exactly one binding
    /// extension whose Ed25519 signature over this chain id and the certificate's key verifies. Returns the node key.
    /// </summary>
    public static bool TryVerify(X509Certificate2 certificate, uint chainId, DateTimeOffset now, out PublicKey nodeKey, out string error)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        nodeKey = default;
        if (now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            error = $"certificate not valid at {now:u} (valid {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u})";
            return false;
        }

        var bindings = certificate.Extensions.Where(e => e.Oid?.Value == ExtensionOid).ToList();
        if (bindings.Count != 1)
        {
            error = $"certificate carries {bindings.Count} node-key bindings, expected one";
            return false;
        }

        if (!TryDecodeExtension(bindings[0].RawData, out var key, out var signature))
        {
            error = "node-key binding does not decode";
            return false;
        }

        var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        if (!Ed25519.Instance.Verify(key, BindingMessage(chainId, spki), signature))
        {
            error = "node-key binding signature does not verify for this certificate key and chain";
            return false;
        }

        nodeKey = key;
        error = string.Empty;
        return true;
    }

    private static byte[] BindingMessage(uint chainId, ReadOnlySpan<byte> spki)
    {
        var domain = "HL-TLS1"u8;
        var message = new byte[domain.Length + 4 + spki.Length];
        domain.CopyTo(message);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(domain.Length), chainId);
        spki.CopyTo(message.AsSpan(domain.Length + 4));
        return message;
    }

    private static byte[] EncodeExtension(PublicKey key, Signature signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteOctetString(key.ToArray());
            writer.WriteOctetString(signature.ToArray());
        }

        return writer.Encode();
    }

    private static bool TryDecodeExtension(ReadOnlySpan<byte> der, out PublicKey key, out Signature signature)
    {
        key = default;
        signature = default;
        if (der.Length > MaxExtensionBytes)
        {
            return false;
        }

        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            var k = sequence.ReadOctetString();
            var s = sequence.ReadOctetString();
            if (sequence.HasData || reader.HasData || k.Length != PublicKey.Length || s.Length != Signature.Length)
            {
                return false;
            }

            key = new PublicKey(k);
            signature = new Signature(s);
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Records.Crypto;

/// <summary>
/// An encrypted record as stored: the bound context, the AES-256-GCM nonce, the key wraps, the ciphertext and its
/// tag. Encoding (little-endian, one valid encoding per envelope):
/// <c>"HLR1" | context (73) | nonce (12) | wrap count (u8, 1..16) | wraps (100 each) | ciphertext length (u32) | ciphertext | tag (16)</c>.
/// The associated data of the record encryption is <c>"HL-REC-v1" || context</c>.
/// </summary>
public sealed class RecordEnvelope
{
    /// <summary>Most key wraps one envelope may carry.</summary>
    public const int MaxWraps = 16;

    private const int NonceLength = 12;
    private const int TagLength = 16;
    private static ReadOnlySpan<byte> Magic => "HLR1"u8;
    private static ReadOnlySpan<byte> Domain => "HL-REC-v1"u8;
    private static readonly int HeaderLength = Magic.Length + RecordContext.EncodedLength + NonceLength + 1;

    private readonly byte[] _nonce;
    private readonly byte[] _ciphertext;
    private readonly byte[] _tag;

    private RecordEnvelope(RecordContext context, byte[] nonce, IReadOnlyList<KeyWrap> wraps, byte[] ciphertext, byte[] tag)
    {
        Context = context;
        _nonce = nonce;
        Wraps = wraps;
        _ciphertext = ciphertext;
        _tag = tag;
    }

    /// <summary>The bound facts (readable without a key; they are also on-chain).</summary>
    public RecordContext Context { get; }

    /// <summary>The key wraps.</summary>
    public IReadOnlyList<KeyWrap> Wraps { get; }

    /// <summary>Length of the encrypted payload.</summary>
    public int CiphertextLength => _ciphertext.Length;

    /// <summary>
    /// Encrypts <paramref name="plaintext"/> under a fresh AES-256-GCM key and nonce, and wraps the key for each
    /// recipient (at least one, at most <see cref="MaxWraps"/>, no address twice).
    /// </summary>
    public static RecordEnvelope Seal(RecordContext context, ReadOnlySpan<byte> plaintext, IReadOnlyList<(Address Address, EncryptionPublicKey Key)> recipients, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(recipients);
        ArgumentNullException.ThrowIfNull(random);
        if (recipients.Count is 0 or > MaxWraps || recipients.Select(r => r.Address).Distinct().Count() != recipients.Count)
        {
            throw new ArgumentException($"An envelope needs 1 to {MaxWraps} distinct recipients.", nameof(recipients));
        }
        var key = new byte[KeyWrap.RecordKeyLength];
        random.Fill(key);
        try
        {
            var nonce = new byte[NonceLength];
            random.Fill(nonce);
            var ciphertext = new byte[plaintext.Length];
            var tag = new byte[TagLength];
            using (var aes = new AesGcm(key, TagLength))
            {
                aes.Encrypt(nonce, plaintext, ciphertext, tag, context.AssociatedData(Domain));
            }
            var wraps = recipients.Select(r => KeyWrap.Create(key, context, r.Address, r.Key, random)).ToArray();
            return new RecordEnvelope(context, nonce, wraps, ciphertext, tag);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The wrap for <paramref name="recipient"/>, or null.</summary>
    public KeyWrap? WrapFor(Address recipient) => Wraps.FirstOrDefault(w => w.Recipient == recipient);

    /// <summary>Opens the wrap for <paramref name="recipient"/> with its key pair and decrypts.</summary>
    public RecordResult<byte[]> Open(Address recipient, EncryptionKeyPair recipientKey) =>
        WrapFor(recipient) is { } wrap
            ? Open(wrap, recipientKey)
            : RecordResult<byte[]>.Fail(RecordErrorCode.WrongKeyWrap, $"no key wrap for {recipient}");

    /// <summary>Opens <paramref name="wrap"/> (from this envelope or released separately) and decrypts.</summary>
    public RecordResult<byte[]> Open(KeyWrap wrap, EncryptionKeyPair recipientKey)
    {
        ArgumentNullException.ThrowIfNull(wrap);
        Span<byte> key = stackalloc byte[KeyWrap.RecordKeyLength];
        try
        {
            var opened = wrap.TryOpen(Context, recipientKey, key);
            return opened.IsSuccess ? Decrypt(key) : opened.Error!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>Opens the wrap for <paramref name="holder"/> and wraps the same record key anew for another recipient.</summary>
    public RecordResult<KeyWrap> Rewrap(Address holder, EncryptionKeyPair holderKey, Address recipient, EncryptionPublicKey recipientKey, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(recipientKey);
        if (WrapFor(holder) is not { } wrap)
        {
            return RecordResult<KeyWrap>.Fail(RecordErrorCode.WrongKeyWrap, $"no key wrap for {holder}");
        }
        Span<byte> key = stackalloc byte[KeyWrap.RecordKeyLength];
        try
        {
            var opened = wrap.TryOpen(Context, holderKey, key);
            if (!opened.IsSuccess)
            {
                return opened.Error!;
            }
            // Check the key before handing it on: a wrap that opens to a wrong key would leak nothing but waste the grantee's time.
            var check = Decrypt(key);
            return check.IsSuccess ? KeyWrap.Create(key, Context, recipient, recipientKey, random) : check.Error!;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>The stored bytes.</summary>
    public byte[] Encode()
    {
        var bytes = new byte[HeaderLength + Wraps.Count * KeyWrap.EncodedLength + 4 + _ciphertext.Length + TagLength];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        Context.WriteTo(span[Magic.Length..]);
        _nonce.CopyTo(span[(Magic.Length + RecordContext.EncodedLength)..]);
        span[HeaderLength - 1] = (byte)Wraps.Count;
        var o = HeaderLength;
        foreach (var wrap in Wraps)
        {
            wrap.WriteTo(span[o..]);
            o += KeyWrap.EncodedLength;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(span[o..], (uint)_ciphertext.Length);
        _ciphertext.CopyTo(span[(o + 4)..]);
        _tag.CopyTo(span[(o + 4 + _ciphertext.Length)..]);
        return bytes;
    }

    /// <summary>
    /// Decodes untrusted bytes: every length is checked against the input before anything is allocated, and
    /// anything but the one encoding (wrong magic, counts out of range, duplicate recipients, trailing bytes) is refused.
    /// </summary>
    public static RecordResult<RecordEnvelope> Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderLength + KeyWrap.EncodedLength + 4 + TagLength || !bytes.StartsWith(Magic))
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.MalformedEnvelope, "not a record envelope", bytes.Length);
        }
        var context = RecordContext.Read(bytes.Slice(Magic.Length, RecordContext.EncodedLength));
        var nonce = bytes.Slice(Magic.Length + RecordContext.EncodedLength, NonceLength).ToArray();
        int count = bytes[HeaderLength - 1];
        if (count is 0 or > MaxWraps)
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.MalformedEnvelope, "wrap count out of range", count, MaxWraps);
        }
        long fixedPart = HeaderLength + (long)count * KeyWrap.EncodedLength + 4 + TagLength;
        if (bytes.Length < fixedPart)
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.MalformedEnvelope, "envelope shorter than its wraps", bytes.Length, fixedPart);
        }
        var wraps = new KeyWrap[count];
        var o = HeaderLength;
        for (int i = 0; i < count; i++, o += KeyWrap.EncodedLength)
        {
            wraps[i] = KeyWrap.Read(bytes.Slice(o, KeyWrap.EncodedLength));
        }
        if (wraps.Select(w => w.Recipient).Distinct().Count() != count)
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.MalformedEnvelope, "two wraps for one recipient");
        }
        long length = BinaryPrimitives.ReadUInt32LittleEndian(bytes[o..]);
        if (fixedPart + length != bytes.Length)
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.MalformedEnvelope, "ciphertext length does not match the envelope size", fixedPart + length, bytes.Length);
        }
        var ciphertext = bytes.Slice(o + 4, (int)length).ToArray();
        var tag = bytes.Slice(o + 4 + (int)length, TagLength).ToArray();
        return new RecordEnvelope(context, nonce, wraps, ciphertext, tag);
    }

    private RecordResult<byte[]> Decrypt(ReadOnlySpan<byte> key)
    {
        var plaintext = new byte[_ciphertext.Length];
        try
        {
            using var aes = new AesGcm(key, TagLength);
            aes.Decrypt(_nonce, _ciphertext, _tag, plaintext, Context.AssociatedData(Domain));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return RecordResult<byte[]>.Fail(RecordErrorCode.TamperedCiphertext, "the ciphertext or its bound context was altered");
        }
    }
}

using System.Security.Cryptography;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Records.Content;

/// <summary>The IPLD codec a <see cref="Cid"/> names.</summary>
public enum CidCodec : byte
{
    /// <summary>Raw bytes (multicodec 0x55): a payload of at most one chunk.</summary>
    Raw = 0x55,

    /// <summary>DAG-PB (multicodec 0x70): a UnixFS node linking to chunks.</summary>
    DagPb = 0x70,
}

/// <summary>
/// A CIDv1 with a SHA2-256 multihash, written in base32 ("b" prefix), as <c>ipfs add --cid-version=1 --raw-leaves</c>
/// prints it. Only this one form is accepted: other versions, hashes, bases or upper case are refused, so one
/// content address has exactly one text, and a parsed address contains only the characters <c>[a-z2-7]</c>.
/// </summary>
public readonly struct Cid : IEquatable<Cid>
{
    /// <summary>Length of the binary form: version, codec, multihash code and length, 32-byte digest.</summary>
    public const int ByteLength = 4 + Hash256.Length;

    /// <summary>Length of the text form: "b" and the base32 of <see cref="ByteLength"/> bytes.</summary>
    public const int TextLength = 59;

    private const byte Sha2_256 = 0x12;

    /// <summary>Creates a CID from its codec and SHA-256 digest.</summary>
    public Cid(CidCodec codec, Hash256 digest)
    {
        if (codec is not (CidCodec.Raw or CidCodec.DagPb))
        {
            throw new ArgumentOutOfRangeException(nameof(codec), codec, "Only raw and dag-pb CIDs are supported.");
        }
        Codec = codec;
        Digest = digest;
    }

    /// <summary>The codec of the block the CID names.</summary>
    public CidCodec Codec { get; }

    /// <summary>SHA-256 of the block the CID names (for raw: of the payload itself).</summary>
    public Hash256 Digest { get; }

    /// <summary>The raw-codec CID of a payload of at most one chunk (its SHA-256).</summary>
    public static Cid ForRawBlock(ReadOnlySpan<byte> block)
    {
        Span<byte> digest = stackalloc byte[Hash256.Length];
        SHA256.HashData(block, digest);
        return new Cid(CidCodec.Raw, new Hash256(digest));
    }

    /// <summary>Writes the <see cref="ByteLength"/>-byte binary form (as a DAG-PB link holds it).</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = 0x01;
        destination[1] = (byte)Codec;
        destination[2] = Sha2_256;
        destination[3] = Hash256.Length;
        Digest.WriteTo(destination[4..]);
    }

    /// <summary>The binary form.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[ByteLength];
        WriteTo(bytes);
        return bytes;
    }

    /// <summary>Parses the text form; false (never an exception) for anything but the one canonical form.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out Cid cid)
    {
        cid = default;
        if (text.Length != TextLength || text[0] != 'b')
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[ByteLength];
        if (!Base32.TryDecode(text[1..], bytes) || bytes[0] != 0x01 || bytes[2] != Sha2_256 || bytes[3] != Hash256.Length)
        {
            return false;
        }
        if (bytes[1] is not ((byte)CidCodec.Raw or (byte)CidCodec.DagPb))
        {
            return false;
        }
        cid = new Cid((CidCodec)bytes[1], new Hash256(bytes[4..]));
        return true;
    }

    /// <summary>Parses the text form or throws <see cref="FormatException"/>.</summary>
    public static Cid Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var cid) ? cid : throw new FormatException("Not a base32 CIDv1 with a SHA2-256 multihash.");
    }

    /// <summary>True for the default value (no CID).</summary>
    public bool IsEmpty => Codec == 0;

    /// <summary>"b" followed by 58 base32 characters.</summary>
    public override string ToString()
    {
        if (IsEmpty)
        {
            return string.Empty;
        }
        Span<byte> bytes = stackalloc byte[ByteLength];
        WriteTo(bytes);
        return "b" + Base32.Encode(bytes);
    }

    /// <inheritdoc />
    public bool Equals(Cid other) => Codec == other.Codec && Digest == other.Digest;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Cid other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Codec, Digest);

    /// <summary>Equality.</summary>
    public static bool operator ==(Cid left, Cid right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Cid left, Cid right) => !left.Equals(right);
}

using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Encoding;

/// <summary>
/// Writes the fixed, hand-written byte layout that hashes and signatures are computed over
/// (little-endian integers, fixed-size keys and hashes, u16-length-prefixed UTF-8 strings and byte strings).
/// MessagePack is never a hash input. See docs/format.md.
/// </summary>
internal sealed class HashInputWriter
{
    private readonly ArrayBufferWriter<byte> _buffer;

    public HashInputWriter(int initialCapacity = 256) => _buffer = new ArrayBufferWriter<byte>(initialCapacity);

    public ReadOnlySpan<byte> WrittenSpan => _buffer.WrittenSpan;

    public void WriteBytes(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    public void WriteU8(byte value) => _buffer.Write([value]);

    public void WriteU16(ushort value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.GetSpan(2), value);
        _buffer.Advance(2);
    }

    public void WriteU32(uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.GetSpan(4), value);
        _buffer.Advance(4);
    }

    public void WriteU64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.GetSpan(8), value);
        _buffer.Advance(8);
    }

    public void WriteI64(long value) => WriteU64(unchecked((ulong)value));

    public void Write(in Hash256 value) => WriteBytes(Hash256.AsSpan(in value));

    public void Write(in PublicKey value) => WriteBytes(PublicKey.AsSpan(in value));

    public void Write(in Address value) => WriteBytes(Address.AsSpan(in value));

    public void Write(in Signature value) => WriteBytes(Signature.AsSpan(in value));

    /// <summary>u16 length then the bytes; callers enforce the length limit before writing.</summary>
    public void WriteVarBytes(ReadOnlySpan<byte> value)
    {
        WriteU16(checked((ushort)value.Length));
        WriteBytes(value);
    }

    public void WriteString(string value) => WriteVarBytes(System.Text.Encoding.UTF8.GetBytes(value));
}

using System.Buffers;
using HealthLedger.Core.Crypto;
using MessagePack;

namespace HealthLedger.Core.Encoding;

/// <summary>Writes a value's fields, in its description's order, as its hash input (docs/format.md notation).</summary>
internal readonly struct HashInputFields(HashInputWriter writer) : IPayloadFieldVisitor
{
    public static bool Reads => false;

    public PublicKey Key(string name, PublicKey value)
    {
        writer.Write(value);
        return default;
    }

    public Address Address(string name, Address value)
    {
        writer.Write(value);
        return default;
    }

    public Hash256 Hash(string name, Hash256 value)
    {
        writer.Write(value);
        return default;
    }

    public Signature Signature(string name, Signature value)
    {
        writer.Write(value);
        return default;
    }

    public byte U8(string name, byte value)
    {
        writer.WriteU8(value);
        return default;
    }

    public ushort U16(string name, ushort value)
    {
        writer.WriteU16(value);
        return default;
    }

    public ulong U64(string name, ulong value)
    {
        writer.WriteU64(value);
        return default;
    }

    public long I64(string name, long value)
    {
        writer.WriteI64(value);
        return default;
    }

    public string Str(string name, int maxBytes, string value)
    {
        writer.WriteString(value);
        return null!;
    }

    public byte[] Bin(string name, int maxBytes, ReadOnlyMemory<byte> value)
    {
        writer.WriteVarBytes(value.Span);
        return null!;
    }
}

/// <summary>
/// Writes a value's fields, in its description's order, as MessagePack (the caller writes the array header). Holds a
/// copy of the caller's writer: the caller takes <see cref="Writer"/> back when done.
/// </summary>
internal ref struct MsgPackFieldWriter(MessagePackWriter writer) : IMessageFieldVisitor
{
    public MessagePackWriter Writer = writer;

    public static bool Reads => false;

    public PublicKey Key(string name, PublicKey value)
    {
        MsgPack.WriteKey(ref Writer, value);
        return default;
    }

    public Address Address(string name, Address value)
    {
        MsgPack.WriteAddress(ref Writer, value);
        return default;
    }

    public Hash256 Hash(string name, Hash256 value)
    {
        MsgPack.WriteHash(ref Writer, value);
        return default;
    }

    public Signature Signature(string name, Signature value)
    {
        MsgPack.WriteSignature(ref Writer, value);
        return default;
    }

    public byte U8(string name, byte value)
    {
        Writer.Write(value);
        return default;
    }

    public ushort U16(string name, ushort value)
    {
        Writer.Write(value);
        return default;
    }

    public uint U32(string name, uint value)
    {
        Writer.Write(value);
        return default;
    }

    public ulong U64(string name, ulong value)
    {
        Writer.Write(value);
        return default;
    }

    public int I32(string name, int min, int max, int value)
    {
        Writer.Write(value);
        return default;
    }

    public long I64(string name, long value)
    {
        Writer.Write(value);
        return default;
    }

    public string Str(string name, int maxBytes, string value)
    {
        Writer.Write(value);
        return null!;
    }

    public byte[] Bin(string name, int maxBytes, ReadOnlyMemory<byte> value)
    {
        Writer.Write(value.Span);
        return null!;
    }

    public Hash256[] Hashes(string name, int minCount, int maxCount, IReadOnlyList<Hash256> value)
    {
        Writer.WriteArrayHeader(value.Count);
        for (var i = 0; i < value.Count; i++)
        {
            MsgPack.WriteHash(ref Writer, value[i]);
        }

        return null!;
    }

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, IReadOnlyList<byte[]> value)
    {
        Writer.WriteArrayHeader(value.Count);
        for (var i = 0; i < value.Count; i++)
        {
            Writer.Write(value[i]);
        }

        return null!;
    }
}

/// <summary>
/// Reads fields in a description's order from MessagePack, checking each one's type and limit before allocating and
/// naming it in any <see cref="LedgerFormatException"/>. Holds a copy of the caller's reader: the caller takes
/// <see cref="Reader"/> back when done.
/// </summary>
internal ref struct MsgPackFieldReader(MessagePackReader reader) : IMessageFieldVisitor
{
    public MessagePackReader Reader = reader;

    public static bool Reads => true;

    public PublicKey Key(string name, PublicKey value) => MsgPack.ReadKey(ref Reader, name);

    public Address Address(string name, Address value) => MsgPack.ReadAddress(ref Reader, name);

    public Hash256 Hash(string name, Hash256 value) => MsgPack.ReadHash(ref Reader, name);

    public Signature Signature(string name, Signature value) => MsgPack.ReadSignature(ref Reader, name);

    public byte U8(string name, byte value) => MsgPack.ReadU8(ref Reader, name);

    public ushort U16(string name, ushort value) => MsgPack.ReadU16(ref Reader, name);

    public uint U32(string name, uint value) => MsgPack.ReadU32(ref Reader, name);

    public ulong U64(string name, ulong value) => MsgPack.ReadU64(ref Reader, name);

    public long I64(string name, long value) => MsgPack.ReadI64(ref Reader, name);

    public int I32(string name, int min, int max, int value)
    {
        var read = MsgPack.Guard(ref Reader, name, static (ref MessagePackReader r) => r.ReadInt32());
        if (read < min || read > max)
        {
            throw new LedgerFormatException(name, $"{read} outside {min}..{max}");
        }

        return read;
    }

    public string Str(string name, int maxBytes, string value) => MsgPack.ReadString(ref Reader, name, maxBytes);

    public byte[] Bin(string name, int maxBytes, ReadOnlyMemory<byte> value) => MsgPack.ReadBin(ref Reader, name, maxBytes).ToArray();

    public Hash256[] Hashes(string name, int minCount, int maxCount, IReadOnlyList<Hash256> value)
    {
        var n = MsgPack.ReadArrayHeaderMax(ref Reader, name, maxCount);
        if (n < minCount)
        {
            throw new LedgerFormatException(name, $"{n} hashes, at least {minCount} required");
        }

        var hashes = new Hash256[n];
        for (var i = 0; i < n; i++)
        {
            hashes[i] = MsgPack.ReadHash(ref Reader, name);
        }

        return hashes;
    }

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, IReadOnlyList<byte[]> value)
    {
        var n = MsgPack.ReadArrayHeaderMax(ref Reader, name, maxCount);
        var remaining = Reader.Sequence.Length - Reader.Consumed;
        if (n > remaining)
        {
            throw new LedgerFormatException(name, $"{n} items cannot fit in {remaining} bytes");
        }

        var items = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            items[i] = MsgPack.ReadBin(ref Reader, name, maxBytesEach).ToArray();
        }

        return items;
    }
}

/// <summary>Lists a description's fields (names, kinds, limits), ignoring the values: for array sizes, docs and tests.</summary>
internal struct FieldLister() : IMessageFieldVisitor
{
    public List<FieldInfo> Fields { get; } = [];

    public static bool Reads => false;

    public PublicKey Key(string name, PublicKey value) => Add<PublicKey>(name, FieldKind.Key, 0);

    public Address Address(string name, Address value) => Add<Address>(name, FieldKind.Address, 0);

    public Hash256 Hash(string name, Hash256 value) => Add<Hash256>(name, FieldKind.Hash, 0);

    public Signature Signature(string name, Signature value) => Add<Signature>(name, FieldKind.Signature, 0);

    public byte U8(string name, byte value) => Add<byte>(name, FieldKind.U8, 0);

    public ushort U16(string name, ushort value) => Add<ushort>(name, FieldKind.U16, 0);

    public uint U32(string name, uint value) => Add<uint>(name, FieldKind.U32, 0);

    public ulong U64(string name, ulong value) => Add<ulong>(name, FieldKind.U64, 0);

    public int I32(string name, int min, int max, int value) => Add<int>(name, FieldKind.I32, max);

    public long I64(string name, long value) => Add<long>(name, FieldKind.I64, 0);

    public string Str(string name, int maxBytes, string value) => Add<string>(name, FieldKind.Str, maxBytes);

    public byte[] Bin(string name, int maxBytes, ReadOnlyMemory<byte> value) => Add<byte[]>(name, FieldKind.Bin, maxBytes);

    public Hash256[] Hashes(string name, int minCount, int maxCount, IReadOnlyList<Hash256> value) => Add<Hash256[]>(name, FieldKind.Hashes, maxCount);

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, IReadOnlyList<byte[]> value) => Add<byte[][]>(name, FieldKind.Bins, maxCount);

    private TValue Add<TValue>(string name, FieldKind kind, int limit)
    {
        Fields.Add(new FieldInfo(name, kind, limit));
        return default!;
    }
}

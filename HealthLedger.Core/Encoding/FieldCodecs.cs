using System.Buffers;
using HealthLedger.Core.Crypto;
using MessagePack;

namespace HealthLedger.Core.Encoding;

/// <summary>Writes a value's fields, in its description's order, as its hash input (docs/format.md notation).</summary>
internal readonly struct HashInputFields<T>(T value, HashInputWriter writer) : IPayloadFieldVisitor<T>
    where T : class
{
    public static bool Reads => false;

    public PublicKey Key(string name, Func<T, PublicKey> get)
    {
        writer.Write(get(value));
        return default;
    }

    public Address Address(string name, Func<T, Address> get)
    {
        writer.Write(get(value));
        return default;
    }

    public Hash256 Hash(string name, Func<T, Hash256> get)
    {
        writer.Write(get(value));
        return default;
    }

    public Signature Signature(string name, Func<T, Signature> get)
    {
        writer.Write(get(value));
        return default;
    }

    public byte U8(string name, Func<T, byte> get)
    {
        writer.WriteU8(get(value));
        return default;
    }

    public ushort U16(string name, Func<T, ushort> get)
    {
        writer.WriteU16(get(value));
        return default;
    }

    public ulong U64(string name, Func<T, ulong> get)
    {
        writer.WriteU64(get(value));
        return default;
    }

    public long I64(string name, Func<T, long> get)
    {
        writer.WriteI64(get(value));
        return default;
    }

    public string Str(string name, int maxBytes, Func<T, string> get)
    {
        writer.WriteString(get(value));
        return null!;
    }

    public byte[] Bin(string name, int maxBytes, Func<T, ReadOnlyMemory<byte>> get)
    {
        writer.WriteVarBytes(get(value).Span);
        return null!;
    }
}

/// <summary>
/// Writes a value's fields, in its description's order, as MessagePack (the caller writes the array header). Holds a
/// copy of the caller's writer: the caller takes <see cref="Writer"/> back when done.
/// </summary>
internal ref struct MsgPackFieldWriter<T>(T value, MessagePackWriter writer) : IMessageFieldVisitor<T>
    where T : class
{
    public MessagePackWriter Writer = writer;

    public static bool Reads => false;

    public PublicKey Key(string name, Func<T, PublicKey> get)
    {
        MsgPack.WriteKey(ref Writer, get(value));
        return default;
    }

    public Address Address(string name, Func<T, Address> get)
    {
        MsgPack.WriteAddress(ref Writer, get(value));
        return default;
    }

    public Hash256 Hash(string name, Func<T, Hash256> get)
    {
        MsgPack.WriteHash(ref Writer, get(value));
        return default;
    }

    public Signature Signature(string name, Func<T, Signature> get)
    {
        MsgPack.WriteSignature(ref Writer, get(value));
        return default;
    }

    public byte U8(string name, Func<T, byte> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public ushort U16(string name, Func<T, ushort> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public uint U32(string name, Func<T, uint> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public ulong U64(string name, Func<T, ulong> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public int I32(string name, int min, int max, Func<T, int> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public long I64(string name, Func<T, long> get)
    {
        Writer.Write(get(value));
        return default;
    }

    public string Str(string name, int maxBytes, Func<T, string> get)
    {
        Writer.Write(get(value));
        return null!;
    }

    public byte[] Bin(string name, int maxBytes, Func<T, ReadOnlyMemory<byte>> get)
    {
        Writer.Write(get(value).Span);
        return null!;
    }

    public Hash256[] Hashes(string name, int minCount, int maxCount, Func<T, IReadOnlyList<Hash256>> get)
    {
        var hashes = get(value);
        Writer.WriteArrayHeader(hashes.Count);
        for (var i = 0; i < hashes.Count; i++)
        {
            MsgPack.WriteHash(ref Writer, hashes[i]);
        }

        return null!;
    }

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, Func<T, IReadOnlyList<byte[]>> get)
    {
        var items = get(value);
        Writer.WriteArrayHeader(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            Writer.Write(items[i]);
        }

        return null!;
    }
}

/// <summary>
/// Reads fields in a description's order from MessagePack, checking each one's type and limit before allocating and
/// naming it in any <see cref="LedgerFormatException"/>. Holds a copy of the caller's reader: the caller takes
/// <see cref="Reader"/> back when done.
/// </summary>
internal ref struct MsgPackFieldReader<T>(MessagePackReader reader) : IMessageFieldVisitor<T>
    where T : class
{
    public MessagePackReader Reader = reader;

    public static bool Reads => true;

    public PublicKey Key(string name, Func<T, PublicKey> get) => MsgPack.ReadKey(ref Reader, name);

    public Address Address(string name, Func<T, Address> get) => MsgPack.ReadAddress(ref Reader, name);

    public Hash256 Hash(string name, Func<T, Hash256> get) => MsgPack.ReadHash(ref Reader, name);

    public Signature Signature(string name, Func<T, Signature> get) => MsgPack.ReadSignature(ref Reader, name);

    public byte U8(string name, Func<T, byte> get) => MsgPack.ReadU8(ref Reader, name);

    public ushort U16(string name, Func<T, ushort> get) => MsgPack.ReadU16(ref Reader, name);

    public uint U32(string name, Func<T, uint> get) => MsgPack.ReadU32(ref Reader, name);

    public ulong U64(string name, Func<T, ulong> get) => MsgPack.ReadU64(ref Reader, name);

    public long I64(string name, Func<T, long> get) => MsgPack.ReadI64(ref Reader, name);

    public int I32(string name, int min, int max, Func<T, int> get)
    {
        var value = MsgPack.Guard(ref Reader, name, static (ref MessagePackReader r) => r.ReadInt32());
        if (value < min || value > max)
        {
            throw new LedgerFormatException(name, $"{value} outside {min}..{max}");
        }

        return value;
    }

    public string Str(string name, int maxBytes, Func<T, string> get) => MsgPack.ReadString(ref Reader, name, maxBytes);

    public byte[] Bin(string name, int maxBytes, Func<T, ReadOnlyMemory<byte>> get) => MsgPack.ReadBin(ref Reader, name, maxBytes).ToArray();

    public Hash256[] Hashes(string name, int minCount, int maxCount, Func<T, IReadOnlyList<Hash256>> get)
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

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, Func<T, IReadOnlyList<byte[]>> get)
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

/// <summary>Lists a description's fields (names, kinds, limits) without a value: for array sizes, docs and tests.</summary>
internal struct FieldLister<T>() : IMessageFieldVisitor<T>
    where T : class
{
    public List<FieldInfo> Fields { get; } = [];

    public static bool Reads => false;

    public PublicKey Key(string name, Func<T, PublicKey> get) => Add<PublicKey>(name, FieldKind.Key, 0);

    public Address Address(string name, Func<T, Address> get) => Add<Address>(name, FieldKind.Address, 0);

    public Hash256 Hash(string name, Func<T, Hash256> get) => Add<Hash256>(name, FieldKind.Hash, 0);

    public Signature Signature(string name, Func<T, Signature> get) => Add<Signature>(name, FieldKind.Signature, 0);

    public byte U8(string name, Func<T, byte> get) => Add<byte>(name, FieldKind.U8, 0);

    public ushort U16(string name, Func<T, ushort> get) => Add<ushort>(name, FieldKind.U16, 0);

    public uint U32(string name, Func<T, uint> get) => Add<uint>(name, FieldKind.U32, 0);

    public ulong U64(string name, Func<T, ulong> get) => Add<ulong>(name, FieldKind.U64, 0);

    public int I32(string name, int min, int max, Func<T, int> get) => Add<int>(name, FieldKind.I32, max);

    public long I64(string name, Func<T, long> get) => Add<long>(name, FieldKind.I64, 0);

    public string Str(string name, int maxBytes, Func<T, string> get) => Add<string>(name, FieldKind.Str, maxBytes);

    public byte[] Bin(string name, int maxBytes, Func<T, ReadOnlyMemory<byte>> get) => Add<byte[]>(name, FieldKind.Bin, maxBytes);

    public Hash256[] Hashes(string name, int minCount, int maxCount, Func<T, IReadOnlyList<Hash256>> get) => Add<Hash256[]>(name, FieldKind.Hashes, maxCount);

    public byte[][] Bins(string name, int maxCount, int maxBytesEach, Func<T, IReadOnlyList<byte[]>> get) => Add<byte[][]>(name, FieldKind.Bins, maxCount);

    private TValue Add<TValue>(string name, FieldKind kind, int limit)
    {
        Fields.Add(new FieldInfo(name, kind, limit));
        return default!;
    }
}

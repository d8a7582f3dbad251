using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Encoding;

/// <summary>
/// The field kinds a payload's single layout description (<see cref="Transactions.IPayloadFields{TSelf}"/>) is made of.
/// One visitor writes the hash input, one the MessagePack array, one reads it back, one lists the fields; the order in
/// which the description visits its fields is the order of all of them. Each method names the field (the name a
/// <see cref="LedgerFormatException"/> carries and docs/format.md uses), its kind and limit, and its value in the object
/// being written. A writer writes the value (and returns <c>default</c>); a reader ignores it and returns what it read.
/// </summary>
internal interface IPayloadFieldVisitor
{
    /// <summary>True for the reader: the description then builds the value from what the calls returned.</summary>
    static abstract bool Reads { get; }

    /// <summary>32-byte public key: K in the hash input, bin 32 on the wire.</summary>
    PublicKey Key(string name, PublicKey value);

    /// <summary>20-byte address: A, bin 20.</summary>
    Address Address(string name, Address value);

    /// <summary>32-byte hash: H, bin 32.</summary>
    Hash256 Hash(string name, Hash256 value);

    /// <summary>64-byte signature: S, bin 64.</summary>
    Signature Signature(string name, Signature value);

    /// <summary>u8 (enums), a MessagePack integer in its shortest form.</summary>
    byte U8(string name, byte value);

    /// <summary>u16 little-endian, a MessagePack integer.</summary>
    ushort U16(string name, ushort value);

    /// <summary>u64 little-endian, a MessagePack unsigned integer.</summary>
    ulong U64(string name, ulong value);

    /// <summary>i64 little-endian, a MessagePack signed integer.</summary>
    long I64(string name, long value);

    /// <summary>u16 length + UTF-8 in the hash input; a MessagePack string of at most <paramref name="maxBytes"/> UTF-8 bytes (strict decoding).</summary>
    string Str(string name, int maxBytes, string value);

    /// <summary>u16 length + bytes in the hash input; a MessagePack binary of at most <paramref name="maxBytes"/> bytes.</summary>
    byte[] Bin(string name, int maxBytes, ReadOnlyMemory<byte> value);
}

/// <summary>
/// The further field kinds of network messages (which have no hash input): a <c>u32</c>, an <c>i32</c> in a range, and
/// arrays of hashes or binaries with count limits.
/// </summary>
internal interface IMessageFieldVisitor : IPayloadFieldVisitor
{
    /// <summary>A MessagePack unsigned integer that fits 32 bits.</summary>
    uint U32(string name, uint value);

    /// <summary>A MessagePack integer in <paramref name="min"/>..<paramref name="max"/> (checked when read).</summary>
    int I32(string name, int min, int max, int value);

    /// <summary>An array of <paramref name="minCount"/>..<paramref name="maxCount"/> bin-32 hashes.</summary>
    Hash256[] Hashes(string name, int minCount, int maxCount, IReadOnlyList<Hash256> value);

    /// <summary>
    /// An array of at most <paramref name="maxCount"/> binaries of at most <paramref name="maxBytesEach"/> bytes; a
    /// count the remaining bytes cannot hold is refused before anything is allocated.
    /// </summary>
    byte[][] Bins(string name, int maxCount, int maxBytesEach, IReadOnlyList<byte[]> value);
}

/// <summary>A field kind, as listed by <see cref="FieldLister"/>.</summary>
internal enum FieldKind : byte
{
    Key,
    Address,
    Hash,
    Signature,
    U8,
    U16,
    U32,
    U64,
    I32,
    I64,
    Str,
    Bin,
    Hashes,
    Bins,
}

/// <summary>One field of a layout: its name, kind and byte or count limit (0 where the kind has a fixed size).</summary>
internal readonly record struct FieldInfo(string Name, FieldKind Kind, int Limit);

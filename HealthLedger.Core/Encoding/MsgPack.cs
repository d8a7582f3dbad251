using System.Buffers;
using HealthLedger.Core.Crypto;
using MessagePack;

namespace HealthLedger.Core.Encoding;

/// <summary>
/// Small helpers over MessagePack's low-level reader and writer. Every read checks type and size and
/// converts any reader failure into <see cref="LedgerFormatException"/> naming the field.
/// </summary>
internal static class MsgPack
{
    public static void WriteHash(ref MessagePackWriter writer, in Hash256 value) => writer.Write(value.ToArray());

    public static void WriteKey(ref MessagePackWriter writer, in PublicKey value) => writer.Write(value.ToArray());

    public static void WriteAddress(ref MessagePackWriter writer, in Address value) => writer.Write(Address.AsSpan(in value).ToArray());

    public static void WriteSignature(ref MessagePackWriter writer, in Signature value) => writer.Write(value.ToArray());

    public static int ReadArrayHeader(ref MessagePackReader reader, string field, int expected)
    {
        var count = Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadArrayHeader());
        if (count != expected)
        {
            throw new LedgerFormatException(field, $"expected an array of {expected} elements, got {count}");
        }

        return count;
    }

    public static int ReadArrayHeaderMax(ref MessagePackReader reader, string field, int max)
    {
        var count = Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadArrayHeader());
        if (count > max)
        {
            throw new LedgerFormatException(field, $"array of {count} elements exceeds the limit of {max}");
        }

        return count;
    }

    public static ReadOnlySequence<byte> ReadBin(ref MessagePackReader reader, string field, int maxLength)
    {
        if (reader.End)
        {
            throw new LedgerFormatException(field, "unexpected end of data");
        }

        if (reader.NextMessagePackType != MessagePackType.Binary)
        {
            throw new LedgerFormatException(field, $"expected binary, got {reader.NextMessagePackType}");
        }

        var bytes = Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadBytes());
        if (bytes is null)
        {
            throw new LedgerFormatException(field, "null binary");
        }

        if (bytes.Value.Length > maxLength)
        {
            throw new LedgerFormatException(field, $"{bytes.Value.Length} bytes exceeds the limit of {maxLength}");
        }

        return bytes.Value;
    }

    public static byte[] ReadBinExact(ref MessagePackReader reader, string field, int length)
    {
        var seq = ReadBin(ref reader, field, length);
        if (seq.Length != length)
        {
            throw new LedgerFormatException(field, $"expected {length} bytes, got {seq.Length}");
        }

        return seq.ToArray();
    }

    public static Hash256 ReadHash(ref MessagePackReader reader, string field) => new(ReadBinExact(ref reader, field, Hash256.Length));

    public static PublicKey ReadKey(ref MessagePackReader reader, string field) => new(ReadBinExact(ref reader, field, PublicKey.Length));

    public static Address ReadAddress(ref MessagePackReader reader, string field) => new(ReadBinExact(ref reader, field, Address.Length));

    public static Signature ReadSignature(ref MessagePackReader reader, string field) => new(ReadBinExact(ref reader, field, Signature.Length));

    public static string ReadString(ref MessagePackReader reader, string field, int maxBytes)
    {
        if (reader.End)
        {
            throw new LedgerFormatException(field, "unexpected end of data");
        }

        if (reader.NextMessagePackType != MessagePackType.String)
        {
            throw new LedgerFormatException(field, $"expected a string, got {reader.NextMessagePackType}");
        }

        var seq = Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadStringSequence());
        if (seq is null)
        {
            throw new LedgerFormatException(field, "null string");
        }

        if (seq.Value.Length > maxBytes)
        {
            throw new LedgerFormatException(field, $"{seq.Value.Length} bytes exceeds the limit of {maxBytes}");
        }

        try
        {
            return new System.Text.UTF8Encoding(false, true).GetString(seq.Value.ToArray());
        }
        catch (ArgumentException ex)
        {
            throw new LedgerFormatException(field, "invalid UTF-8", ex);
        }
    }

    public static ulong ReadU64(ref MessagePackReader reader, string field) =>
        Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadUInt64());

    public static long ReadI64(ref MessagePackReader reader, string field) =>
        Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadInt64());

    public static uint ReadU32(ref MessagePackReader reader, string field) =>
        Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadUInt32());

    public static ushort ReadU16(ref MessagePackReader reader, string field) =>
        Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadUInt16());

    public static byte ReadU8(ref MessagePackReader reader, string field) =>
        Guard(ref reader, field, static (ref MessagePackReader r) => r.ReadByte());

    /// <summary>The exceptions MessagePack's reader raises for bad bytes (everything else is a bug and propagates).</summary>
    public static bool IsReaderFailure(Exception ex) =>
        ex is MessagePackSerializationException or EndOfStreamException or OverflowException or InvalidOperationException or ArgumentException;

    public delegate T ReadFunc<out T>(ref MessagePackReader reader);

    public static T Guard<T>(ref MessagePackReader reader, string field, ReadFunc<T> read)
    {
        if (reader.End)
        {
            throw new LedgerFormatException(field, "unexpected end of data");
        }

        try
        {
            return read(ref reader);
        }
        catch (LedgerFormatException)
        {
            throw;
        }
        catch (Exception ex) when (IsReaderFailure(ex))
        {
            throw new LedgerFormatException(field, ex.Message, ex);
        }
    }

    /// <summary>
    /// Encodes with <paramref name="encode"/>, returning the bytes.
    /// </summary>
    public static byte[] Encode<T>(T value, EncodeAction<T> encode)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        encode(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public delegate void EncodeAction<in T>(ref MessagePackWriter writer, T value);

    public delegate T DecodeFunc<out T>(ref MessagePackReader reader);

    /// <summary>
    /// Decodes exactly one object from <paramref name="bytes"/> (no trailing bytes), then re-encodes it and
    /// requires the same bytes: only the canonical encoding is accepted, so ids are not malleable.
    /// </summary>
    public static T DecodeCanonical<T>(ReadOnlyMemory<byte> bytes, int maxBytes, string what, DecodeFunc<T> decode, EncodeAction<T> encode)
    {
        if (bytes.Length > maxBytes)
        {
            throw new LedgerFormatException(what, $"{bytes.Length} bytes exceeds the limit of {maxBytes}");
        }

        var reader = new MessagePackReader(bytes);
        T value;
        try
        {
            value = decode(ref reader);
        }
        catch (LedgerFormatException)
        {
            throw;
        }
        catch (Exception ex) when (IsReaderFailure(ex))
        {
            throw new LedgerFormatException(what, ex.Message, ex);
        }

        if (!reader.End)
        {
            throw new LedgerFormatException(what, $"{bytes.Length - reader.Consumed} trailing bytes");
        }

        var again = Encode(value, encode);
        if (!again.AsSpan().SequenceEqual(bytes.Span))
        {
            throw new LedgerFormatException(what, "not the canonical encoding");
        }

        return value;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// Byte layout of block store segment files (all integers little-endian).
/// Segment header (16 bytes): magic "HLBLKSEG" (8) | format version u32 (4) | segment number u32 (4).
/// Record (52 + N bytes): payload length N u32 (4) | sequence u64 (8) | hash (32) | header CRC-32C of bytes 0..43 (4) |
/// payload (N) | record CRC-32C of bytes 0..(48+N-1) (4).
/// </summary>
internal static class SegmentFormat
{
    public const uint Version = 1;
    public const int HeaderSize = 16;
    public const int RecordHeaderSize = 48;
    private const int HeaderChecked = 44;
    public const int TrailerSize = 4;
    public const int RecordOverhead = RecordHeaderSize + TrailerSize;
    public const string FilePrefix = "blocks-";
    public const string FileSuffix = ".dat";
    public const string LockFileName = "LOCK";

    public static ReadOnlySpan<byte> Magic => "HLBLKSEG"u8;

    public static string FileName(int segment) => FileName(segment, FileSuffix);

    /// <summary>The name of segment <paramref name="segment"/>'s file with <paramref name="suffix"/> (its data, index or filter file).</summary>
    public static string FileName(int segment, string suffix) =>
        FilePrefix + segment.ToString("D6", CultureInfo.InvariantCulture) + suffix;

    /// <summary>Parses a canonical segment file name (as produced by <see cref="FileName(int)"/>).</summary>
    public static bool TryParseFileName(string fileName, out int segment)
    {
        segment = -1;
        if (!fileName.StartsWith(FilePrefix, StringComparison.Ordinal) || !fileName.EndsWith(FileSuffix, StringComparison.Ordinal))
        {
            return false;
        }

        var digits = fileName.AsSpan(FilePrefix.Length, fileName.Length - FilePrefix.Length - FileSuffix.Length);
        if (digits.Length < 6 || !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        if (FileName(n) != fileName)
        {
            return false;
        }

        segment = n;
        return true;
    }

    public static void WriteHeader(Span<byte> destination, int segment)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], (uint)segment);
    }

    /// <summary>Writes a complete record into <paramref name="destination"/> (exactly <see cref="RecordOverhead"/> + payload length bytes).</summary>
    public static void WriteRecord(Span<byte> destination, long sequence, Hash256 hash, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length);
        BinaryPrimitives.WriteInt64LittleEndian(destination[4..], sequence);
        hash.WriteTo(destination[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[HeaderChecked..], Crc32C.Compute(destination[..HeaderChecked]));
        payload.CopyTo(destination[RecordHeaderSize..]);
        var end = RecordHeaderSize + payload.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[end..], Crc32C.Compute(destination[..end]));
    }

    /// <summary>Decodes a 48-byte record header; false when its checksum does not match.</summary>
    public static bool TryReadRecordHeader(ReadOnlySpan<byte> header, out uint payloadLength, out long sequence, out Hash256 hash)
    {
        payloadLength = BinaryPrimitives.ReadUInt32LittleEndian(header);
        sequence = BinaryPrimitives.ReadInt64LittleEndian(header[4..]);
        hash = default;
        if (Crc32C.Compute(header[..HeaderChecked]) != BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderChecked..]))
        {
            return false;
        }

        hash = new Hash256(header.Slice(12, Hash256.Length));
        return true;
    }
}

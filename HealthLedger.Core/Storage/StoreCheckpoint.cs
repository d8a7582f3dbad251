using System.Buffers.Binary;

namespace HealthLedger.Core.Storage;

/// <summary>
/// The <c>SEGMENTS</c> checkpoint (integers little-endian): magic "HLBLKCKP" (8) | version u32 = 1 (4) | first kept
/// segment u32 (4) | sealed count u32 (4) | reserved u32 = 0 (4) | sealed count × (first sequence i64 (8) | record count
/// u32 (4) | segment length i64 (8) | index CRC u32 (4)) | CRC-32C of everything before (4). The sealed segments are
/// numbered from the first kept one. Rewritten atomically whenever a segment is sealed or segments are pruned.
/// </summary>
internal static class StoreCheckpoint
{
    public const string FileName = "SEGMENTS";
    public const uint Version = 1;
    private const int HeaderSize = 24;
    private const int EntrySize = 24;

    public static ReadOnlySpan<byte> Magic => "HLBLKCKP"u8;

    public static void Write(string directory, int firstKept, IReadOnlyList<SealedSegment> sealedSegments)
    {
        var bytes = new byte[HeaderSize + (sealedSegments.Count * EntrySize) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)firstKept);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], (uint)sealedSegments.Count);
        var at = HeaderSize;
        foreach (var s in sealedSegments)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[at..], s.FirstSequence);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 8)..], (uint)s.Count);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + 12)..], s.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + 20)..], s.IndexCrc);
            at += EntrySize;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        AtomicFile.Write(directory, FileName, bytes, syncDirectory: true);
    }

    /// <summary>Reads the checkpoint; null when there is none. <paramref name="bytesRead"/> is its size.</summary>
    /// <exception cref="BlockStoreCorruptedException">With <see cref="BlockStoreDamage.BadIndex"/> when damaged.</exception>
    public static (int FirstKept, List<SealedSegment> Sealed)? Read(string directory, out long bytesRead)
    {
        bytesRead = 0;
        var path = Path.Combine(directory, FileName);
        Microsoft.Win32.SafeHandles.SafeFileHandle handle;
        try
        {
            handle = StoreFiles.OpenExisting(path, write: false, segment: -1);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        byte[] bytes;
        using (handle)
        {
            var length = RandomAccess.GetLength(handle);
            if (length < HeaderSize + 4 || (length - HeaderSize - 4) % EntrySize != 0 || length > int.MaxValue / 2)
            {
                throw Bad(path, $"the checkpoint is {length} bytes");
            }

            bytes = new byte[length];
            var done = 0;
            while (done < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(done), done);
                if (n == 0)
                {
                    throw Bad(path, "the checkpoint shrank while it was read");
                }

                done += n;
            }
        }

        bytesRead = bytes.Length;
        var span = bytes.AsSpan();
        if (!span[..8].SequenceEqual(Magic)
            || Crc32C.Compute(span[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(span[^4..])
            || BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(span[20..]) != 0)
        {
            throw Bad(path, "the checkpoint has a bad magic, version or checksum");
        }

        var firstKept = BinaryPrimitives.ReadUInt32LittleEndian(span[12..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(span[16..]);
        if (count != (span.Length - HeaderSize - 4) / EntrySize || firstKept > int.MaxValue - count)
        {
            throw Bad(path, "the checkpoint's segment count disagrees with its length");
        }

        var list = new List<SealedSegment>((int)count);
        var at = HeaderSize;
        long expectedFirst = -1;
        for (var i = 0; i < count; i++)
        {
            var first = BinaryPrimitives.ReadInt64LittleEndian(span[at..]);
            var records = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 8)..]);
            var length = BinaryPrimitives.ReadInt64LittleEndian(span[(at + 12)..]);
            if (first < 0 || records == 0 || records > int.MaxValue || length < SegmentFormat.HeaderSize || (expectedFirst >= 0 && first != expectedFirst))
            {
                throw Bad(path, $"sealed segment entry {i} is not valid or not contiguous");
            }

            list.Add(new SealedSegment((int)firstKept + i, first, (int)records, length, BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 20)..])));
            expectedFirst = first + records;
            at += EntrySize;
        }

        return ((int)firstKept, list);
    }

    private static BlockStoreCorruptedException Bad(string path, string detail) => new(path, BlockStoreDamage.BadIndex, detail + ".");
}

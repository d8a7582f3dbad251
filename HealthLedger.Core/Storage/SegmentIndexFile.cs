using System.Buffers.Binary;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// The index file of one sealed segment, <c>blocks-NNNNNN.idx</c> (integers little-endian):
/// magic "HLBLKIDX" (8) | version u32 = 1 (4) | segment number u32 (4) | first sequence i64 (8) | record count u32 (4) |
/// segment length i64 (8) | count × (hash (32) | offset i64 (8) | payload length u32 (4)) | CRC-32C of everything before (4).
/// Written once when the segment is sealed (temporary file, fsync, rename), never modified; its CRC is also recorded in
/// the <c>SEGMENTS</c> checkpoint, so a replaced index file is refused.
/// </summary>
internal static class SegmentIndexFile
{
    public const uint Version = 1;
    public const int HeaderSize = 36;
    public const int EntrySize = Hash256.Length + 8 + 4;
    public const string FileSuffix = ".idx";

    public static ReadOnlySpan<byte> Magic => "HLBLKIDX"u8;

    public static string FileName(int segment) => SegmentFormat.FileName(segment, FileSuffix);

    public static byte[] Encode(int segment, long firstSequence, long segmentLength, IReadOnlyList<RecordLocation> records)
    {
        var bytes = new byte[HeaderSize + (records.Count * EntrySize) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)segment);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], firstSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(span[24..], (uint)records.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[28..], segmentLength);
        var at = HeaderSize;
        foreach (var record in records)
        {
            record.Hash.WriteTo(span[at..]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(at + Hash256.Length)..], record.Offset);
            BinaryPrimitives.WriteUInt32LittleEndian(span[(at + Hash256.Length + 8)..], (uint)record.PayloadLength);
            at += EntrySize;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[at..], Crc32C.Compute(span[..at]));
        return bytes;
    }

    /// <summary>The CRC an encoded index file ends with.</summary>
    public static uint CrcOf(ReadOnlySpan<byte> encoded) => BinaryPrimitives.ReadUInt32LittleEndian(encoded[^4..]);

    /// <summary>Writes an encoded index atomically (the caller syncs the directory, with the checkpoint).</summary>
    public static void Write(string directory, int segment, ReadOnlySpan<byte> encoded) =>
        AtomicFile.Write(directory, FileName(segment), encoded, syncDirectory: false);

    /// <summary>Reads and checks the index of <paramref name="segment"/> against what the checkpoint recorded.</summary>
    /// <exception cref="BlockStoreCorruptedException">With <see cref="BlockStoreDamage.BadIndex"/> (or <see cref="BlockStoreDamage.SymbolicLink"/>).</exception>
    public static SegmentIndex Load(string directory, SealedSegment segment, int maxRecordSize)
    {
        var path = Path.Combine(directory, FileName(segment.Number));
        byte[] bytes;
        try
        {
            using var handle = StoreFiles.OpenExisting(path, write: false, segment: segment.Number);
            var length = RandomAccess.GetLength(handle);
            var expected = HeaderSize + ((long)segment.Count * EntrySize) + 4;
            if (length != expected)
            {
                throw Bad(path, segment, $"the index file is {length} bytes, expected {expected}");
            }

            bytes = new byte[expected];
            var done = 0;
            while (done < bytes.Length)
            {
                var n = RandomAccess.Read(handle, bytes.AsSpan(done), done);
                if (n == 0)
                {
                    throw Bad(path, segment, "the index file shrank while it was read");
                }

                done += n;
            }
        }
        catch (FileNotFoundException)
        {
            throw Bad(path, segment, "the index file is missing");
        }

        var span = bytes.AsSpan();
        if (Crc32C.Compute(span[..^4]) != CrcOf(span) || CrcOf(span) != segment.IndexCrc)
        {
            throw Bad(path, segment, "the index file fails its checksum or is not the one the checkpoint recorded");
        }

        if (!span[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != Version
            || BinaryPrimitives.ReadUInt32LittleEndian(span[12..]) != (uint)segment.Number
            || BinaryPrimitives.ReadInt64LittleEndian(span[16..]) != segment.FirstSequence
            || BinaryPrimitives.ReadUInt32LittleEndian(span[24..]) != (uint)segment.Count
            || BinaryPrimitives.ReadInt64LittleEndian(span[28..]) != segment.Length)
        {
            throw Bad(path, segment, "the index header disagrees with the checkpoint");
        }

        var records = new RecordLocation[segment.Count];
        var byHash = new Dictionary<Hash256, int>(segment.Count);
        var at = HeaderSize;
        var expectedOffset = (long)SegmentFormat.HeaderSize;
        for (var i = 0; i < records.Length; i++)
        {
            var hash = new Hash256(span.Slice(at, Hash256.Length));
            var offset = BinaryPrimitives.ReadInt64LittleEndian(span[(at + Hash256.Length)..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + Hash256.Length + 8)..]);
            if (offset != expectedOffset || length > (uint)maxRecordSize || !byHash.TryAdd(hash, i))
            {
                throw Bad(path, segment, $"entry {i} is not contiguous, too large or a duplicate");
            }

            records[i] = new RecordLocation(segment.Number, offset, (int)length, hash);
            expectedOffset += SegmentFormat.RecordOverhead + (long)length;
            at += EntrySize;
        }

        if (expectedOffset != segment.Length)
        {
            throw Bad(path, segment, $"the entries end at {expectedOffset}, the segment at {segment.Length}");
        }

        return new SegmentIndex(segment, records, byHash);
    }

    private static BlockStoreCorruptedException Bad(string path, SealedSegment segment, string detail) =>
        new(path, segment.Number, 0, BlockStoreDamage.BadIndex, detail + ".");
}

/// <summary>A sealed segment as the checkpoint records it.</summary>
internal readonly record struct SealedSegment(int Number, long FirstSequence, int Count, long Length, uint IndexCrc)
{
    public long EndSequence => FirstSequence + Count;
}

/// <summary>A loaded index of one sealed segment (held in the store's bounded cache).</summary>
internal sealed class SegmentIndex(SealedSegment segment, RecordLocation[] records, Dictionary<Hash256, int> byHash)
{
    public SealedSegment Segment { get; } = segment;

    public RecordLocation[] Records { get; } = records;

    public Dictionary<Hash256, int> ByHash { get; } = byHash;
}

/// <summary>
/// A Bloom filter of one sealed segment's block hashes (10 bits per block, 7 probes: about 1 % false positives), so a
/// lookup of a hash the store does not hold loads no index file. Block hashes are already uniform (SHA-256 behind
/// proof of work); a ground hash only costs its sender an index read.
/// </summary>
internal sealed class SegmentBloom
{
    private const int Probes = 7;
    private readonly ulong[] _bits;

    private SegmentBloom(ulong[] bits) => _bits = bits;

    public SegmentBloom(IReadOnlyList<RecordLocation> records)
    {
        _bits = new ulong[WordsFor(records.Count)];
        foreach (var record in records)
        {
            var (h1, h2, m) = Start(record.Hash);
            for (var i = 0; i < Probes; i++)
            {
                var bit = (h1 + ((ulong)i * h2)) % m;
                _bits[bit >> 6] |= 1UL << (int)(bit & 63);
            }
        }
    }

    /// <summary>Bytes held.</summary>
    public long Size => _bits.Length * 8L;

    /// <summary>The filter's words (for its file).</summary>
    public ReadOnlySpan<ulong> Words => _bits;

    /// <summary>The number of 64-bit words for <paramref name="count"/> blocks (10 bits each).</summary>
    public static int WordsFor(int count) => Math.Max(1, ((count * 10) + 63) / 64);

    /// <summary>A filter read back from its file.</summary>
    public static SegmentBloom FromWords(ulong[] words) => new(words);

    public bool MayContain(Hash256 hash)
    {
        var (h1, h2, m) = Start(hash);
        for (var i = 0; i < Probes; i++)
        {
            var bit = (h1 + ((ulong)i * h2)) % m;
            if ((_bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
            {
                return false;
            }
        }

        return true;
    }

    private (ulong H1, ulong H2, ulong M) Start(Hash256 hash)
    {
        var bytes = Hash256.AsSpan(in hash);
        return (BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]) | 1, (ulong)_bits.Length * 64);
    }
}

/// <summary>
/// The Bloom filter file of one sealed segment, <c>blocks-NNNNNN.bloom</c> (integers little-endian): magic "HLBLOOM1" (8) |
/// segment number u32 (4) | record count u32 (4) | index CRC u32 (4, the CRC of the index file it was built from) |
/// word count u32 (4) | words × u64 | CRC-32C of everything before (4). A cache, not a record: written when a segment is
/// sealed (or the first time a store without it needs the filter), never trusted when it does not match its segment
/// (then rebuilt from the index file), deleted with the segment. It makes the first lookup of an unknown hash after a
/// start read 1.25 bytes per block instead of every index file (44 bytes per block).
/// </summary>
internal static class SegmentBloomFile
{
    public const string FileSuffix = ".bloom";
    private const int HeaderSize = 24;

    private static ReadOnlySpan<byte> Magic => "HLBLOOM1"u8;

    public static string FileName(int segment) => SegmentFormat.FileName(segment, FileSuffix);

    /// <summary>Writes the filter of <paramref name="segment"/> atomically; a failure only costs a rebuild later.</summary>
    public static void TryWrite(string directory, SealedSegment segment, SegmentBloom bloom)
    {
        var words = bloom.Words;
        var bytes = new byte[HeaderSize + (words.Length * 8) + 4];
        var span = bytes.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], (uint)segment.Number);
        BinaryPrimitives.WriteUInt32LittleEndian(span[12..], (uint)segment.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(span[16..], segment.IndexCrc);
        BinaryPrimitives.WriteUInt32LittleEndian(span[20..], (uint)words.Length);
        for (var i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span[(HeaderSize + (i * 8))..], words[i]);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[^4..], Crc32C.Compute(span[..^4]));
        try
        {
            AtomicFile.Write(directory, FileName(segment.Number), bytes, syncDirectory: false);
        }
        catch (IOException)
        {
            // A cache: the next start builds the filter from the index file again.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The stored filter of <paramref name="segment"/>, or null when it is missing or does not match the segment.</summary>
    public static SegmentBloom? TryRead(string directory, SealedSegment segment)
    {
        var path = Path.Combine(directory, FileName(segment.Number));
        var expectedWords = SegmentBloom.WordsFor(segment.Count);
        var expected = HeaderSize + ((long)expectedWords * 8) + 4;
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length != expected || info.LinkTarget is not null)
            {
                return null;
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        var span = bytes.AsSpan();
        if (bytes.Length != expected
            || !span[..8].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(span[8..]) != (uint)segment.Number
            || BinaryPrimitives.ReadUInt32LittleEndian(span[12..]) != (uint)segment.Count
            || BinaryPrimitives.ReadUInt32LittleEndian(span[16..]) != segment.IndexCrc
            || BinaryPrimitives.ReadUInt32LittleEndian(span[20..]) != (uint)expectedWords
            || Crc32C.Compute(span[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(span[^4..]))
        {
            return null;
        }

        var words = new ulong[expectedWords];
        for (var i = 0; i < words.Length; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt64LittleEndian(span[(HeaderSize + (i * 8))..]);
        }

        return SegmentBloom.FromWords(words);
    }
}

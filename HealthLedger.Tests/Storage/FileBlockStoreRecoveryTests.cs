using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>What <see cref="FileBlockStore.Open"/> does with damaged segment files (see docs/storage.md, "Recovery rules").</summary>
public class FileBlockStoreRecoveryTests
{
    // Five records in one segment; the last one is small so the per-offset loops stay short.
    private static readonly List<(Hash256 Hash, byte[] Payload)> Blocks = TestBlocks.Make(20, 200, 10, 500, 0, 90);

    private TempDirectory _directory = null!;
    private List<(int Segment, long Offset)> _locations = null!;
    private byte[] _original = null!;

    private string SegmentPath => _directory.Segment(0);

    private long LastStart => _locations[^1].Offset;

    [SetUp]
    public void WriteStore()
    {
        _directory = TempDirectory.Create(inMemory: true);
        _locations = TestBlocks.Write(_directory.Path, Blocks);
        _original = File.ReadAllBytes(SegmentPath);
    }

    [TearDown]
    public void DeleteStore() => _directory.Dispose();

    [Test]
    public void Reopen_after_torn_tail_truncates_to_last_valid_block_at_every_cut_inside_the_last_record()
    {
        for (var cut = LastStart + 1; cut < _original.Length; cut++)
        {
            File.WriteAllBytes(SegmentPath, _original[..(int)cut]);
            using (var store = FileBlockStore.Open(_directory.Path))
            {
                Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(4, 1, cut - LastStart, BlockStoreDamage.IncompleteRecord, 0, LastStart)), $"cut at {cut}");
                TestBlocks.AssertContents(store, Blocks[..4]);
            }

            Assert.That(new FileInfo(SegmentPath).Length, Is.EqualTo(LastStart), "the torn bytes are removed from the file");
        }
    }

    [Test]
    public void Store_repaired_after_a_torn_tail_appends_and_reopens_cleanly()
    {
        File.WriteAllBytes(SegmentPath, _original[..(int)(LastStart + 30)]);
        using (var store = FileBlockStore.Open(_directory.Path))
        {
            store.Append(Blocks[4].Hash, Blocks[4].Payload);
        }

        using var reopened = FileBlockStore.Open(_directory.Path);
        Assert.That(reopened.OpenReport.WasRepaired, Is.False);
        TestBlocks.AssertContents(reopened, Blocks);
    }

    [Test]
    public void Cut_exactly_at_a_record_boundary_is_a_clean_shorter_store()
    {
        File.WriteAllBytes(SegmentPath, _original[..(int)LastStart]);
        using var store = FileBlockStore.Open(_directory.Path);
        Assert.That(store.OpenReport.WasRepaired, Is.False);
        TestBlocks.AssertContents(store, Blocks[..4]);
    }

    [Test]
    public void Flipped_byte_anywhere_in_the_last_record_truncates_it_and_reports_the_damage()
    {
        for (var at = (int)LastStart; at < _original.Length; at++)
        {
            var bytes = (byte[])_original.Clone();
            bytes[at] ^= 0x5A;
            File.WriteAllBytes(SegmentPath, bytes);
            using var store = FileBlockStore.Open(_directory.Path);
            var expected = at < LastStart + SegmentFormat.RecordHeaderSize ? BlockStoreDamage.BadHeaderChecksum : BlockStoreDamage.BadRecordChecksum;
            Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(4, 1, _original.Length - LastStart, expected, 0, LastStart)), $"flip at {at}");
            TestBlocks.AssertContents(store, Blocks[..4]);
        }
    }

    [TestCase(0, BlockStoreDamage.BadHeaderChecksum, TestName = "Flipped_byte_in_a_middle_record_length_field_is_a_corruption_error")]
    [TestCase(20, BlockStoreDamage.BadHeaderChecksum, TestName = "Flipped_byte_in_a_middle_record_hash_is_a_corruption_error")]
    [TestCase(SegmentFormat.RecordHeaderSize + 7, BlockStoreDamage.BadRecordChecksum, TestName = "Flipped_byte_in_a_middle_record_payload_is_a_corruption_error")]
    [TestCase(SegmentFormat.RecordHeaderSize + 500 + 2, BlockStoreDamage.BadRecordChecksum, TestName = "Flipped_byte_in_a_middle_record_checksum_is_a_corruption_error")]
    public void Flipped_byte_in_a_middle_record_is_a_corruption_error(int offsetInRecord, BlockStoreDamage damage)
    {
        var record = _locations[2];
        var bytes = (byte[])_original.Clone();
        bytes[record.Offset + offsetInRecord] ^= 0x01;
        File.WriteAllBytes(SegmentPath, bytes);

        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Segment, error.Offset, error.Damage, error.SegmentPath), Is.EqualTo((0, record.Offset, damage, SegmentPath)));
        Assert.That(File.ReadAllBytes(SegmentPath), Is.EqualTo(bytes), "an error never modifies the file");
    }

    [Test]
    public void Garbage_between_valid_records_is_a_corruption_error()
    {
        var at = (int)_locations[3].Offset;
        var bytes = _original[..at].Concat(new byte[] { 1, 2, 3, 4, 5, 6, 7 }).Concat(_original[at..]).ToArray();
        File.WriteAllBytes(SegmentPath, bytes);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Offset, error.Damage), Is.EqualTo((_locations[3].Offset, BlockStoreDamage.BadHeaderChecksum)));
    }

    [TestCase(1)]
    [TestCase(100)]
    [TestCase(70_000)]
    public void Zero_filled_tail_after_the_last_record_is_truncated(int zeros)
    {
        File.WriteAllBytes(SegmentPath, [.. _original, .. new byte[zeros]]);
        using var store = FileBlockStore.Open(_directory.Path);
        var expected = zeros < SegmentFormat.RecordHeaderSize ? BlockStoreDamage.IncompleteRecord : BlockStoreDamage.BadHeaderChecksum;
        Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(5, 1, zeros, expected, 0, _original.Length)));
        TestBlocks.AssertContents(store, Blocks);
    }

    [Test]
    public void Removed_record_in_the_middle_is_a_sequence_error()
    {
        var bytes = _original[..(int)_locations[1].Offset].Concat(_original[(int)_locations[2].Offset..]).ToArray();
        File.WriteAllBytes(SegmentPath, bytes);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Offset, error.Damage), Is.EqualTo((_locations[1].Offset, BlockStoreDamage.SequenceMismatch)));
    }

    [Test]
    public void Same_hash_stored_twice_is_a_corruption_error()
    {
        var duplicate = new byte[SegmentFormat.RecordOverhead + 3];
        SegmentFormat.WriteRecord(duplicate, Blocks.Count, Blocks[1].Hash, [1, 2, 3]);
        File.WriteAllBytes(SegmentPath, [.. _original, .. duplicate]);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Offset, error.Damage), Is.EqualTo((_original.Length, BlockStoreDamage.DuplicateHash)));
    }

    [Test]
    public void Empty_only_segment_is_repaired_into_an_empty_store()
    {
        File.WriteAllBytes(SegmentPath, []);
        using (var store = FileBlockStore.Open(_directory.Path))
        {
            Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(0, 1, 0, BlockStoreDamage.IncompleteSegmentHeader, 0, 0)));
            Assert.That(store.Count, Is.Zero);
        }

        Assert.That(new FileInfo(SegmentPath).Length, Is.EqualTo(SegmentFormat.HeaderSize), "a fresh header is written");
    }

    [TestCase(0)]
    [TestCase(1)]
    [TestCase(15)]
    public void Empty_or_partial_header_in_the_last_segment_is_repaired(int length)
    {
        var header = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, 1);
        File.WriteAllBytes(_directory.Segment(1), header[..length]);

        using var store = FileBlockStore.Open(_directory.Path);
        Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(5, 2, length, BlockStoreDamage.IncompleteSegmentHeader, 1, 0)));
        TestBlocks.AssertContents(store, Blocks);
        store.Append(Hash256.Sha256([7]), [7]);
        Assert.That(new FileInfo(_directory.Segment(1)).Length, Is.EqualTo(SegmentFormat.HeaderSize + SegmentFormat.RecordOverhead + 1));
    }

    [Test]
    public void Header_only_last_segment_is_clean()
    {
        var header = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, 1);
        File.WriteAllBytes(_directory.Segment(1), header);
        using var store = FileBlockStore.Open(_directory.Path);
        Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(5, 2, 0, BlockStoreDamage.None, null, null)));
    }

    [Test]
    public void Empty_segment_before_the_last_is_a_corruption_error()
    {
        File.Move(SegmentPath, _directory.Segment(1));
        RewriteSegmentNumber(_directory.Segment(1), 1);
        File.WriteAllBytes(SegmentPath, []);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Segment, error.Damage), Is.EqualTo((0, BlockStoreDamage.IncompleteSegmentHeader)));
    }

    [Test]
    public void Torn_tail_in_a_segment_before_the_last_is_a_corruption_error()
    {
        File.WriteAllBytes(SegmentPath, _original[..(int)(LastStart + 10)]);
        var header = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, 1);
        File.WriteAllBytes(_directory.Segment(1), header);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Segment, error.Offset, error.Damage), Is.EqualTo((0, LastStart, BlockStoreDamage.IncompleteRecord)));
    }

    [TestCase(0, BlockStoreDamage.BadMagic, TestName = "Wrong_magic_is_a_corruption_error")]
    [TestCase(7, BlockStoreDamage.BadMagic, TestName = "Wrong_last_magic_byte_is_a_corruption_error")]
    [TestCase(8, BlockStoreDamage.UnsupportedVersion, TestName = "Unsupported_version_is_a_corruption_error")]
    [TestCase(12, BlockStoreDamage.SegmentNumberMismatch, TestName = "Wrong_segment_number_is_a_corruption_error")]
    public void Bad_segment_header_is_a_corruption_error(int byteToChange, BlockStoreDamage damage)
    {
        var bytes = (byte[])_original.Clone();
        bytes[byteToChange] ^= 0x02;
        File.WriteAllBytes(SegmentPath, bytes);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Segment, error.Offset, error.Damage), Is.EqualTo((0, 0L, damage)));
    }

    [Test]
    public void Missing_segment_in_the_sequence_is_a_corruption_error()
    {
        var header = new byte[SegmentFormat.HeaderSize];
        SegmentFormat.WriteHeader(header, 2);
        File.WriteAllBytes(_directory.Segment(2), header);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        Assert.That((error!.Segment, error.Damage, error.SegmentPath), Is.EqualTo((1, BlockStoreDamage.MissingSegment, _directory.Segment(1))));
    }

    [Test]
    public void Non_segment_files_in_the_directory_are_ignored()
    {
        File.WriteAllBytes(Path.Combine(_directory.Path, "blocks-1.dat"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(_directory.Path, "notes.txt"), [1, 2, 3]);
        using var store = FileBlockStore.Open(_directory.Path);
        TestBlocks.AssertContents(store, Blocks);
    }

    [TestCase(uint.MaxValue)]
    [TestCase(0x7FFF_FFFFu)]
    [TestCase((uint)FileBlockStoreOptions.DefaultMaxRecordSize + 1)]
    public void Oversized_length_with_a_valid_header_checksum_is_an_error_without_a_large_allocation(uint length)
    {
        var header = new byte[SegmentFormat.RecordHeaderSize];
        BinaryPrimitives.WriteUInt32LittleEndian(header, length);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(4), Blocks.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(44), Crc32C.Compute(header.AsSpan(0, 44)));
        File.WriteAllBytes(SegmentPath, [.. _original, .. header, .. new byte[1000]]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That((error!.Offset, error.Damage), Is.EqualTo((_original.Length, BlockStoreDamage.RecordTooLarge)));
        Assert.That(allocated, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Oversized_length_in_a_torn_last_header_is_truncated_without_a_large_allocation()
    {
        var garbage = new byte[SegmentFormat.RecordHeaderSize + 100];
        BinaryPrimitives.WriteUInt32LittleEndian(garbage, uint.MaxValue);
        File.WriteAllBytes(SegmentPath, [.. _original, .. garbage]);

        var before = GC.GetAllocatedBytesForCurrentThread();
        using var store = FileBlockStore.Open(_directory.Path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(store.OpenReport.Damage, Is.EqualTo(BlockStoreDamage.BadHeaderChecksum));
        Assert.That(store.Count, Is.EqualTo(5));
        Assert.That(allocated, Is.LessThan(1024 * 1024));
    }

    [Test]
    public void Records_larger_than_a_lowered_maximum_record_size_are_an_error_not_truncated()
    {
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path, new FileBlockStoreOptions { MaxRecordSize = 100 }));
        Assert.That((error!.Offset, error.Damage), Is.EqualTo((_locations[0].Offset, BlockStoreDamage.RecordTooLarge)));
        Assert.That(File.ReadAllBytes(SegmentPath), Is.EqualTo(_original));
    }

    private static void RewriteSegmentNumber(string path, int segment)
    {
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12), (uint)segment);
        File.WriteAllBytes(path, bytes);
    }
}

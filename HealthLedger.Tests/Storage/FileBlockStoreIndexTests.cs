using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>
/// The persisted block index: an index file per sealed segment and the <c>SEGMENTS</c> checkpoint, so that opening reads
/// the last segment only; lookups through Bloom filters and a bounded cache; pruning of whole sealed segments.
/// </summary>
[TestFixture]
public sealed class FileBlockStoreIndexTests
{
    // 1 KiB segments and 250-byte blocks: three blocks a segment.
    private static readonly FileBlockStoreOptions Small = new()
    {
        SegmentSizeLimit = FileBlockStoreOptions.MinSegmentSizeLimit,
        Fsync = FsyncPolicy.Batched,
        IndexCacheSegments = 2,
    };

    private TempDirectory _directory = null!;

    [SetUp]
    public void CreateDirectory() => _directory = TempDirectory.Create(inMemory: true);

    [TearDown]
    public void DeleteDirectory() => _directory.Dispose();

    [TestCase(4)]
    [TestCase(40)]
    public void Open_reads_only_the_last_segment_whatever_the_number_of_sealed_segments(int sealedSegments)
    {
        var blocks = Blocks(seed: 1, count: (sealedSegments * 3) + 2);
        TestBlocks.Write(_directory.Path, blocks, Small);

        using var store = FileBlockStore.Open(_directory.Path, Small);

        Assert.That(store.OpenReport.SegmentCount, Is.EqualTo(sealedSegments + 1));
        Assert.That(store.OpenCost.SegmentsScanned, Is.EqualTo(1));
        Assert.That(store.OpenCost.SegmentBytesScanned, Is.EqualTo(SegmentFormat.HeaderSize + (2 * (SegmentFormat.RecordOverhead + 250))));
        Assert.That(store.OpenCost.CheckpointBytesRead, Is.EqualTo(28 + (24 * sealedSegments)), "24 bytes a sealed segment, not a read of it");
        Assert.That(store.IndexFilesLoaded, Is.Zero);
        Assert.That(store.Count, Is.EqualTo(blocks.Count));
    }

    [Test]
    public void Blocks_of_sealed_segments_are_found_read_and_numbered_through_their_index_files()
    {
        var blocks = Blocks(seed: 2, count: 20);
        TestBlocks.Write(_directory.Path, blocks, Small);

        using var store = FileBlockStore.Open(_directory.Path, Small);

        for (var i = 0; i < blocks.Count; i++)
        {
            Assert.That(store.TryGet(blocks[i].Hash), Is.EqualTo(blocks[i].Payload), $"block {i}");
            Assert.That(store.GetSequence(blocks[i].Hash), Is.EqualTo(i));
        }

        Assert.That(store.ReadFrom(7).Select(b => b.Hash), Is.EqualTo(blocks.Skip(7).Select(b => b.Hash)));
        Assert.That(store.Contains(Hash256.Sha256("absent"u8)), Is.False);
        TestBlocks.AssertContents(store, blocks);
    }

    [Test]
    public void An_unknown_hash_costs_no_index_read_once_the_bloom_filters_are_loaded()
    {
        TestBlocks.Write(_directory.Path, Blocks(seed: 3, count: 30), Small);
        using var store = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(store.Contains(Hash256.Sha256("first"u8)), Is.False);
        var loaded = store.IndexFilesLoaded;
        Assert.That(store.BloomFilesLoaded, Is.EqualTo(9), "the first miss reads the filter file written when each segment was sealed");
        Assert.That(loaded, Is.LessThanOrEqualTo(2), "and no index file, except for a false positive");

        var misses = Enumerable.Range(0, 200).Count(i => store.Contains(Hash256.Sha256(BitConverter.GetBytes(i))));

        Assert.That(misses, Is.Zero);
        Assert.That(store.IndexFilesLoaded - loaded, Is.LessThanOrEqualTo(20), "about 1 % false positives per segment filter");
    }

    [Test]
    public void Missing_bloom_filter_files_are_rebuilt_from_the_index_files_once_and_written_back()
    {
        var blocks = Blocks(seed: 5, count: 30);
        TestBlocks.Write(_directory.Path, blocks, Small);
        foreach (var file in Directory.EnumerateFiles(_directory.Path, "*.bloom"))
        {
            File.Delete(file);
        }

        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            Assert.That(store.Contains(Hash256.Sha256("absent"u8)), Is.False);
            Assert.That(store.BloomFilesLoaded, Is.Zero);
            Assert.That(store.IndexFilesLoaded, Is.EqualTo(9), "built from every sealed index once");
            TestBlocks.AssertContents(store, blocks);
        }

        Assert.That(Directory.EnumerateFiles(_directory.Path, "*.bloom").Count(), Is.EqualTo(9), "and written back");
        using var reopened = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(reopened.Contains(Hash256.Sha256("absent"u8)), Is.False);
        Assert.That(reopened.BloomFilesLoaded, Is.EqualTo(9));
    }

    [TestCase("flip a bit")]
    [TestCase("truncate")]
    [TestCase("another segment's filter")]
    public void A_damaged_or_foreign_bloom_filter_file_is_not_trusted_and_every_block_is_still_found(string damage)
    {
        var blocks = Blocks(seed: 6, count: 30);
        TestBlocks.Write(_directory.Path, blocks, Small);
        var target = Path.Combine(_directory.Path, "blocks-000002.bloom");
        switch (damage)
        {
            case "flip a bit":
                var bytes = File.ReadAllBytes(target);
                bytes[30] ^= 0x10;
                File.WriteAllBytes(target, bytes);
                break;
            case "truncate":
                File.WriteAllBytes(target, File.ReadAllBytes(target)[..^5]);
                break;
            default:
                // An empty filter would answer "absent" for every block of segment 2: it must not be taken for it.
                File.Copy(Path.Combine(_directory.Path, "blocks-000003.bloom"), target, overwrite: true);
                break;
        }

        using var store = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(store.Contains(Hash256.Sha256("absent"u8)), Is.False);
        Assert.That(store.BloomFilesLoaded, Is.EqualTo(8), "the damaged file is refused; the others are used");
        for (var i = 0; i < blocks.Count; i++)
        {
            Assert.That(store.Contains(blocks[i].Hash), Is.True, $"block {i}");
            Assert.That(store.GetSequence(blocks[i].Hash), Is.EqualTo(i));
        }
    }

    [Test]
    public void A_torn_tail_is_repaired_with_the_sealed_segments_taken_from_their_index()
    {
        var blocks = Blocks(seed: 4, count: 14);
        TestBlocks.Write(_directory.Path, blocks, Small);
        var tail = _directory.Segment(4);
        var length = new FileInfo(tail).Length;
        using (var file = File.OpenWrite(tail))
        {
            file.SetLength(length - 10);
        }

        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            Assert.That(store.OpenReport.Damage, Is.EqualTo(BlockStoreDamage.IncompleteRecord));
            Assert.That(store.OpenReport.DamagedSegment, Is.EqualTo(4));
            Assert.That(store.OpenCost.SegmentsScanned, Is.EqualTo(1));
            TestBlocks.AssertContents(store, blocks[..13]);
            store.Append(blocks[13].Hash, blocks[13].Payload);
        }

        using var reopened = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(reopened.OpenReport.WasRepaired, Is.False);
        TestBlocks.AssertContents(reopened, blocks);
    }

    [Test]
    public void A_segment_sealed_before_a_crash_let_the_checkpoint_catch_up_is_scanned_indexed_and_checkpointed()
    {
        var blocks = Blocks(seed: 5, count: 14);
        TestBlocks.Write(_directory.Path, blocks[..8], Small);
        var checkpoint = File.ReadAllBytes(Path.Combine(_directory.Path, StoreCheckpoint.FileName));
        TestBlocks.Write(_directory.Path, blocks[8..], Small, fresh: false);

        // As if the process died after sealing segments 2 and 3 but before their checkpoints: the old checkpoint is back.
        File.WriteAllBytes(Path.Combine(_directory.Path, StoreCheckpoint.FileName), checkpoint);
        File.Delete(Path.Combine(_directory.Path, SegmentIndexFile.FileName(3)));

        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            Assert.That(store.OpenCost.SegmentsScanned, Is.EqualTo(3), "segments 2 and 3 (sealed, not checkpointed) and the tail");
            TestBlocks.AssertContents(store, blocks);
        }

        using var again = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(again.OpenCost.SegmentsScanned, Is.EqualTo(1));
        TestBlocks.AssertContents(again, blocks);
    }

    [Test]
    public void A_sealed_segment_whose_length_changed_is_refused_at_open()
    {
        TestBlocks.Write(_directory.Path, Blocks(seed: 6, count: 10), Small);
        using (var file = File.OpenWrite(_directory.Segment(1)))
        {
            file.SetLength(file.Length - 1);
        }

        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path, Small).Dispose())!;
        Assert.That((error.Segment, error.Damage), Is.EqualTo((1, BlockStoreDamage.BadIndex)));
    }

    [Test]
    public void A_replaced_or_damaged_index_file_is_refused_when_it_is_read()
    {
        var blocks = Blocks(seed: 7, count: 10);
        TestBlocks.Write(_directory.Path, blocks, Small);
        var index = Path.Combine(_directory.Path, SegmentIndexFile.FileName(0));
        var bytes = File.ReadAllBytes(index);
        bytes[SegmentIndexFile.HeaderSize + 40] ^= 1; // an offset
        File.WriteAllBytes(index, bytes);

        using var store = FileBlockStore.Open(_directory.Path, Small);
        var error = Assert.Throws<BlockStoreCorruptedException>(() => store.TryGet(blocks[0].Hash))!;
        Assert.That((error.Segment, error.Damage), Is.EqualTo((0, BlockStoreDamage.BadIndex)));
    }

    [Test]
    public void Damage_inside_a_sealed_segment_is_found_when_its_record_is_read()
    {
        var blocks = Blocks(seed: 8, count: 10);
        TestBlocks.Write(_directory.Path, blocks, Small);
        var bytes = File.ReadAllBytes(_directory.Segment(1));
        bytes[SegmentFormat.HeaderSize + SegmentFormat.RecordHeaderSize + 5] ^= 0x40;
        File.WriteAllBytes(_directory.Segment(1), bytes);

        using var store = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(store.TryGet(blocks[2].Hash), Is.EqualTo(blocks[2].Payload));
        var error = Assert.Throws<BlockStoreCorruptedException>(() => store.TryGet(blocks[3].Hash))!;
        Assert.That((error.Segment, error.Damage), Is.EqualTo((1, BlockStoreDamage.ChangedAfterOpen)));
    }

    [Test]
    public void Pruning_deletes_only_whole_sealed_segments_before_the_prune_point()
    {
        var blocks = Blocks(seed: 9, count: 20);
        TestBlocks.Write(_directory.Path, blocks, Small);
        using var store = FileBlockStore.Open(_directory.Path, Small);

        // Block 10 opens segment 3 (blocks 9, 10, 11): segments 0, 1, 2 (blocks 0-8) go.
        Assert.That(store.PruneBefore(10), Is.EqualTo(3));

        Assert.That(store.FirstRetainedSequence, Is.EqualTo(9));
        Assert.That(File.Exists(_directory.Segment(2)), Is.False);
        Assert.That(File.Exists(Path.Combine(_directory.Path, SegmentIndexFile.FileName(2))), Is.False);
        Assert.That(File.Exists(Path.Combine(_directory.Path, SegmentBloomFile.FileName(2))), Is.False, "its filter file goes with it");
        Assert.That(File.Exists(Path.Combine(_directory.Path, SegmentBloomFile.FileName(3))), Is.True);
        for (var i = 0; i < blocks.Count; i++)
        {
            Assert.That(store.TryGet(blocks[i].Hash), i < 9 ? Is.Null : Is.EqualTo(blocks[i].Payload), $"block {i}");
        }

        Assert.That(store.ReadFrom(9).Select(b => b.Sequence), Is.EqualTo(Enumerable.Range(9, 11).Select(i => (long)i)));
        Assert.Throws<BlockPrunedException>(() => store.ReadFrom(8).ToList());
        Assert.Throws<BlockPrunedException>(() => store.ReadAll().ToList());
    }

    [Test]
    public void Pruning_keeps_the_last_sealed_segment_and_the_last_segment()
    {
        var blocks = Blocks(seed: 10, count: 8);
        TestBlocks.Write(_directory.Path, blocks, Small);
        using var store = FileBlockStore.Open(_directory.Path, Small);

        Assert.That(store.PruneBefore(long.MaxValue), Is.EqualTo(1), "segment 0 of 0, 1 (sealed) and 2 (last)");

        Assert.That(store.FirstRetainedSequence, Is.EqualTo(3));
        Assert.That(store.ReadFrom(3).Select(b => b.Hash), Is.EqualTo(blocks.Skip(3).Select(b => b.Hash)));
        Assert.That(store.PruneBefore(long.MaxValue), Is.Zero);
    }

    [Test]
    public void A_pruned_store_reopens_appends_and_keeps_its_numbering()
    {
        var blocks = Blocks(seed: 11, count: 16);
        TestBlocks.Write(_directory.Path, blocks[..12], Small);
        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            store.PruneBefore(7);
        }

        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            Assert.That(store.FirstRetainedSequence, Is.EqualTo(6));
            Assert.That(store.Count, Is.EqualTo(12));
            foreach (var (hash, payload) in blocks[12..])
            {
                store.Append(hash, payload);
            }
        }

        using var reopened = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(reopened.ReadFrom(6).Select(b => (b.Sequence, b.Hash)), Is.EqualTo(blocks.Skip(6).Select((b, i) => ((long)(i + 6), b.Hash))));
        Assert.That(reopened.GetSequence(blocks[15].Hash), Is.EqualTo(15));
    }

    [Test]
    public void Segments_left_behind_by_an_interrupted_prune_are_deleted_at_open()
    {
        var blocks = Blocks(seed: 12, count: 14);
        TestBlocks.Write(_directory.Path, blocks, Small);
        var copies = Enumerable.Range(0, 2).Select(n => (n, File.ReadAllBytes(_directory.Segment(n)))).ToList();
        using (var store = FileBlockStore.Open(_directory.Path, Small))
        {
            store.PruneBefore(6);
        }

        // The checkpoint was written, the process died before the deletions.
        foreach (var (n, bytes) in copies)
        {
            File.WriteAllBytes(_directory.Segment(n), bytes);
        }

        using var reopened = FileBlockStore.Open(_directory.Path, Small);
        Assert.That(File.Exists(_directory.Segment(0)), Is.False);
        Assert.That(File.Exists(_directory.Segment(1)), Is.False);
        Assert.That(reopened.FirstRetainedSequence, Is.EqualTo(6));
        Assert.That(reopened.ReadFrom(6).Count(), Is.EqualTo(8));
    }

    [Test]
    public void A_missing_sealed_segment_above_the_prune_point_is_damage()
    {
        TestBlocks.Write(_directory.Path, Blocks(seed: 13, count: 14), Small);
        File.Delete(_directory.Segment(0));

        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_directory.Path, Small).Dispose())!;
        Assert.That(error.Damage, Is.EqualTo(BlockStoreDamage.MissingSegment));
    }

    private static List<(Hash256 Hash, byte[] Payload)> Blocks(int seed, int count) =>
        TestBlocks.Make(seed, [.. Enumerable.Repeat(250, count)]);
}

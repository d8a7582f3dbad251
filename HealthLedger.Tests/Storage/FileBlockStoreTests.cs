using FsProperty = FsCheck.NUnit.PropertyAttribute;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

public class FileBlockStoreTests : BlockStoreContractTests
{
    private readonly List<TempDirectory> _directories = [];

    [TearDown]
    public void DeleteDirectories()
    {
        foreach (var directory in _directories)
        {
            directory.Dispose();
        }

        _directories.Clear();
    }

    protected override IBlockStore CreateStore() => FileBlockStore.Open(NewDirectory());

    private string NewDirectory()
    {
        var directory = TempDirectory.Create(inMemory: true);
        _directories.Add(directory);
        return directory.Path;
    }

    [TestCase(FsyncPolicy.EveryAppend)]
    [TestCase(FsyncPolicy.Batched)]
    public void Reopen_returns_every_block_in_append_order(FsyncPolicy policy)
    {
        var directory = NewDirectory();
        var options = new FileBlockStoreOptions { Fsync = policy };
        var blocks = TestBlocks.Make(10, 100, 0, 3000, 1, 64 * 1024 + 3);
        TestBlocks.Write(directory, blocks, options);

        using var store = FileBlockStore.Open(directory, options);
        TestBlocks.AssertContents(store, blocks);
        Assert.That(store.OpenReport, Is.EqualTo(new BlockStoreOpenReport(blocks.Count, 1, 0, BlockStoreDamage.None, null, null)));
    }

    [Test]
    public void Reopened_store_keeps_appending_after_the_last_block()
    {
        var directory = NewDirectory();
        var blocks = TestBlocks.Make(11, 10, 20, 30, 40);
        TestBlocks.Write(directory, blocks.Take(2));
        using (var store = FileBlockStore.Open(directory))
        {
            store.Append(blocks[2].Hash, blocks[2].Payload);
            store.Append(blocks[3].Hash, blocks[3].Payload);
        }

        using var reopened = FileBlockStore.Open(directory);
        TestBlocks.AssertContents(reopened, blocks);
    }

    [Test]
    public void Segments_roll_over_at_the_size_limit_and_an_oversized_record_gets_its_own_segment()
    {
        var directory = NewDirectory();
        var options = new FileBlockStoreOptions { SegmentSizeLimit = 1024 };
        // 300-byte payloads are 352-byte records: two fit in a 1024-byte segment after its 16-byte header.
        var blocks = TestBlocks.Make(12, 300, 300, 300, 5000, 300);
        var locations = TestBlocks.Write(directory, blocks, options);

        Assert.That(locations.Select(l => l.Segment), Is.EqualTo(new[] { 0, 0, 1, 2, 3 }));
        foreach (var (segment, _) in locations)
        {
            Assert.That(File.Exists(Path.Combine(directory, SegmentFormat.FileName(segment))), Is.True);
        }

        Assert.That(new FileInfo(Path.Combine(directory, SegmentFormat.FileName(0))).Length, Is.EqualTo(16 + (2 * 352)));
        using var store = FileBlockStore.Open(directory, options);
        TestBlocks.AssertContents(store, blocks);
        Assert.That(store.OpenReport.SegmentCount, Is.EqualTo(4));
    }

    [Test]
    public void Append_larger_than_the_maximum_record_size_throws_and_stores_nothing()
    {
        using var store = FileBlockStore.Open(NewDirectory(), new FileBlockStoreOptions { MaxRecordSize = 100 });
        var payload = new byte[101];
        Assert.Throws<ArgumentException>(() => store.Append(Hash256.Sha256(payload), payload));
        store.Append(Hash256.Sha256(payload.AsSpan(0, 100)), payload.AsSpan(0, 100));
        Assert.That(store.Count, Is.EqualTo(1));
    }

    [Test]
    public void Second_open_of_the_same_directory_is_refused_until_the_first_is_disposed()
    {
        var directory = NewDirectory();
        var first = FileBlockStore.Open(directory);
        Assert.Throws<BlockStoreLockedException>(() => FileBlockStore.Open(directory));
        first.Dispose();
        using var second = FileBlockStore.Open(directory);
        Assert.That(second.Count, Is.Zero);
    }

    [Test]
    public void Disposed_store_rejects_every_operation()
    {
        var store = FileBlockStore.Open(NewDirectory());
        store.Dispose();
        var hash = Hash256.Sha256([1]);
        Assert.Multiple(() =>
        {
            Assert.Throws<ObjectDisposedException>(() => store.Append(hash, [1]));
            Assert.Throws<ObjectDisposedException>(() => store.TryGet(hash));
            Assert.Throws<ObjectDisposedException>(() => store.Contains(hash));
            Assert.Throws<ObjectDisposedException>(() => store.ReadAll());
            Assert.Throws<ObjectDisposedException>(() => store.Flush());
        });
    }

    [TestCase(0, 1024L)]
    [TestCase(FileBlockStoreOptions.MaxRecordSizeUpperBound + 1, 1024L)]
    [TestCase(100, 1023L)]
    public void Invalid_options_are_rejected(int maxRecordSize, long segmentSizeLimit)
    {
        var options = new FileBlockStoreOptions { MaxRecordSize = maxRecordSize, SegmentSizeLimit = segmentSizeLimit };
        Assert.Throws<ArgumentOutOfRangeException>(() => FileBlockStore.Open(NewDirectory(), options));
    }

    [Test]
    public void Reading_a_record_changed_on_disk_after_open_throws_corruption()
    {
        var directory = NewDirectory();
        var blocks = TestBlocks.Make(13, 50, 60);
        var locations = TestBlocks.Write(directory, blocks);
        using var store = FileBlockStore.Open(directory);
        using (var file = new FileStream(Path.Combine(directory, SegmentFormat.FileName(0)), FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            file.Position = locations[1].Offset + SegmentFormat.RecordHeaderSize + 10;
            file.WriteByte(0xAA);
        }

        Assert.That(store.TryGet(blocks[0].Hash), Is.EqualTo(blocks[0].Payload));
        var error = Assert.Throws<BlockStoreCorruptedException>(() => store.TryGet(blocks[1].Hash));
        Assert.That(error!.Damage, Is.EqualTo(BlockStoreDamage.ChangedAfterOpen));
        Assert.That(error.Offset, Is.EqualTo(locations[1].Offset));
    }

    [Test]
    public void Record_layout_matches_the_documented_byte_table()
    {
        var directory = NewDirectory();
        var payload = new byte[] { 0xDE, 0xAD, 0xBE, 0xEF, 0x01 };
        var hash = Hash256.Sha256(payload);
        TestBlocks.Write(directory, [(hash, payload)]);
        var bytes = File.ReadAllBytes(Path.Combine(directory, SegmentFormat.FileName(0)));

        Assert.That(bytes, Has.Length.EqualTo(16 + 52 + 5));
        Assert.That(bytes[..8], Is.EqualTo("HLBLKSEG"u8.ToArray()));
        Assert.That(BitConverter.ToUInt32(bytes, 8), Is.EqualTo(1u), "format version");
        Assert.That(BitConverter.ToUInt32(bytes, 12), Is.Zero, "segment number");
        Assert.That(BitConverter.ToUInt32(bytes, 16), Is.EqualTo(5u), "payload length");
        Assert.That(BitConverter.ToInt64(bytes, 20), Is.Zero, "sequence");
        Assert.That(bytes[28..60], Is.EqualTo(hash.ToArray()));
        Assert.That(BitConverter.ToUInt32(bytes, 60), Is.EqualTo(Crc32C.Compute(bytes.AsSpan(16, 44))), "header checksum");
        Assert.That(bytes[64..69], Is.EqualTo(payload));
        Assert.That(BitConverter.ToUInt32(bytes, 69), Is.EqualTo(Crc32C.Compute(bytes.AsSpan(16, 53))), "record checksum");
    }

    [FsProperty(MaxTest = 150)]
    public bool Reopen_after_any_cut_of_the_last_segment_keeps_exactly_the_records_that_end_before_it(byte[] sizes, ushort cutSeed)
    {
        sizes ??= [];
        var directory = NewDirectory();
        var options = new FileBlockStoreOptions { SegmentSizeLimit = 1024 };
        var blocks = TestBlocks.Make(sizes.Length, [.. sizes.Take(30).Select(b => 8 + (b * 3))]);
        var locations = TestBlocks.Write(directory, blocks, options);
        var last = locations.Count == 0 ? 0 : locations[^1].Segment;
        var path = Path.Combine(directory, SegmentFormat.FileName(last));
        var bytes = File.ReadAllBytes(path);
        var cut = cutSeed % (bytes.Length + 1);
        File.WriteAllBytes(path, bytes[..cut]);

        var kept = blocks.Where((b, i) => locations[i].Segment < last || locations[i].Offset + SegmentFormat.RecordOverhead + b.Payload.Length <= cut).ToList();
        var endOfKept = kept.Count == 0 || locations[kept.Count - 1].Segment < last
            ? SegmentFormat.HeaderSize
            : locations[kept.Count - 1].Offset + SegmentFormat.RecordOverhead + kept[^1].Payload.Length;
        using var store = FileBlockStore.Open(directory, options);
        var report = store.OpenReport;
        var all = store.ReadAll().ToList();
        var expectedTruncated = cut < SegmentFormat.HeaderSize ? cut : cut - endOfKept;
        return all.Select(b => b.Hash).SequenceEqual(kept.Select(b => b.Hash))
            && report.BytesTruncated == expectedTruncated
            && report.WasRepaired == (cut < SegmentFormat.HeaderSize || cut != endOfKept)
            && new FileInfo(path).Length == Math.Max(endOfKept, SegmentFormat.HeaderSize);
    }
}

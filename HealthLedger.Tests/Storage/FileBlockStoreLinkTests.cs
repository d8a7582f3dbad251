using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Storage;

/// <summary>
/// The file store never follows a symbolic link in its directory (issue 10 symptom 10; docs/storage.md, "Files"):
/// a link is refused with <see cref="BlockStoreDamage.SymbolicLink"/> and the file it points to is never changed.
/// </summary>
[TestFixture]
public sealed class FileBlockStoreLinkTests
{
    private TempDirectory _store = null!;
    private TempDirectory _outside = null!;

    [SetUp]
    public void SetUp()
    {
        _store = TempDirectory.Create(inMemory: true);
        _outside = TempDirectory.Create(inMemory: true);
    }

    [TearDown]
    public void TearDown()
    {
        _store.Dispose();
        _outside.Dispose();
    }

    private string Victim(byte[] content)
    {
        var path = Path.Combine(_outside.Path, "victim.bin");
        File.WriteAllBytes(path, content);
        return path;
    }

    private BlockStoreCorruptedException AssertRefusedAsLink(string linkPath)
    {
        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_store.Path).Dispose());
        Assert.That(error!.Damage, Is.EqualTo(BlockStoreDamage.SymbolicLink));
        Assert.That(error.SegmentPath, Is.EqualTo(linkPath));
        return error;
    }

    [TestCase(0, TestName = "an empty file (the store used to write a segment header into it)")]
    [TestCase(5, TestName = "a file shorter than a segment header")]
    [TestCase(4096, TestName = "a file of other data")]
    public void A_last_segment_that_links_outside_is_refused_and_its_target_is_untouched(int victimSize)
    {
        TestBlocks.Write(_store.Path, TestBlocks.Make(1, 100, 200));
        var content = new byte[victimSize];
        new Random(victimSize).NextBytes(content);
        var victim = Victim(content);
        File.CreateSymbolicLink(_store.Segment(1), victim);

        var error = AssertRefusedAsLink(_store.Segment(1));

        Assert.That(error.Segment, Is.EqualTo(1));
        Assert.That(File.ReadAllBytes(victim), Is.EqualTo(content));
    }

    [Test]
    public void A_linked_segment_holding_a_valid_copy_is_refused_rather_than_read_or_appended_to()
    {
        TestBlocks.Write(_store.Path, TestBlocks.Make(2, 100, 200));
        var copy = Victim(File.ReadAllBytes(_store.Segment(0)));
        File.Delete(_store.Segment(0));
        File.CreateSymbolicLink(_store.Segment(0), copy);
        var before = File.ReadAllBytes(copy);

        AssertRefusedAsLink(_store.Segment(0));
        Assert.That(File.ReadAllBytes(copy), Is.EqualTo(before));
    }

    [Test]
    public void A_linked_segment_before_the_last_is_refused()
    {
        var options = new FileBlockStoreOptions { SegmentSizeLimit = FileBlockStoreOptions.MinSegmentSizeLimit };
        TestBlocks.Write(_store.Path, TestBlocks.Make(3, 900, 900, 900), options);
        var copy = Victim(File.ReadAllBytes(_store.Segment(0)));
        File.Delete(_store.Segment(0));
        File.CreateSymbolicLink(_store.Segment(0), copy);

        Assert.That(
            Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(_store.Path, options).Dispose())!.Damage,
            Is.EqualTo(BlockStoreDamage.SymbolicLink));
    }

    [Test]
    public void A_dangling_segment_link_is_refused_and_nothing_is_created_at_its_target()
    {
        TestBlocks.Write(_store.Path, TestBlocks.Make(4, 100));
        var target = Path.Combine(_outside.Path, "created-by-the-store.dat");
        File.CreateSymbolicLink(_store.Segment(1), target);

        AssertRefusedAsLink(_store.Segment(1));
        Assert.That(File.Exists(target), Is.False);
    }

    [TestCase(true, TestName = "LOCK links to an existing file")]
    [TestCase(false, TestName = "LOCK is a dangling link")]
    public void A_linked_lock_file_is_refused_and_its_target_is_neither_created_nor_changed(bool targetExists)
    {
        var target = Path.Combine(_outside.Path, "lock-target");
        if (targetExists)
        {
            File.WriteAllBytes(target, [1, 2, 3]);
        }

        File.CreateSymbolicLink(Path.Combine(_store.Path, "LOCK"), target);

        AssertRefusedAsLink(Path.Combine(_store.Path, "LOCK"));
        Assert.That(File.Exists(target), Is.EqualTo(targetExists));
        Assert.That(Directory.GetFiles(_store.Path), Is.EqualTo(new[] { Path.Combine(_store.Path, "LOCK") }), "no segment was created");
        if (targetExists)
        {
            Assert.That(File.ReadAllBytes(target), Is.EqualTo(new byte[] { 1, 2, 3 }));
        }
    }

    [Test]
    public void A_linked_manifest_is_refused()
    {
        var manifest = Victim(new byte[52]);
        File.CreateSymbolicLink(Path.Combine(_store.Path, "MANIFEST"), manifest);

        AssertRefusedAsLink(Path.Combine(_store.Path, "MANIFEST"));
    }

    [TestCase("", TestName = "a store directory that is a link is refused")]
    [TestCase("/", TestName = "a store directory that is a link is refused when named with a trailing slash")]
    public void A_store_directory_that_is_a_link_is_refused(string suffix)
    {
        var link = Path.Combine(_outside.Path, "store-link");
        Directory.CreateSymbolicLink(link, _store.Path);

        var error = Assert.Throws<BlockStoreCorruptedException>(() => FileBlockStore.Open(link + suffix).Dispose());

        Assert.That((error!.Damage, error.SegmentPath), Is.EqualTo((BlockStoreDamage.SymbolicLink, link)));
        Assert.That(Directory.GetFileSystemEntries(_store.Path), Is.Empty, "nothing was written through the link");
    }

    [Test]
    public void A_store_without_links_still_opens_and_reopens()
    {
        var blocks = TestBlocks.Make(5, 10, 20);
        TestBlocks.Write(_store.Path, blocks);
        using var store = FileBlockStore.Open(_store.Path);
        TestBlocks.AssertContents(store, blocks);
    }
}

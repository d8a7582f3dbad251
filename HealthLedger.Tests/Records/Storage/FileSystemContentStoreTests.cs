using HealthLedger.Records;
using HealthLedger.Records.Content;
using HealthLedger.Records.Storage;

namespace HealthLedger.Tests.Records.Storage;

public sealed class FileSystemContentStoreTests
{
    private string _dir = null!;
    private FileSystemContentStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = RecordsTestSupport.TempDirectory();
        _store = new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = Path.Combine(_dir, "store"), MaxContentBytes = 2_000_000 });
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [TestCase(0)]
    [TestCase(1024)]
    [TestCase(1_048_577)]
    public async Task Put_then_get_returns_the_bytes_under_the_ipfs_cid(int size)
    {
        var payload = RecordsTestSupport.Payload(size);

        var put = await _store.PutAsync(payload, CancellationToken.None);
        var got = await _store.GetAsync(put.Value, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(put.Value, Is.EqualTo(UnixFsDag.ComputeCid(payload)));
            Assert.That(got.Value, Is.EqualTo(payload));
        });
    }

    [Test]
    public async Task Content_is_retained_only_once_pinned_and_gone_after_remove()
    {
        var cid = (await _store.PutAsync(RecordsTestSupport.Payload(100), CancellationToken.None)).Value;
        var beforePin = (await _store.HasAsync(cid, CancellationToken.None)).Value;
        await _store.PinAsync(cid, CancellationToken.None);
        var afterPin = (await _store.HasAsync(cid, CancellationToken.None)).Value;
        await _store.RemoveAsync(cid, CancellationToken.None);
        var afterRemove = await _store.GetAsync(cid, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(beforePin, Is.False);
            Assert.That(afterPin, Is.True);
            Assert.That(afterRemove.Error?.Code, Is.EqualTo(RecordErrorCode.NotFound));
            Assert.That(_store.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task Bytes_changed_on_disk_are_refused_with_cid_mismatch()
    {
        var cid = (await _store.PutAsync(RecordsTestSupport.Payload(4096), CancellationToken.None)).Value;
        var path = _store.Locate(cid, createShard: false).Value;
        var bytes = File.ReadAllBytes(path);
        bytes[1000] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var got = await _store.GetAsync(cid, CancellationToken.None);

        Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.CidMismatch));
    }

    [Test]
    public async Task Put_of_good_bytes_repairs_a_damaged_copy()
    {
        var payload = RecordsTestSupport.Payload(4096);
        var cid = (await _store.PutAsync(payload, CancellationToken.None)).Value;
        File.WriteAllBytes(_store.Locate(cid, createShard: false).Value, [1, 2, 3]);

        await _store.PutAsync(payload, CancellationToken.None);

        Assert.That((await _store.GetAsync(cid, CancellationToken.None)).Value, Is.EqualTo(payload));
    }

    [Test]
    public async Task A_shard_directory_that_is_a_symlink_out_of_the_store_is_refused_as_path_escape()
    {
        var payload = RecordsTestSupport.Payload(512);
        var cid = UnixFsDag.ComputeCid(payload);
        var outside = Path.Combine(_dir, "outside");
        Directory.CreateDirectory(outside);
        var text = cid.ToString();
        File.WriteAllBytes(Path.Combine(outside, text), payload);
        Directory.CreateSymbolicLink(Path.Combine(_dir, "store", text[^2..]), outside);

        var put = await _store.PutAsync(payload, CancellationToken.None);
        var get = await _store.GetAsync(cid, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(put.Error?.Code, Is.EqualTo(RecordErrorCode.PathEscape));
            Assert.That(get.Error?.Code, Is.EqualTo(RecordErrorCode.PathEscape));
            Assert.That(Directory.GetFiles(outside), Has.Length.EqualTo(1), "nothing written outside the store");
        });
    }

    [Test]
    public async Task A_temporary_directory_replaced_by_a_symlink_is_refused_as_path_escape()
    {
        var outside = Path.Combine(_dir, "outside-tmp");
        Directory.CreateDirectory(outside);
        var tmp = Path.Combine(_dir, "store", ".tmp");
        Directory.Delete(tmp);
        Directory.CreateSymbolicLink(tmp, outside);

        var put = await _store.PutAsync(RecordsTestSupport.Payload(64), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(put.Error?.Code, Is.EqualTo(RecordErrorCode.PathEscape));
            Assert.That(Directory.GetFiles(outside), Is.Empty);
        });
    }

    [Test]
    public async Task A_content_file_that_is_a_symlink_is_not_followed()
    {
        var payload = RecordsTestSupport.Payload(512);
        var cid = (await _store.PutAsync(payload, CancellationToken.None)).Value;
        var path = _store.Locate(cid, createShard: false).Value;
        var outside = Path.Combine(_dir, "secret");
        File.WriteAllBytes(outside, payload);
        File.Delete(path);
        File.CreateSymbolicLink(path, outside);

        var get = await _store.GetAsync(cid, CancellationToken.None);

        Assert.That(get.Error?.Code, Is.EqualTo(RecordErrorCode.PathEscape));
    }

    [Test]
    public async Task Content_over_the_limit_is_refused_before_it_is_written()
    {
        var put = await _store.PutAsync(new byte[2_000_001], CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(put.Error?.Code, Is.EqualTo(RecordErrorCode.TooLarge));
            Assert.That(put.Error?.Actual, Is.EqualTo(2_000_001));
            Assert.That(_store.Enumerate(), Is.Empty);
        });
    }

    [Test]
    public async Task Stored_file_grown_past_the_limit_is_refused_without_reading_it()
    {
        var cid = (await _store.PutAsync(RecordsTestSupport.Payload(10), CancellationToken.None)).Value;
        File.WriteAllBytes(_store.Locate(cid, createShard: false).Value, new byte[2_000_001]);

        var got = await _store.GetAsync(cid, CancellationToken.None);

        Assert.That(got.Error?.Code, Is.EqualTo(RecordErrorCode.TooLarge));
    }

    [Test]
    public async Task No_temporary_file_is_left_after_writes()
    {
        await _store.PutAsync(RecordsTestSupport.Payload(300_000), CancellationToken.None);

        Assert.That(Directory.GetFiles(Path.Combine(_dir, "store", ".tmp")), Is.Empty);
    }
}

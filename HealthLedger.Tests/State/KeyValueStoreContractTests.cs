using HealthLedger.Core.State;
using HealthLedger.Storage.RocksDb;

namespace HealthLedger.Tests.State;

/// <summary>The behaviour every <see cref="IKeyValueStore"/> shares.</summary>
public abstract class KeyValueStoreContractTests
{
    private IKeyValueStore _store = null!;

    protected abstract IKeyValueStore CreateStore();

    protected IKeyValueStore Store => _store;

    [SetUp]
    public void CreateTheStore() => _store = CreateStore();

    [TearDown]
    public void DisposeTheStore() => _store.Dispose();

    [Test]
    public void A_written_value_is_read_back_and_a_missing_key_reads_null()
    {
        _store.Write(new KeyValueBatch().Put([1, 2], [9]));
        Assert.Multiple(() =>
        {
            Assert.That(_store.Get([1, 2]), Is.EqualTo(new byte[] { 9 }));
            Assert.That(_store.Get([1]), Is.Null);
            Assert.That(_store.Get([1, 2, 0]), Is.Null);
        });
    }

    [Test]
    public void Later_operations_in_a_batch_win_and_deletes_remove()
    {
        _store.Write(new KeyValueBatch().Put([1], [1]).Put([2], [2]));
        _store.Write(new KeyValueBatch().Put([1], [3]).Delete([1]).Put([2], [4]).Put([3], []));
        Assert.Multiple(() =>
        {
            Assert.That(_store.Get([1]), Is.Null);
            Assert.That(_store.Get([2]), Is.EqualTo(new byte[] { 4 }));
            Assert.That(_store.Get([3]), Is.Empty, "an empty value is a value, not an absence");
        });
    }

    [Test]
    public void Scan_returns_the_half_open_range_in_unsigned_byte_order()
    {
        byte[][] keys = [[0x00], [0x01], [0x01, 0x00], [0x01, 0xFF], [0x02], [0x7F], [0x80], [0xFF], [0xFF, 0xFF]];
        var batch = new KeyValueBatch();
        foreach (var key in keys.Reverse())
        {
            batch.Put(key, [key[0]]);
        }

        _store.Write(batch);
        Assert.Multiple(() =>
        {
            Assert.That(_store.Scan([0x00], [0xFF, 0xFF, 0xFF]).Select(e => e.Key), Is.EqualTo(keys));
            Assert.That(_store.Scan([0x01], [0x02]).Select(e => e.Key), Is.EqualTo(new[] { new byte[] { 1 }, [1, 0], [1, 0xFF] }));
            Assert.That(_store.Scan([0x01, 0x01], [0x80]).Select(e => e.Key), Is.EqualTo(new[] { new byte[] { 1, 0xFF }, [2], [0x7F] }), "negative bytes sort after positive ones");
            Assert.That(_store.Scan([0x03], [0x03]), Is.Empty);
            Assert.That(_store.Scan([0x03], [0x01]), Is.Empty);
        });
    }

    [Test]
    public void Single_puts_and_deletes_and_prefix_scans_work_on_any_store()
    {
        _store.Put([5, 1], [1]);
        _store.Put([5, 0xFF], [2]);
        _store.Put([6], [3]);
        _store.Put([4, 0xFF, 0xFF], [4]);
        _store.Delete([5, 1]);
        _store.Delete([9]);
        Assert.Multiple(() =>
        {
            Assert.That(_store.ScanPrefix([5]).Select(e => e.Value[0]), Is.EqualTo(new byte[] { 2 }));
            Assert.That(_store.ScanPrefix([4, 0xFF]).Select(e => e.Value[0]), Is.EqualTo(new byte[] { 4 }), "a prefix ending in 0xFF carries");
            Assert.Throws<ArgumentOutOfRangeException>(() => _store.ScanPrefix([]));
        });
    }

    [Test]
    public void A_snapshot_does_not_see_later_writes()
    {
        _store.Write(new KeyValueBatch().Put([1], [1]).Put([2], [2]));
        using var snapshot = _store.CreateSnapshot();
        _store.Write(new KeyValueBatch().Put([1], [9]).Delete([2]).Put([3], [3]));
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Get([1]), Is.EqualTo(new byte[] { 1 }));
            Assert.That(snapshot.Get([2]), Is.EqualTo(new byte[] { 2 }));
            Assert.That(snapshot.Get([3]), Is.Null);
            Assert.That(snapshot.Scan([0], [9]).Select(e => e.Key[0]), Is.EqualTo(new byte[] { 1, 2 }));
            Assert.That(_store.Scan([0], [9]).Select(e => e.Key[0]), Is.EqualTo(new byte[] { 1, 3 }));
        });
    }

    [Test]
    public void A_scan_stopped_early_releases_its_cursor_and_the_store_goes_on()
    {
        var batch = new KeyValueBatch();
        for (var i = 0; i < 100; i++)
        {
            batch.Put([(byte)i], [(byte)i]);
        }

        _store.Write(batch);
        for (var round = 0; round < 50; round++)
        {
            Assert.That(_store.Scan([10], [90]).Take(3).Select(e => e.Value[0]), Is.EqualTo(new byte[] { 10, 11, 12 }));
        }

        _store.Write(new KeyValueBatch().Delete([10]));
        Assert.That(_store.Scan([10], [90]).First().Key, Is.EqualTo(new byte[] { 11 }));
    }

    [Test]
    public void A_disposed_store_refuses_use()
    {
        _store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _store.Get([1]));
    }
}

[TestFixture]
public sealed class InMemoryKeyValueStoreTests : KeyValueStoreContractTests
{
    protected override IKeyValueStore CreateStore() => new InMemoryKeyValueStore();
}

[TestFixture]
public sealed class RocksDbKeyValueStoreTests : KeyValueStoreContractTests
{
    private readonly List<string> _directories = [];

    protected override IKeyValueStore CreateStore()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-kv-" + Guid.NewGuid().ToString("N"));
        _directories.Add(dir);
        return RocksDbKeyValueStore.Open(dir, new RocksDbStoreOptions { BlockCacheBytes = 1 << 20, SyncWrites = false });
    }

    [OneTimeTearDown]
    public void RemoveDirectories()
    {
        foreach (var dir in _directories.Where(Directory.Exists))
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void Batches_survive_closing_and_reopening_the_directory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-kv-" + Guid.NewGuid().ToString("N"));
        _directories.Add(dir);
        using (var store = RocksDbKeyValueStore.Open(dir))
        {
            store.Write(new KeyValueBatch().Put([1], [1]).Put([2], [2]));
            store.Write(new KeyValueBatch().Delete([1]));
        }

        using var reopened = RocksDbKeyValueStore.Open(dir);
        Assert.That(reopened.Scan([0], [9]).Select(e => (e.Key[0], e.Value[0])), Is.EqualTo(new[] { ((byte)2, (byte)2) }));
    }

    [Test]
    public void A_second_store_on_the_same_directory_is_refused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-kv-" + Guid.NewGuid().ToString("N"));
        _directories.Add(dir);
        using var first = RocksDbKeyValueStore.Open(dir);
        Assert.Throws<RocksDbSharp.RocksDbException>(() => RocksDbKeyValueStore.Open(dir).Dispose());
    }
}

using HealthLedger.Core.Crypto;
using HealthLedger.Detection.Runtime;
using FsProperty = FsCheck.NUnit.PropertyAttribute;

namespace HealthLedger.Tests.Detection.Runtime;

public sealed class DeviceWindowStoreTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly Address[] Devices = Enumerable.Range(0, 1000).Select(i => KeyPair.FromLabel($"device-{i}").Address).ToArray();

    private static Address Device(int i) => Devices[i];

    private static float[] Append(DeviceWindowStore store, Address device, float value)
    {
        var window = new float[3 * 2];
        store.AppendAndCopyWindow(device, [value, -value], window);
        return window;
    }

    [Test]
    public void Append_reports_the_history_held_capped_at_the_window_and_reset_after_idle_eviction()
    {
        var clock = new ManualClock(Start);
        var store = new DeviceWindowStore(3, 2, DeviceWindowOptions.Default with { IdleTimeout = TimeSpan.FromMinutes(1) }, clock);
        var window = new float[6];

        var counts = Enumerable.Range(1, 5).Select(i => store.AppendAndCopyWindow(Device(1), [i, i], window)).ToArray();
        var other = store.AppendAndCopyWindow(Device(2), [9, 9], window);
        clock.Advance(TimeSpan.FromMinutes(2));
        var afterIdle = store.AppendAndCopyWindow(Device(1), [6, 6], window);

        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.EqualTo(new[] { 1, 2, 3, 3, 3 }));
            Assert.That(other, Is.EqualTo(1));
            Assert.That(afterIdle, Is.EqualTo(1), "an evicted device starts a new history");
        });
    }

    [Test]
    public void First_record_is_repeated_to_fill_the_window()
    {
        var store = new DeviceWindowStore(3, 2, DeviceWindowOptions.Default, new ManualClock(Start));

        Assert.That(Append(store, Device(1), 1), Is.EqualTo(new[] { 1f, -1f, 1f, -1f, 1f, -1f }));
        Assert.That(Append(store, Device(1), 2), Is.EqualTo(new[] { 1f, -1f, 1f, -1f, 2f, -2f }));
    }

    [Test]
    public void Window_holds_the_last_T_records_oldest_first()
    {
        var store = new DeviceWindowStore(3, 2, DeviceWindowOptions.Default, new ManualClock(Start));
        float[] window = [];
        for (var v = 1; v <= 5; v++)
        {
            window = Append(store, Device(1), v);
        }

        Assert.That(window, Is.EqualTo(new[] { 3f, -3f, 4f, -4f, 5f, -5f }));
        Assert.That(store.RecordsOf(Device(1)), Is.EqualTo(3));
    }

    [Test]
    public void Devices_have_separate_windows()
    {
        var store = new DeviceWindowStore(3, 2, DeviceWindowOptions.Default, new ManualClock(Start));
        Append(store, Device(1), 1);

        Assert.That(Append(store, Device(2), 7), Is.EqualTo(new[] { 7f, -7f, 7f, -7f, 7f, -7f }));
    }

    [Test]
    public void Least_recently_seen_device_is_evicted_beyond_max_devices()
    {
        var store = new DeviceWindowStore(3, 2, new DeviceWindowOptions { MaxDevices = 2 }, new ManualClock(Start));
        Append(store, Device(1), 1);
        Append(store, Device(2), 2);
        Append(store, Device(1), 1);

        Append(store, Device(3), 3);

        Assert.Multiple(() =>
        {
            Assert.That(store.Count, Is.EqualTo(2));
            Assert.That(store.RecordsOf(Device(1)), Is.EqualTo(2));
            Assert.That(store.RecordsOf(Device(2)), Is.Zero);
            Assert.That(store.RecordsOf(Device(3)), Is.EqualTo(1));
        });
    }

    [Test]
    public void Memory_stays_bounded_under_many_devices()
    {
        var store = new DeviceWindowStore(3, 2, new DeviceWindowOptions { MaxDevices = 50 }, new ManualClock(Start));
        for (var i = 0; i < 1000; i++)
        {
            Append(store, Device(i), i);
            Assert.That(store.Count, Is.LessThanOrEqualTo(50));
        }

        Assert.That(store.Count, Is.EqualTo(50));
    }

    [Test]
    public void Idle_device_loses_its_window_after_the_timeout()
    {
        var clock = new ManualClock(Start);
        var store = new DeviceWindowStore(3, 2, new DeviceWindowOptions { IdleTimeout = TimeSpan.FromMinutes(5) }, clock);
        Append(store, Device(1), 1);
        Append(store, Device(2), 2);
        clock.Advance(TimeSpan.FromMinutes(4));
        Append(store, Device(2), 2);
        clock.Advance(TimeSpan.FromMinutes(2));

        var window = Append(store, Device(1), 9);

        Assert.Multiple(() =>
        {
            Assert.That(window, Is.EqualTo(new[] { 9f, -9f, 9f, -9f, 9f, -9f }), "device 1 starts a new window");
            Assert.That(store.RecordsOf(Device(2)), Is.EqualTo(2), "device 2 was seen 2 minutes ago");
        });
    }

    [Test]
    public void Concurrent_appends_to_many_devices_keep_every_window_consistent()
    {
        var store = new DeviceWindowStore(3, 2, DeviceWindowOptions.Default, new ManualClock(Start));
        Parallel.For(0, 64, d =>
        {
            for (var v = 1; v <= 20; v++)
            {
                Append(store, Device(d), (d * 100) + v);
            }
        });

        for (var d = 0; d < 64; d++)
        {
            var next = Append(store, Device(d), (d * 100) + 21);
            Assert.That(next, Is.EqualTo(new float[] { (d * 100) + 19, -((d * 100) + 19), (d * 100) + 20, -((d * 100) + 20), (d * 100) + 21, -((d * 100) + 21) }));
        }
    }

    [FsProperty(MaxTest = 200)]
    public bool Window_equals_the_contract_window_of_the_device_history(byte[] deviceOfRecord, byte window)
    {
        // Reference: the device's last T records, left-padded by repeating the earliest (as the training code builds them).
        deviceOfRecord ??= [];
        var t = (window % 5) + 1;
        var store = new DeviceWindowStore(t, 1, DeviceWindowOptions.Default, new ManualClock(Start));
        var history = new Dictionary<int, List<float>>();
        for (var i = 0; i < deviceOfRecord.Length; i++)
        {
            var device = deviceOfRecord[i] % 4;
            var list = history.TryGetValue(device, out var l) ? l : history[device] = [];
            list.Add(i);
            var actual = new float[t];
            store.AppendAndCopyWindow(Device(device), [i], actual);
            var expected = list.TakeLast(t).ToList();
            while (expected.Count < t)
            {
                expected.Insert(0, expected[0]);
            }

            if (!actual.SequenceEqual(expected))
            {
                return false;
            }
        }

        return true;
    }
}

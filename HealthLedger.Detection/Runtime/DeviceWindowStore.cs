using HealthLedger.Core.Crypto;

namespace HealthLedger.Detection.Runtime;

/// <summary>
/// The last T feature vectors of each device, with bounded memory: at most <see cref="DeviceWindowOptions.MaxDevices"/>
/// devices (least recently seen evicted first) and devices idle longer than <see cref="DeviceWindowOptions.IdleTimeout"/>
/// dropped (by the injected clock). Thread-safe.
/// </summary>
internal sealed class DeviceWindowStore
{
    private readonly int _window;
    private readonly int _features;
    private readonly DeviceWindowOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<Address, LinkedListNode<DeviceWindow>> _byDevice = [];
    private readonly LinkedList<DeviceWindow> _lru = new(); // First = most recently seen.
    private readonly Lock _lock = new();

    public DeviceWindowStore(int window, int features, DeviceWindowOptions options, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxDevices, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.IdleTimeout, TimeSpan.Zero, nameof(options));
        _window = window;
        _features = features;
        _options = options;
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>Devices currently holding a window.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _byDevice.Count;
            }
        }
    }

    /// <summary>Records held for a device (0 when it has no window), at most T.</summary>
    public int RecordsOf(Address device)
    {
        lock (_lock)
        {
            return _byDevice.TryGetValue(device, out var node) ? node.Value.Count : 0;
        }
    }

    /// <summary>
    /// Appends <paramref name="features"/> as the device's newest record and writes its window (T × F, oldest first,
    /// left-padded by repeating the earliest record) to <paramref name="window"/>.
    /// </summary>
    /// <returns>The records of the device's history in the window, the new one included (1..T; 1 for a new device).</returns>
    public int AppendAndCopyWindow(Address device, ReadOnlySpan<float> features, Span<float> window)
    {
        if (features.Length != _features || window.Length != _window * _features)
        {
            throw new ArgumentException("Feature vector or window buffer has the wrong length.");
        }

        var now = _time.GetUtcNow();
        lock (_lock)
        {
            EvictIdle(now);
            if (_byDevice.TryGetValue(device, out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
            }
            else
            {
                if (_byDevice.Count >= _options.MaxDevices)
                {
                    Remove(_lru.Last!);
                }

                node = _lru.AddFirst(new DeviceWindow(device, _window, _features));
                _byDevice.Add(device, node);
            }

            node.Value.LastSeen = now;
            node.Value.Append(features);
            node.Value.CopyTo(window);
            return node.Value.Count;
        }
    }

    private void EvictIdle(DateTimeOffset now)
    {
        while (_lru.Last is { } oldest && now - oldest.Value.LastSeen > _options.IdleTimeout)
        {
            Remove(oldest);
        }
    }

    private void Remove(LinkedListNode<DeviceWindow> node)
    {
        _lru.Remove(node);
        _byDevice.Remove(node.Value.Device);
    }

    private sealed class DeviceWindow(Address device, int window, int features)
    {
        private readonly float[] _ring = new float[window * features];
        private int _next;

        public Address Device { get; } = device;

        public DateTimeOffset LastSeen { get; set; }

        public int Count { get; private set; }

        public void Append(ReadOnlySpan<float> record)
        {
            record.CopyTo(_ring.AsSpan(_next * features, features));
            _next = (_next + 1) % window;
            Count = Math.Min(Count + 1, window);
        }

        public void CopyTo(Span<float> destination)
        {
            // Oldest held record is at (_next - Count) mod window; pad positions repeat it.
            var oldest = ((_next - Count) % window + window) % window;
            var pad = window - Count;
            for (var t = 0; t < window; t++)
            {
                var slot = t < pad ? oldest : (oldest + t - pad) % window;
                _ring.AsSpan(slot * features, features).CopyTo(destination.Slice(t * features, features));
            }
        }
    }
}

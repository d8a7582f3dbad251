using System.Collections.Immutable;

namespace HealthLedger.Core.State;

/// <summary>
/// A sorted in-memory <see cref="IKeyValueStore"/> for tests and throw-away nodes: an immutable sorted map swapped
/// atomically on each batch, so a snapshot is the map of the moment and costs nothing. Not durable.
/// </summary>
public sealed class InMemoryKeyValueStore : IKeyValueStore
{
    private readonly object _writeGate = new();
    private ImmutableSortedDictionary<byte[], byte[]> _map = ImmutableSortedDictionary.Create<byte[], byte[]>(ByteOrder.Instance);
    private bool _disposed;

    /// <summary>Number of keys stored.</summary>
    public int Count => Volatile.Read(ref _map).Count;

    /// <inheritdoc />
    public byte[]? Get(ReadOnlySpan<byte> key) => Current().GetValueOrDefault(key.ToArray());

    /// <inheritdoc />
    public IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive) => ScanMap(Current(), startInclusive, endExclusive);

    /// <inheritdoc />
    public void Write(KeyValueBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        lock (_writeGate)
        {
            var builder = Current().ToBuilder();
            foreach (var (key, value) in batch.Operations)
            {
                if (value is null)
                {
                    builder.Remove(key);
                }
                else
                {
                    builder[key] = value;
                }
            }

            Volatile.Write(ref _map, builder.ToImmutable());
        }
    }

    /// <inheritdoc />
    public IKeyValueSnapshot CreateSnapshot() => new Snapshot(Current());

    /// <inheritdoc />
    public void Dispose() => _disposed = true;

    private ImmutableSortedDictionary<byte[], byte[]> Current()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Volatile.Read(ref _map);
    }

    // ImmutableSortedDictionary has no seek: walk in order and skip keys below the start. Fine for tests; the
    // on-disk store seeks in O(log n).
    private static IEnumerable<KeyValueEntry> ScanMap(ImmutableSortedDictionary<byte[], byte[]> map, byte[] start, byte[] end)
    {
        ArgumentNullException.ThrowIfNull(start);
        ArgumentNullException.ThrowIfNull(end);
        foreach (var (key, value) in map)
        {
            if (ByteOrder.Instance.Compare(key, start) < 0)
            {
                continue;
            }

            if (ByteOrder.Instance.Compare(key, end) >= 0)
            {
                yield break;
            }

            yield return new KeyValueEntry(key, value);
        }
    }

    private sealed class Snapshot(ImmutableSortedDictionary<byte[], byte[]> map) : IKeyValueSnapshot
    {
        public byte[]? Get(ReadOnlySpan<byte> key) => map.GetValueOrDefault(key.ToArray());

        public IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive) => ScanMap(map, startInclusive, endExclusive);

        public void Dispose()
        {
        }
    }
}

/// <summary>Unsigned lexicographic byte order, the order of every <see cref="IKeyValueStore"/>.</summary>
internal sealed class ByteOrder : IComparer<byte[]>
{
    public static readonly ByteOrder Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
}

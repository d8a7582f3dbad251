namespace HealthLedger.Core.State;

/// <summary>One key and its value, as read from an <see cref="IKeyValueReader"/>.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value.</param>
public readonly record struct KeyValueEntry(byte[] Key, byte[] Value);

/// <summary>Reads from an ordered key-value store: point lookups and ascending range scans (keys compared as unsigned bytes).</summary>
public interface IKeyValueReader
{
    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    byte[]? Get(ReadOnlySpan<byte> key);

    /// <summary>
    /// The entries with <paramref name="startInclusive"/> ≤ key &lt; <paramref name="endExclusive"/>, in ascending
    /// unsigned-byte order of the keys. Enumerate lazily and dispose the enumerator (a <c>foreach</c> does) so a
    /// store can release its cursor; cost: one seek, then one step per entry read.
    /// </summary>
    IEnumerable<KeyValueEntry> Scan(byte[] startInclusive, byte[] endExclusive);
}

/// <summary>A consistent, read-only view of a store at one moment; later writes are not seen. Dispose to release it.</summary>
public interface IKeyValueSnapshot : IKeyValueReader, IDisposable;

/// <summary>
/// An ordered key-value store (docs/storage.md, "Ledger index"): point reads, range scans, atomic batches and
/// snapshots. Keys are compared as unsigned bytes. Single writer, many readers: <see cref="Write"/> calls must not
/// overlap; reads and snapshots may run on any thread at the same time as a write and see it all or not at all.
/// </summary>
public interface IKeyValueStore : IKeyValueReader, IDisposable
{
    /// <summary>Applies every put and delete of <paramref name="batch"/> atomically, in order: after a crash either all are there or none.</summary>
    void Write(KeyValueBatch batch);

    /// <summary>A consistent view of the store as it is now.</summary>
    IKeyValueSnapshot CreateSnapshot();
}

/// <summary>An ordered list of puts and deletes written atomically by <see cref="IKeyValueStore.Write"/>; later operations on a key win.</summary>
public sealed class KeyValueBatch
{
    private readonly List<(byte[] Key, byte[]? Value)> _operations = [];

    /// <summary>The operations in order; a null value is a delete.</summary>
    public IReadOnlyList<(byte[] Key, byte[]? Value)> Operations => _operations;

    /// <summary>Number of operations.</summary>
    public int Count => _operations.Count;

    /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> (both copied).</summary>
    public KeyValueBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _operations.Add((key.ToArray(), value.ToArray()));
        return this;
    }

    /// <summary>Removes <paramref name="key"/> (no error if absent).</summary>
    public KeyValueBatch Delete(ReadOnlySpan<byte> key)
    {
        _operations.Add((key.ToArray(), null));
        return this;
    }
}

/// <summary>Single-key writes and prefix scans over any <see cref="IKeyValueStore"/>.</summary>
public static class KeyValueStoreExtensions
{
    /// <summary>Stores one value (a batch of one put: atomic and, on a durable store, durable when it returns).</summary>
    public static void Put(this IKeyValueStore store, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Write(new KeyValueBatch().Put(key, value));
    }

    /// <summary>Removes one key (no error if absent).</summary>
    public static void Delete(this IKeyValueStore store, ReadOnlySpan<byte> key)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.Write(new KeyValueBatch().Delete(key));
    }

    /// <summary>The entries whose key starts with <paramref name="prefix"/> (not empty, not all 0xFF), in key order.</summary>
    public static IEnumerable<KeyValueEntry> ScanPrefix(this IKeyValueReader reader, byte[] prefix)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfZero(prefix.Length, nameof(prefix));
        return reader.Scan(prefix, IndexLayout.PrefixEnd(prefix));
    }
}

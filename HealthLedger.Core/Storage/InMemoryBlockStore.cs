using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// A block store held in memory (tests, simulations, throw-away nodes). Same contract as
/// <see cref="FileBlockStore"/>: append-only, each hash once, thread-safe; nothing survives disposal.
/// </summary>
public sealed class InMemoryBlockStore : IBlockStore
{
    private readonly Lock _gate = new();
    private readonly List<StoredBlock> _blocks = [];
    private readonly Dictionary<Hash256, int> _byHash = [];

    /// <summary>Creates an empty store, optionally recording the genesis hash of the chain it belongs to.</summary>
    public InMemoryBlockStore(Hash256? genesisHash = null) => GenesisHash = genesisHash;

    /// <inheritdoc />
    public Hash256? GenesisHash { get; }

    /// <inheritdoc />
    public long Count
    {
        get
        {
            lock (_gate)
            {
                return _blocks.Count;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>The bytes are copied. Durable as soon as it returns, for the life of this object.</remarks>
    /// <exception cref="InvalidOperationException">The hash is already stored.</exception>
    public void Append(Hash256 hash, ReadOnlySpan<byte> encodedBlock)
    {
        var copy = encodedBlock.ToArray();
        lock (_gate)
        {
            if (!_byHash.TryAdd(hash, _blocks.Count))
            {
                throw new InvalidOperationException($"Block {hash} is already stored; every block is appended once.");
            }

            _blocks.Add(new StoredBlock(_blocks.Count, hash, copy));
        }
    }

    /// <inheritdoc />
    /// <remarks>Returns a fresh copy, so callers cannot change what is stored.</remarks>
    public byte[]? TryGet(Hash256 hash)
    {
        lock (_gate)
        {
            return _byHash.TryGetValue(hash, out var index) ? _blocks[index].Encoded.ToArray() : null;
        }
    }

    /// <inheritdoc />
    public bool Contains(Hash256 hash)
    {
        lock (_gate)
        {
            return _byHash.ContainsKey(hash);
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts.</remarks>
    public IEnumerable<StoredBlock> ReadAll()
    {
        StoredBlock[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _blocks];
        }

        return snapshot;
    }

    /// <inheritdoc />
    public long? GetSequence(Hash256 hash)
    {
        lock (_gate)
        {
            return _byHash.TryGetValue(hash, out var index) ? index : null;
        }
    }

    /// <inheritdoc />
    /// <remarks>Enumerates the blocks stored when enumeration starts.</remarks>
    public IEnumerable<StoredBlock> ReadFrom(long sequence)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequence);
        StoredBlock[] snapshot;
        lock (_gate)
        {
            snapshot = [.. _blocks.Skip((int)Math.Min(sequence, _blocks.Count))];
        }

        return snapshot;
    }

    /// <inheritdoc />
    /// <remarks>Nothing to do in memory.</remarks>
    public void Flush()
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }
}

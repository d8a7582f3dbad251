using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;

namespace HealthLedger.Tests.Support;

/// <summary>A list-backed store for chain tests.</summary>
internal sealed class TestBlockStore : IBlockStore
{
    private readonly List<StoredBlock> _blocks = [];

    public long Count => _blocks.Count;

    public void Append(Hash256 hash, ReadOnlySpan<byte> encodedBlock) => _blocks.Add(new StoredBlock(_blocks.Count, hash, encodedBlock.ToArray()));

    public bool Contains(Hash256 hash) => _blocks.Exists(b => b.Hash == hash);

    public void Dispose()
    {
    }

    public void Flush()
    {
    }

    public IEnumerable<StoredBlock> ReadAll() => [.. _blocks];

    public byte[]? TryGet(Hash256 hash) => _blocks.Find(b => b.Hash == hash)?.Encoded.ToArray();
}

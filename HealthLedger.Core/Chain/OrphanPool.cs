using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Blocks whose parent is unknown, held until it arrives, bounded in count and in encoded bytes (the oldest is
/// dropped first). Only blocks that passed every context-free check, proof of work against the easiest legal target
/// included, get here, so filling the pool costs real hashing. Not thread-safe: the chain serialises access.
/// </summary>
internal sealed class OrphanPool(int maxCount, long maxBytes)
{
    private readonly Dictionary<Hash256, List<Block>> _byParent = [];
    private readonly LinkedList<Block> _order = new();
    private readonly Dictionary<Hash256, LinkedListNode<Block>> _byHash = [];
    private long _bytes;

    public int Count => _byHash.Count;

    public long Bytes => _bytes;

    public bool Contains(Hash256 hash) => _byHash.ContainsKey(hash);

    /// <summary>Holds <paramref name="block"/>, evicting the oldest orphans while the pool would exceed either limit.</summary>
    public void Add(Block block)
    {
        var size = block.Encode().Length;
        if (size > maxBytes || maxCount <= 0)
        {
            return;
        }

        while ((_byHash.Count >= maxCount || _bytes + size > maxBytes) && _order.First is { } oldest)
        {
            Remove(oldest.Value);
        }

        if (!_byParent.TryGetValue(block.Header.PreviousHash, out var children))
        {
            children = [];
            _byParent[block.Header.PreviousHash] = children;
        }

        children.Add(block);
        _byHash[block.Hash] = _order.AddLast(block);
        _bytes += size;
    }

    /// <summary>Removes and returns the orphans whose parent is <paramref name="parent"/>.</summary>
    public IReadOnlyList<Block> TakeChildren(Hash256 parent)
    {
        if (!_byParent.Remove(parent, out var children))
        {
            return [];
        }

        foreach (var child in children)
        {
            if (_byHash.Remove(child.Hash, out var node))
            {
                _order.Remove(node);
                _bytes -= child.Encode().Length;
            }
        }

        return children;
    }

    private void Remove(Block block)
    {
        if (!_byHash.Remove(block.Hash, out var node))
        {
            return;
        }

        _order.Remove(node);
        _bytes -= block.Encode().Length;
        if (_byParent.TryGetValue(block.Header.PreviousHash, out var list))
        {
            list.Remove(block);
            if (list.Count == 0)
            {
                _byParent.Remove(block.Header.PreviousHash);
            }
        }
    }
}

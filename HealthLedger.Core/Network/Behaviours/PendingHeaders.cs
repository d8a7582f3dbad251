using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// Headers that passed the context-free checks and linkage but whose blocks are not yet in the chain: the work list of
/// the block download, lowest height first. Bounded in count (<see cref="GossipOptions.MaxPendingHeaders"/>): a peer
/// feeding cheap headers fills it at most, and a full store only pauses header requests until the download drains it.
/// </summary>
internal sealed class PendingHeaders(int capacity)
{
    private readonly Dictionary<Hash256, BlockHeader> _byHash = [];
    private readonly SortedSet<(ulong Height, Hash256 Hash)> _order = [];
    private readonly Dictionary<Hash256, List<string>> _announcers = [];

    /// <summary>The most peers remembered as announcers of one header.</summary>
    internal const int MaxAnnouncers = 8;

    public int Count => _byHash.Count;

    public int Capacity => capacity;

    public bool IsFull => _byHash.Count >= capacity;

    /// <summary>The highest pending header (the first locator entry of the next header request), or null.</summary>
    public BlockHeader? Highest => _order.Count == 0 ? null : _byHash[_order.Max.Hash];

    public BlockHeader? Get(Hash256 hash) => _byHash.GetValueOrDefault(hash);

    public bool Contains(Hash256 hash) => _byHash.ContainsKey(hash);

    /// <summary>
    /// Adds a checked header announced by the peer named <paramref name="announcer"/> (a header answer lists that
    /// peer's best chain, so it holds the block); false when the store is full (the header is dropped and asked for
    /// again later).
    /// </summary>
    public bool TryAdd(BlockHeader header, string? announcer = null)
    {
        if (!_byHash.ContainsKey(header.Hash))
        {
            if (IsFull || !_byHash.TryAdd(header.Hash, header))
            {
                return false;
            }

            _order.Add((header.Height, header.Hash));
        }

        if (announcer is not null)
        {
            if (!_announcers.TryGetValue(header.Hash, out var names))
            {
                _announcers[header.Hash] = names = [];
            }

            if (names.Count < MaxAnnouncers && !names.Contains(announcer))
            {
                names.Add(announcer);
            }
        }

        return true;
    }

    /// <summary>The peers that announced <paramref name="hash"/> (empty when none is known).</summary>
    public IReadOnlyList<string> Announcers(Hash256 hash) => _announcers.TryGetValue(hash, out var names) ? names : [];

    public void Remove(Hash256 hash)
    {
        if (_byHash.Remove(hash, out var header))
        {
            _order.Remove((header.Height, hash));
            _announcers.Remove(hash);
        }
    }

    /// <summary>Drops <paramref name="hash"/> and every pending header descending from it (its block was refused).</summary>
    public int RemoveWithDescendants(Hash256 hash)
    {
        var condemned = new HashSet<Hash256> { hash };
        var removed = 0;
        foreach (var (_, h) in _order.ToList())
        {
            var header = _byHash[h];
            if (condemned.Contains(h) || condemned.Contains(header.PreviousHash))
            {
                condemned.Add(h);
                Remove(h);
                removed++;
            }
        }

        return removed;
    }

    /// <summary>The lowest <paramref name="max"/> pending headers in height order (a snapshot: the caller may remove while iterating).</summary>
    public IReadOnlyList<BlockHeader> Lowest(int max) => [.. _order.Take(max).Select(o => _byHash[o.Hash])];
}

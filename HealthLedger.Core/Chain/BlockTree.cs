using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>
/// The tree of validated blocks: every entry by hash, the best chain indexed by height, and the leaves (tips of
/// branches). Knows nothing of validation, finality or fork choice; the <see cref="Blockchain"/> decides which leaf
/// is best and calls <see cref="SwitchTo"/>. Not thread-safe: the chain serialises access.
/// </summary>
internal sealed class BlockTree
{
    private readonly Dictionary<Hash256, ChainEntry> _entries = [];
    private readonly List<ChainEntry> _best = [];
    private readonly HashSet<ChainEntry> _leaves = [];

    public BlockTree(ChainEntry genesis)
    {
        _entries[genesis.Hash] = genesis;
        _best.Add(genesis);
        _leaves.Add(genesis);
    }

    public ChainEntry Genesis => _best[0];

    public ChainEntry Tip => _best[^1];

    public int Count => _entries.Count;

    public IReadOnlyCollection<ChainEntry> Leaves => _leaves;

    public ChainEntry? Get(Hash256 hash) => _entries.GetValueOrDefault(hash);

    public bool Contains(Hash256 hash) => _entries.ContainsKey(hash);

    /// <summary>Adds a validated entry whose parent is in the tree; it becomes a leaf and its parent stops being one.</summary>
    public void Add(ChainEntry entry)
    {
        _entries.Add(entry.Hash, entry);
        if (entry.Parent is not null)
        {
            _leaves.Remove(entry.Parent);
        }

        _leaves.Add(entry);
    }

    public ChainEntry? BestAt(ulong height) => height < (ulong)_best.Count ? _best[(int)height] : null;

    public bool IsOnBestChain(ChainEntry entry) => ReferenceEquals(BestAt(entry.Height), entry);

    /// <summary>The ancestor of <paramref name="entry"/> at <paramref name="height"/>: walks parents only until it meets the best chain, then indexes it.</summary>
    public ChainEntry? AncestorOf(ChainEntry entry, ulong height)
    {
        if (height > entry.Height)
        {
            return null;
        }

        var e = entry;
        while (e.Height > height)
        {
            if (IsOnBestChain(e))
            {
                return BestAt(height);
            }

            e = e.Parent!;
        }

        return e;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="entry"/> or one of its ancestors.</summary>
    public bool Descends(ChainEntry entry, ChainEntry ancestor) => ReferenceEquals(AncestorOf(entry, ancestor.Height), ancestor);

    /// <summary>Makes <paramref name="newTip"/> the tip of the best chain; returns the blocks that left it (tip first) and joined it (oldest first).</summary>
    public ChainUpdate SwitchTo(ChainEntry newTip)
    {
        var oldTip = _best[^1];
        var connected = new List<ChainEntry>();
        var e = newTip;
        while (!IsOnBestChain(e))
        {
            connected.Add(e);
            e = e.Parent!;
        }

        var fork = e;
        connected.Reverse();
        var disconnected = new List<Blocks.Block>();
        for (var h = oldTip.Height; h > fork.Height; h--)
        {
            disconnected.Add(_best[(int)h].Block);
        }

        _best.RemoveRange((int)fork.Height + 1, _best.Count - (int)fork.Height - 1);
        _best.AddRange(connected);
        return new ChainUpdate(disconnected, [.. connected.Select(c => c.Block)]);
    }

    /// <summary>Forgets the leaves that do not descend from <paramref name="final"/>: no block can ever be added below them.</summary>
    public void PruneLeavesConflictingWith(ChainEntry final) => _leaves.RemoveWhere(l => !Descends(l, final));

    /// <summary>The hashes of a block locator for sync: the tip, then exponentially spaced ancestors, then genesis.</summary>
    public IReadOnlyList<Hash256> GetLocator()
    {
        var result = new List<Hash256>();
        long step = 1;
        for (var h = (long)_best[^1].Height; h > 0; h -= step)
        {
            result.Add(_best[(int)h].Hash);
            if (result.Count > 10)
            {
                step *= 2;
            }
        }

        result.Add(_best[0].Hash);
        return result;
    }
}

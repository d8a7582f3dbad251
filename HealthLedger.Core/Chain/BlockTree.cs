using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Where a <see cref="BlockTree"/> finds the best chain below the window it keeps in memory (final blocks, read from
/// the chain state store and the block store).
/// </summary>
internal interface IBestChainArchive
{
    /// <summary>The hash of the final best-chain block at <paramref name="height"/>, or null.</summary>
    Hash256? HashAt(ulong height);

    /// <summary>The height of a final best-chain block, or null when <paramref name="hash"/> is not one.</summary>
    ulong? HeightOf(Hash256 hash);

    /// <summary>A header-only entry for the final best-chain block at <paramref name="height"/>, or null.</summary>
    ChainEntry? Load(ulong height);
}

/// <summary>
/// The tree of validated blocks: every entry by hash, the best chain indexed by height, and the leaves (tips of
/// branches). Knows nothing of validation, finality or fork choice; the <see cref="Blockchain"/> decides which leaf
/// is best and calls <see cref="SwitchTo"/>. Not thread-safe: the chain serialises access.
/// </summary>
/// <remarks>
/// Without an archive the tree holds every block from genesis. With one (a chain with a state store) it holds the best
/// chain from <see cref="Offset"/> (a window below the last final block) and everything above; lookups below the window
/// go to the archive.
/// </remarks>
internal sealed class BlockTree
{
    private readonly Dictionary<Hash256, ChainEntry> _entries = [];
    private readonly List<ChainEntry> _best = [];
    private readonly HashSet<ChainEntry> _leaves = [];
    private readonly IBestChainArchive? _archive;

    public BlockTree(ChainEntry genesis)
        : this([genesis], null)
    {
    }

    /// <summary>A tree over a contiguous run of best-chain entries (lowest first); the last is the only leaf.</summary>
    public BlockTree(IReadOnlyList<ChainEntry> window, IBestChainArchive? archive)
    {
        _archive = archive;
        Offset = window[0].Height;
        foreach (var e in window)
        {
            _entries[e.Hash] = e;
            _best.Add(e);
        }

        _leaves.Add(window[^1]);
    }

    /// <summary>Height of the lowest best-chain entry held in memory.</summary>
    public ulong Offset { get; private set; }

    public ChainEntry Genesis => BestAt(0)!;

    public ChainEntry Tip => _best[^1];

    /// <summary>Entries held in memory.</summary>
    public int Count => _entries.Count;

    public IReadOnlyCollection<ChainEntry> Leaves => _leaves;

    public ChainEntry? Get(Hash256 hash) =>
        _entries.GetValueOrDefault(hash) ?? (_archive?.HeightOf(hash) is { } h && h < Offset ? _archive.Load(h) : null);

    public bool Contains(Hash256 hash) => _entries.ContainsKey(hash) || (_archive?.HeightOf(hash) is { } h && h < Offset);

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

    public ChainEntry? BestAt(ulong height)
    {
        if (height < Offset)
        {
            return _archive?.Load(height);
        }

        var i = height - Offset;
        return i < (ulong)_best.Count ? _best[(int)i] : null;
    }

    /// <summary>The hash of the best-chain block at <paramref name="height"/> (no block is loaded).</summary>
    public Hash256? BestHashAt(ulong height) => height < Offset ? _archive?.HashAt(height) : BestAt(height)?.Hash;

    public bool IsOnBestChain(ChainEntry entry)
    {
        if (entry.Height < Offset)
        {
            return _archive?.HashAt(entry.Height) == entry.Hash;
        }

        var i = entry.Height - Offset;
        return i < (ulong)_best.Count && ReferenceEquals(_best[(int)i], entry);
    }

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

    /// <summary>The hash of the ancestor of <paramref name="entry"/> at <paramref name="height"/> (below the window, without loading a block).</summary>
    public Hash256? AncestorHashOf(ChainEntry entry, ulong height)
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
                return BestHashAt(height);
            }

            e = e.Parent!;
        }

        return e.Hash;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="entry"/> or one of its ancestors.</summary>
    public bool Descends(ChainEntry entry, ChainEntry ancestor) => AncestorHashOf(entry, ancestor.Height) == ancestor.Hash;

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
            disconnected.Add(_best[(int)(h - Offset)].Block);
        }

        var keep = (int)(fork.Height - Offset) + 1;
        _best.RemoveRange(keep, _best.Count - keep);
        _best.AddRange(connected);
        return new ChainUpdate(disconnected, [.. connected.Select(c => c.Block)]);
    }

    /// <summary>The entries above <paramref name="height"/>, lowest first (so each comes after its parent).</summary>
    public IReadOnlyList<ChainEntry> EntriesAbove(ulong height) => [.. _entries.Values.Where(e => e.Height > height).OrderBy(e => e.Height)];

    /// <summary>Forgets the leaves that do not descend from <paramref name="final"/>: no block can ever be added below them.</summary>
    public void PruneLeavesConflictingWith(ChainEntry final) => _leaves.RemoveWhere(l => !Descends(l, final));

    /// <summary>
    /// Forgets every entry that does not descend from <paramref name="final"/> except its best-chain ancestors at or
    /// above <paramref name="floor"/>; the entry at the floor forgets its parent (later asked of <paramref name="resolver"/>).
    /// Returns the number of entries forgotten.
    /// </summary>
    public int PruneBelow(ChainEntry final, ulong floor, Func<ChainEntry, ChainEntry?> resolver)
    {
        floor = Math.Min(floor, final.Height);
        var removed = 0;
        if (floor > Offset)
        {
            var drop = (int)(floor - Offset);
            foreach (var e in _best.Take(drop))
            {
                removed += _entries.Remove(e.Hash) ? 1 : 0;
                _leaves.Remove(e);
            }

            _best.RemoveRange(0, drop);
            Offset = floor;
            _best[0].DetachParent(resolver);
        }

        // Side branches that left the final chain: never extended again.
        var dead = _entries.Values.Where(e => !IsOnBestChain(e) && (e.Height <= final.Height || !Descends(e, final))).ToList();
        foreach (var e in dead)
        {
            _entries.Remove(e.Hash);
            _leaves.Remove(e);
            removed++;
        }

        return removed;
    }

    /// <summary>The hashes of a block locator for sync: the tip, then exponentially spaced ancestors, then genesis.</summary>
    public IReadOnlyList<Hash256> GetLocator()
    {
        var result = new List<Hash256>();
        long step = 1;
        for (var h = (long)_best[^1].Height; h > 0; h -= step)
        {
            result.Add(BestHashAt((ulong)h)!.Value);
            if (result.Count > 10)
            {
                step *= 2;
            }
        }

        result.Add(BestHashAt(0)!.Value);
        return result;
    }
}

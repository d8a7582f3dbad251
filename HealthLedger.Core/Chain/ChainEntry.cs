using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>A validated block in the block tree, with its cumulative work and the state after it.</summary>
/// <remarks>
/// On a chain with a state store (docs/storage.md, "Chain state") an entry at or below the last final block keeps only
/// its header: <see cref="Block"/> is read back from the block store when asked for, and <see cref="State"/> is the
/// state after the last final block (no historical state is kept). Entries below the retained window are not kept
/// at all; the chain rebuilds one from the store when it is asked for.
/// Thread safety: safe to share between threads; what it loads lazily (the body, a parent) is read atomically.
/// </remarks>
public sealed class ChainEntry
{
    private volatile Block? _block;
    private volatile LedgerState _state;
    private volatile ChainEntry? _parent;
    private Func<Hash256, Block>? _bodyLoader;
    private Func<ChainEntry, ChainEntry?>? _parentResolver;

    internal ChainEntry(Block block, ChainEntry? parent, BigInteger cumulativeWork, LedgerState state)
    {
        _block = block;
        Header = block.Header;
        _parent = parent;
        CumulativeWork = cumulativeWork;
        _state = state;
    }

    internal ChainEntry(BlockHeader header, ChainEntry? parent, BigInteger cumulativeWork, LedgerState state, Func<Hash256, Block> bodyLoader, Func<ChainEntry, ChainEntry?>? parentResolver)
    {
        Header = header;
        _parent = parent;
        CumulativeWork = cumulativeWork;
        _state = state;
        _bodyLoader = bodyLoader;
        _parentResolver = parentResolver;
    }

    /// <summary>The block (read from the block store when the entry keeps only its header).</summary>
    /// <exception cref="InvalidOperationException">The body is no longer stored (a pruned node: docs/storage.md, "Pruning").</exception>
    public Block Block => _block ?? _bodyLoader!(Hash);

    /// <summary>The header.</summary>
    public BlockHeader Header { get; }

    /// <summary>The hash.</summary>
    public Hash256 Hash => Header.Hash;

    /// <summary>The height.</summary>
    public ulong Height => Header.Height;

    /// <summary>The parent entry (null for genesis).</summary>
    public ChainEntry? Parent => _parent ?? (Header.Height == 0 ? null : _parentResolver?.Invoke(this));

    /// <summary>Sum of the fork-choice weight of this block and all its ancestors.</summary>
    public BigInteger CumulativeWork { get; }

    /// <summary>The ledger state after this block (after the last final block, for an entry at or below it on a chain with a state store).</summary>
    public LedgerState State => _state;

    /// <summary>True while the entry holds its block body in memory.</summary>
    internal bool HasBody => _block is not null;

    internal void SetState(LedgerState state) => _state = state;

    /// <summary>Forgets the body; <see cref="Block"/> then reads it through <paramref name="loader"/>.</summary>
    internal void DropBody(Func<Hash256, Block> loader)
    {
        _bodyLoader = loader;
        _block = null;
    }

    /// <summary>Forgets the parent reference (the parent leaves memory); <see cref="Parent"/> then asks <paramref name="resolver"/>.</summary>
    internal void DetachParent(Func<ChainEntry, ChainEntry?> resolver)
    {
        _parentResolver = resolver;
        _parent = null;
    }

    /// <summary>The ancestor at <paramref name="height"/> (walking parents), or null above this block.</summary>
    public ChainEntry? GetAncestor(ulong height)
    {
        if (height > Height)
        {
            return null;
        }

        var e = this;
        while (e is not null && e.Height > height)
        {
            e = e.Parent;
        }

        return e;
    }

    /// <inheritdoc />
    public override string ToString() => Header.ToString();
}

/// <summary>An <see cref="IChainView"/> over one branch of the tree; ancestors come from the chain's lookup.</summary>
internal sealed class ChainEntryView : IChainView
{
    private readonly ChainEntry _tip;
    private readonly Func<ChainEntry, ulong, ChainEntry?> _ancestorOf;

    public ChainEntryView(ChainEntry tip, GenesisConfig genesis, Func<ChainEntry, ulong, ChainEntry?> ancestorOf)
    {
        _tip = tip;
        _ancestorOf = ancestorOf;
        Genesis = genesis;
    }

    public BlockHeader Tip => _tip.Header;

    public ILedgerStateView State => _tip.State;

    public GenesisConfig Genesis { get; }

    public BlockHeader? GetAncestor(ulong height) => _ancestorOf(_tip, height)?.Header;
}

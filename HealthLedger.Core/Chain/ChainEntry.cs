using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>A validated block in the block tree, with its cumulative work and the state after it.</summary>
/// <remarks>Thread safety: immutable once created, so safe to share between threads.</remarks>
public sealed class ChainEntry
{
    internal ChainEntry(Block block, ChainEntry? parent, BigInteger cumulativeWork, LedgerState state)
    {
        Block = block;
        Parent = parent;
        CumulativeWork = cumulativeWork;
        State = state;
    }

    /// <summary>The block.</summary>
    public Block Block { get; }

    /// <summary>The header.</summary>
    public BlockHeader Header => Block.Header;

    /// <summary>The hash.</summary>
    public Hash256 Hash => Block.Hash;

    /// <summary>The height.</summary>
    public ulong Height => Block.Header.Height;

    /// <summary>The parent entry (null for genesis).</summary>
    public ChainEntry? Parent { get; }

    /// <summary>Sum of the fork-choice weight of this block and all its ancestors.</summary>
    public BigInteger CumulativeWork { get; }

    /// <summary>The ledger state after this block.</summary>
    public LedgerState State { get; }

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

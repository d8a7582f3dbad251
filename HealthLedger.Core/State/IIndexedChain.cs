using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.State;

/// <summary>What the ledger index needs to know of the chain it follows: its genesis, its tip and its best-chain blocks.</summary>
public interface IIndexedChain
{
    /// <summary>The hash of the genesis block (height 0).</summary>
    Hash256 GenesisHash { get; }

    /// <summary>The tip of the best chain now.</summary>
    IndexTip Tip { get; }

    /// <summary>The best-chain block at <paramref name="height"/> now, or null above the tip.</summary>
    Block? GetBestBlockAt(ulong height);
}

/// <summary>A <see cref="Blockchain"/> as the chain a <see cref="LedgerIndex"/> follows.</summary>
/// <param name="chain">The chain.</param>
public sealed class BlockchainIndexSource(Blockchain chain) : IIndexedChain
{
    private readonly Blockchain _chain = chain ?? throw new ArgumentNullException(nameof(chain));

    /// <inheritdoc />
    public Hash256 GenesisHash => _chain.GenesisEntry.Hash;

    /// <inheritdoc />
    public IndexTip Tip => _chain.Tip is var tip ? new IndexTip(tip.Height, tip.Hash) : default;

    /// <inheritdoc />
    public Block? GetBestBlockAt(ulong height) => _chain.GetBestAt(height)?.Block;
}

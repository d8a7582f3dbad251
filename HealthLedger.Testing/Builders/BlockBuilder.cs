using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Testing.Builders;

/// <summary>
/// Builds a <see cref="Block"/> on a parent: the parent's chain id, engine and target, height + 1, a second after the
/// parent, nonce 1, threshold 1, the Merkle root of its transactions, mined by the key labelled "miner" with an empty
/// seal. The seal is valid for a <c>StubConsensusEngine.AcceptAll()</c> chain; for a real engine, mine the header.
/// Not thread-safe (one builder per test).
/// </summary>
public sealed class BlockBuilder
{
    private BlockHeader? _parent;
    private Transaction[] _transactions = [];
    private long? _timestampMs;
    private ulong _nonce = 1;
    private ushort _threshold = 1;
    private PublicKey? _miner;
    private uint? _targetBits;
    private Hash256? _merkleRoot;
    private Signature _seal = Signature.Empty;

    /// <summary>The parent block (required).</summary>
    public BlockBuilder WithParent(ChainEntry parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return WithParent(parent.Header);
    }

    /// <summary>The parent block (required).</summary>
    public BlockBuilder WithParent(Block parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return WithParent(parent.Header);
    }

    /// <summary>The parent block's header (required).</summary>
    public BlockBuilder WithParent(BlockHeader parent)
    {
        _parent = parent ?? throw new ArgumentNullException(nameof(parent));
        return this;
    }

    /// <summary>The transactions, in block order.</summary>
    public BlockBuilder WithTransactions(params Transaction[] transactions)
    {
        ArgumentNullException.ThrowIfNull(transactions);
        _transactions = [.. transactions];
        return this;
    }

    /// <summary>The timestamp, Unix milliseconds.</summary>
    public BlockBuilder WithTimestamp(long timestampMs)
    {
        _timestampMs = timestampMs;
        return this;
    }

    /// <summary>The nonce (vary it to get sibling blocks with different hashes).</summary>
    public BlockBuilder WithNonce(ulong nonce)
    {
        _nonce = nonce;
        return this;
    }

    /// <summary>The fault-tolerance threshold k.</summary>
    public BlockBuilder WithThreshold(ushort threshold)
    {
        _threshold = threshold;
        return this;
    }

    /// <summary>The miner's key.</summary>
    public BlockBuilder MinedBy(PublicKey miner)
    {
        _miner = miner;
        return this;
    }

    /// <summary>The compact target (default: the parent's).</summary>
    public BlockBuilder WithTargetBits(uint targetBits)
    {
        _targetBits = targetBits;
        return this;
    }

    /// <summary>A Merkle root other than the transactions' (for tests of invalid blocks).</summary>
    public BlockBuilder WithMerkleRoot(Hash256 merkleRoot)
    {
        _merkleRoot = merkleRoot;
        return this;
    }

    /// <summary>The seal signature (ePoW).</summary>
    public BlockBuilder WithSeal(Signature seal)
    {
        _seal = seal;
        return this;
    }

    /// <summary>The block.</summary>
    /// <exception cref="InvalidOperationException">No parent was given.</exception>
    public Block TestObject
    {
        get
        {
            var parent = _parent ?? throw new InvalidOperationException("A block needs a parent: call WithParent first.");
            var header = new BlockHeader(
                BlockHeader.CurrentVersion,
                parent.ChainId,
                parent.Height + 1,
                _timestampMs ?? parent.TimestampMs + 1000,
                parent.Hash,
                _merkleRoot ?? MerkleTree.ComputeRoot([.. _transactions.Select(t => t.Id)]),
                _targetBits ?? parent.TargetBits,
                _threshold,
                parent.Engine,
                _miner ?? DefaultMiner.Value,
                _nonce,
                _seal);
            return new Block(header, _transactions);
        }
    }

    private static readonly Lazy<PublicKey> DefaultMiner = new(() =>
    {
        using var key = KeyPair.FromLabel("miner");
        return key.PublicKey;
    });
}

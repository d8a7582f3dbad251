using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Host.Demo;

/// <summary>One in-process node of the demo: a chain on a crash-safe file store, a mempool, a miner key.</summary>
internal sealed class LocalNode : IDisposable
{
    private readonly IMiningEngine _engine;
    private readonly ISealer _sealer;
    private ulong _sequence;

    public LocalNode(string name, KeyPair key, GenesisConfig genesis, string directory, TimeProvider time)
    {
        Name = name;
        Key = key;
        _engine = ConsensusEngines.Create(genesis);
        _sealer = _engine.CreateSealer(SimdNonceSearcher.Instance);
        Store = FileBlockStore.Open(directory, new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(genesis) });
        Chain = new Blockchain(genesis, _engine, Store, time);
        Pool = new TransactionPool(Chain, time);
        Gossip = new GossipNode(name, Chain, Pool);

        // Accountable safety: conflicting votes seen from peers become on-chain evidence signed by this node.
        Gossip.EquivocationDetected += evidence =>
            Gossip.PublishTransaction(Transaction.Create(Key, genesis.ChainId, NextSequence(), time.GetUtcNow().ToUnixTimeMilliseconds(), evidence));
    }

    public GossipNode Gossip { get; }

    public string Name { get; }

    public KeyPair Key { get; }

    public FileBlockStore Store { get; }

    public Blockchain Chain { get; }

    public TransactionPool Pool { get; }

    public bool Online { get; set; } = true;

    public ulong NextSequence() => _sequence++;

    private readonly VoteGuard _votes = new();

    /// <summary>Mines one block on the tip with the pending transactions and announces it; null when the seal search was cancelled.</summary>
    public Block? Mine(ushort threshold, CancellationToken cancellationToken)
    {
        var txs = Pool.SelectForBlock(500);
        var template = Chain.CreateTemplate(Key.PublicKey, txs, threshold);
        var target = _engine.GetEffectiveTarget(Key.PublicKey, Chain.TipView);
        var sealedResult = _sealer.Seal(template, target, Key, cancellationToken);
        if (sealedResult.Header is null)
        {
            return null;
        }

        var block = new Block(sealedResult.Header, txs);
        var r = Gossip.PublishBlock(block);
        return r.IsAccepted ? block : throw new InvalidOperationException($"{Name} mined an invalid block: {r.Validation}");
    }

    /// <summary>This node's finality vote for the current tip, signed; null when the vote guard refuses it (already voted at or above that height).</summary>
    public Transaction? AttestTip(long nowMs)
    {
        var vote = Chain.CreateVote();
        return vote is not null && _votes.TryAllow(vote)
            ? Transaction.Create(Key, Chain.Genesis.ChainId, 0, nowMs, vote) // votes carry sequence 0
            : null;
    }

    public void Dispose() => Store.Dispose();
}

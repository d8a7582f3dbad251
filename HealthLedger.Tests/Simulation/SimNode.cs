using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Simulation;

/// <summary>
/// One validator: a <see cref="Blockchain"/> over its own <see cref="InMemoryBlockStore"/>, its <see cref="VoteGuard"/>
/// (kept across restarts, as a real validator persists it), an <see cref="EquivocationWatch"/>, the transactions it
/// holds for the next block, and what it has asked peers for. What it does with messages and turns is its
/// <see cref="NodeBehaviour"/>'s business; this type only holds the mechanics.
/// </summary>
internal sealed class SimNode
{
    private const int MaxPending = 4_096;
    private readonly GenesisConfig _genesis;
    private readonly TimeProvider _time;
    private readonly SignatureCache _signatures;
    private readonly List<Transaction> _pending = [];
    private readonly HashSet<Hash256> _pendingIds = [];
    private readonly HashSet<Hash256> _seenTransactions = [];
    private readonly Dictionary<Hash256, Hash256> _parentOf = [];
    private readonly HashSet<(Hash256, int)> _requested = [];

    public SimNode(int index, KeyPair key, GenesisConfig genesis, TimeProvider time, SignatureCache signatures, NodeBehaviour behaviour)
    {
        Index = index;
        Key = key;
        _genesis = genesis;
        _time = time;
        _signatures = signatures;
        Behaviour = behaviour;
        Chain = Open();
    }

    public int Index { get; }

    public KeyPair Key { get; }

    public Address Address => Key.Address;

    public NodeBehaviour Behaviour { get; }

    public bool IsHonest => Behaviour.IsHonest;

    public bool Online { get; private set; } = true;

    public InMemoryBlockStore Store { get; } = new();

    public Blockchain Chain { get; private set; }

    public VoteGuard Guard { get; } = new();

    public EquivocationWatch Watch { get; private set; } = new();

    /// <summary>The tip this node last voted for (or decided not to).</summary>
    public Hash256 LastVotedTip { get; set; }

    public IReadOnlyList<Transaction> Pending => _pending;

    public uint ChainId => _genesis.ChainId;

    /// <summary>Goes down: everything but the block store and the vote guard is lost.</summary>
    public void Crash()
    {
        Online = false;
        _pending.Clear();
        _pendingIds.Clear();
        _seenTransactions.Clear();
        _parentOf.Clear();
        _requested.Clear();
    }

    /// <summary>Comes back: reopens the chain from its own store (replay) with an empty watch and mempool.</summary>
    public void Restart()
    {
        Chain = Open();
        Watch = new EquivocationWatch();
        LastVotedTip = default;
        Online = true;
    }

    /// <summary>
    /// Offers a block to the chain, asks <paramref name="from"/> for what is missing below an orphan, and, the first
    /// time the block is seen, shows its votes to the watch (whatever the chain made of the block: votes inside a block
    /// that conflicts with our final block still prove equivocation).
    /// </summary>
    public BlockAddResult Accept(Block block, int from, Simulator sim)
    {
        var first = _parentOf.TryAdd(block.Hash, block.Header.PreviousHash);
        var result = Chain.AddBlock(block);
        if (first && result.Status == BlockStatus.Invalid)
        {
            sim.Record($"node {Index} refuses #{block.Header.Height} {block.Hash.ToShortString()} from {from}: {result.Validation.Code}");
        }

        if (result.Status == BlockStatus.Orphan)
        {
            RequestMissing(block.Header.PreviousHash, from, sim);
        }

        if (first)
        {
            foreach (var tx in block.Transactions)
            {
                Observe(tx, sim);
            }
        }

        // As TransactionPool does: the votes of a block that did not join the best chain are taken up, so the next
        // block this node mines carries them there (a node that missed the side block would never see them otherwise).
        if (result.Status == BlockStatus.SideBranch)
        {
            foreach (var tx in block.Transactions.Where(t => t.Payload is Attestation))
            {
                AddPending(tx);
            }
        }

        return result;
    }

    /// <summary>
    /// Asks a peer for the lowest missing block below <paramref name="parent"/>: follows the parents of blocks already
    /// received (held as orphans) down to one never received, or to one whose parent is known although it is not in
    /// the chain (evicted from the orphan pool). Each (block, peer) is asked once until <see cref="ForgetRequests"/>.
    /// </summary>
    public void RequestMissing(Hash256 parent, int from, Simulator sim)
    {
        var missing = parent;
        for (var depth = 0; depth < 4_096 && Chain.GetEntry(missing) is null; depth++)
        {
            if (!_parentOf.TryGetValue(missing, out var above) || Chain.GetEntry(above) is not null)
            {
                if (_requested.Add((missing, from)))
                {
                    sim.Network.Send(Index, from, new AncestorsRequest(missing, 32));
                }

                return;
            }

            missing = above;
        }
    }

    /// <summary>Forgets what was requested, so lost requests are asked again.</summary>
    public void ForgetRequests() => _requested.Clear();

    /// <summary>
    /// Shows a transaction to the watch if it is a correctly signed vote of a genesis validator; evidence goes to
    /// the behaviour. True when the transaction was new to this node.
    /// </summary>
    public bool Observe(Transaction tx, Simulator sim)
    {
        if (!_seenTransactions.Add(tx.Id))
        {
            return false;
        }

        if (tx.Payload is Attestation && sim.IsValidator(tx.SenderAddress) && Chain.TransactionValidator.Validate(tx).IsValid)
        {
            if (Watch.Observe(tx) is { } evidence)
            {
                sim.Record($"evidence {Index} accuses {tx.SenderAddress}");
                Behaviour.OnEvidence(this, evidence, sim);
            }
        }

        return true;
    }

    public bool AddPending(Transaction tx)
    {
        if (!_pendingIds.Add(tx.Id))
        {
            return false;
        }

        _pending.Add(tx);
        if (_pending.Count > MaxPending)
        {
            _pendingIds.Remove(_pending[0].Id);
            _pending.RemoveAt(0);
        }

        return true;
    }

    /// <summary>Drops pending transactions the best chain has passed (the sender's sequence is beyond them).</summary>
    public void PrunePending()
    {
        var state = Chain.Tip.State;
        var final = Chain.LastFinal.Height;
        _pending.RemoveAll(t =>
        {
            // Votes are not sequenced: one is stale once its target is final (it can no longer matter).
            var stale = t.Payload is Attestation vote ? vote.BlockHeight <= final : t.Sequence < state.GetNextSequence(t.SenderAddress);
            if (stale)
            {
                _pendingIds.Remove(t.Id);
            }

            return stale;
        });
    }

    /// <summary>
    /// Signs <paramref name="payload"/> with the next sequence that can follow, on the current tip, this node's own
    /// pending transactions that still apply there; its own pending transactions that no longer apply (votes for a
    /// branch it left) are abandoned, their sequence numbers reused.
    /// </summary>
    public Transaction SignNext(TransactionPayload payload)
    {
        if (payload is Attestation)
        {
            var vote = Transaction.Create(Key, ChainId, 0, _time.GetUtcNow().ToUnixTimeMilliseconds(), payload); // votes carry sequence 0
            _seenTransactions.Add(vote.Id);
            AddPending(vote);
            return vote;
        }

        var tip = Chain.Tip;
        var next = tip.State.GetNextSequence(Address);
        var state = tip.State;
        var context = ContextOn(tip);
        foreach (var own in _pending.Where(t => t.SenderAddress == Address && t.Payload is not Attestation && t.Sequence >= next).OrderBy(t => t.Sequence).ToList())
        {
            var (after, _) = own.Sequence == next ? state.ApplyTransaction(own, context) : (null, ValidationResult.Ok);
            if (after is null)
            {
                _pending.Remove(own);
                _pendingIds.Remove(own.Id);
                continue;
            }

            state = after;
            next++;
        }

        var tx = Transaction.Create(Key, ChainId, next, _time.GetUtcNow().ToUnixTimeMilliseconds(), payload);
        _seenTransactions.Add(tx.Id);
        AddPending(tx);
        return tx;
    }

    /// <summary>Signs a transaction with an explicit sequence (a Byzantine node picking its own numbers).</summary>
    public Transaction SignWith(ulong sequence, TransactionPayload payload) =>
        Transaction.Create(Key, ChainId, sequence, _time.GetUtcNow().ToUnixTimeMilliseconds(), payload);

    /// <summary>The pending transactions that apply, in order, on <paramref name="parent"/> (at most <paramref name="max"/>).</summary>
    public List<Transaction> SelectFor(ChainEntry parent, int max = 500)
    {
        var state = parent.State;
        var context = ContextOn(parent);
        var chosen = new List<Transaction>();
        foreach (var tx in _pending.OrderBy(t => t.Sequence).ThenBy(t => t.SenderAddress.ToString(), StringComparer.Ordinal))
        {
            if (chosen.Count >= max)
            {
                break;
            }

            var (after, _) = state.ApplyTransaction(tx, context);
            if (after is not null)
            {
                state = after;
                chosen.Add(tx);
            }
        }

        return chosen;
    }

    /// <summary>A block on <paramref name="parent"/> (any branch, not only the tip); the test engine accepts any nonce but 0xBAD.</summary>
    public Block BuildBlock(ChainEntry parent, IReadOnlyList<Transaction> transactions, ulong nonce = 1, Hash256? fakeParent = null)
    {
        var timestamp = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), Chain.MedianTimePast(parent) + 1);
        var header = new BlockHeader(
            BlockHeader.CurrentVersion, ChainId, parent.Height + 1, timestamp, fakeParent ?? parent.Hash,
            MerkleTree.ComputeRoot(transactions.Select(t => t.Id).ToArray()), _genesis.Consensus.InitialTargetBits, 1,
            _genesis.Engine, Key.PublicKey, nonce, Signature.Empty);
        return new Block(header, transactions);
    }

    /// <summary>The highest justified block that is <paramref name="entry"/>'s ancestor (or genesis).</summary>
    public ChainEntry HighestJustifiedBelow(ChainEntry entry)
    {
        for (var e = entry.Parent; e is not null; e = e.Parent)
        {
            if (e.Parent is null || Chain.IsJustified(e.Hash))
            {
                return e;
            }
        }

        return entry;
    }

    private BlockContext ContextOn(ChainEntry parent) =>
        new(parent.Height + 1, Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), parent.Header.TimestampMs + 1), ChainId, h => parent.GetAncestor(h)?.Hash);

    private Blockchain Open() => new(_genesis, new TestEngine(), Store, _time, scheme: null, signatureCache: _signatures);
}

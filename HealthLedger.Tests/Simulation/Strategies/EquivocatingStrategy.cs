using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation.Strategies;

/// <summary>
/// Signs a vote for every block it receives, on every branch, without a vote guard: two blocks at one height give a
/// double vote, and with probability <paramref name="surroundChance"/> a vote's source is genesis, which surrounds its
/// earlier votes. Each vote goes back only to the peer the block came from, so each side of a partition sees only its
/// own half. It keeps one view of the chain per partition side (a single chain would refuse the other side's blocks
/// once one side is final). In its mining slot it mines two blocks on one parent and sends one to the even nodes, the
/// other to the odd ones.
/// </summary>
internal sealed class EquivocatingStrategy(SimRandom rng, double surroundChance = 0.25) : NodeBehaviour
{
    private readonly Dictionary<int, Blockchain> _views = [];
    private readonly List<(Transaction Tx, Attestation Vote)> _signed = [];

    public override string Name => "equivocating";

    public override bool IsHonest => false;

    public override void OnBlock(SimNode node, Block block, int from, Simulator sim)
    {
        var view = ViewFor(node, from, sim);
        var result = ReferenceEquals(view, node.Chain) ? node.Accept(block, from, sim) : view.AddBlock(block);
        if (result.Status == BlockStatus.Orphan && !ReferenceEquals(view, node.Chain))
        {
            sim.Network.Send(node.Index, from, new AncestorsRequest(block.Header.PreviousHash, 32));
        }

        if (result.Status is not (BlockStatus.Connected or BlockStatus.SideBranch))
        {
            return;
        }

        // Votes for the new block and for blocks released from the orphan pool with it: the highest one is enough.
        var target = view.GetEntry(block.Hash);
        if (target?.Parent is null)
        {
            return;
        }

        var source = rng.Chance(surroundChance) ? view.GenesisEntry : HighestJustifiedBelow(view, target);
        var vote = new Attestation(target.Hash, target.Height, source.Hash, source.Height);
        var tx = node.SignWith(0, vote); // votes carry sequence 0
        _signed.Add((tx, vote));
        node.AddPending(tx);
        sim.Network.Send(node.Index, from, new TransactionMessage(tx));
        sim.Record($"equivocator {node.Index} votes #{target.Height} {target.Hash} from #{source.Height} seq={tx.Sequence} to {from}");
    }

    public override void OnTransaction(SimNode node, Transaction tx, int from, Simulator sim)
    {
        if (node.Observe(tx, sim))
        {
            node.AddPending(tx);
        }
    }

    public override void OnTurnToMine(SimNode node, Simulator sim)
    {
        var tip = node.Chain.Tip;
        var txs = node.SelectFor(tip);
        var first = node.BuildBlock(tip, txs, nonce: 1);
        var second = node.BuildBlock(tip, txs, nonce: 2);
        node.Chain.AddBlock(first);
        node.Chain.AddBlock(second);
        sim.Record($"equivocator {node.Index} mines twice on #{tip.Height}: {first.Hash} {second.Hash}");
        for (var to = 0; to < sim.Nodes.Count; to++)
        {
            sim.Network.Send(node.Index, to, new BlockMessage(to % 2 == 0 ? first : second));
        }
    }

    public override void AfterDeliveries(SimNode node, Simulator sim)
    {
    }

    public override void OnStep(SimNode node, Simulator sim)
    {
    }

    public override void OnEvidence(SimNode node, MisbehaviourEvidence evidence, Simulator sim)
    {
    }

    private Blockchain ViewFor(SimNode node, int from, Simulator sim)
    {
        var side = sim.Network.Partition is { } p && !p.SideA.Contains(from) ? 1 : 0;
        if (side == 0)
        {
            return node.Chain;
        }

        if (!_views.TryGetValue(side, out var view))
        {
            view = new Blockchain(sim.Genesis, node.Chain.Engine, new InMemoryBlockStore(), sim.Time, signatureCache: sim.Signatures);
            _views[side] = view;
        }

        return view;
    }

    private static ChainEntry HighestJustifiedBelow(Blockchain view, ChainEntry entry)
    {
        for (var e = entry.Parent; e is not null; e = e.Parent)
        {
            if (e.Parent is null || view.IsJustified(e.Hash))
            {
                return e;
            }
        }

        return entry;
    }
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation.Strategies;

/// <summary>
/// Mines a private branch in its slots (forking from its tip when the branch starts), votes for its own private blocks
/// and puts those votes in them, relays nothing, and after 4 to 15 steps releases the whole branch and its votes at once.
/// </summary>
internal sealed class PrivateBranchStrategy(SimRandom rng) : NodeBehaviour
{
    private readonly List<Block> _private = [];
    private readonly List<Transaction> _votes = [];
    private int _releaseAt;

    public override string Name => "private-branch";

    public override bool IsHonest => false;

    public override void OnBlock(SimNode node, Block block, int from, Simulator sim) => node.Accept(block, from, sim);

    public override void OnTransaction(SimNode node, Transaction tx, int from, Simulator sim)
    {
        if (node.Observe(tx, sim))
        {
            node.AddPending(tx);
        }
    }

    public override void OnTurnToMine(SimNode node, Simulator sim)
    {
        var parent = _private.Count > 0 ? node.Chain.GetEntry(_private[^1].Hash) : node.Chain.Tip;
        if (parent is null)
        {
            _private.Clear(); // the branch was refused (it conflicts with a final block): start again
            parent = node.Chain.Tip;
        }

        if (_private.Count == 0)
        {
            _releaseAt = sim.Step + rng.Next(4, 16);
        }

        var block = node.BuildBlock(parent, node.SelectFor(parent), nonce: 3);
        if (!node.Chain.AddBlock(block).IsAccepted)
        {
            return;
        }

        _private.Add(block);
        var entry = node.Chain.GetEntry(block.Hash)!;
        var source = node.HighestJustifiedBelow(entry);
        var vote = node.SignWith(0, new Attestation(entry.Hash, entry.Height, source.Hash, source.Height)); // votes carry sequence 0
        _votes.Add(vote);
        node.AddPending(vote);
    }

    public override void AfterDeliveries(SimNode node, Simulator sim)
    {
    }

    public override void OnStep(SimNode node, Simulator sim)
    {
        if (_private.Count == 0 || sim.Step < _releaseAt)
        {
            return;
        }

        sim.Record($"private-branch {node.Index} releases {_private.Count} blocks ending #{_private[^1].Header.Height}");
        foreach (var block in _private)
        {
            sim.Network.Broadcast(node.Index, new BlockMessage(block));
        }

        foreach (var vote in _votes)
        {
            sim.Network.Broadcast(node.Index, new TransactionMessage(vote));
        }

        _private.Clear();
        _votes.Clear();
    }

    public override void OnEvidence(SimNode node, MisbehaviourEvidence evidence, Simulator sim)
    {
    }
}

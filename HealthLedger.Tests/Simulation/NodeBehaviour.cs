using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation;

/// <summary>
/// What a node does with messages, mining turns and steps. This base class is the honest validator: it relays new
/// valid blocks and new votes, fetches the ancestors of orphans from whoever sent them, mines the tip with every pending
/// transaction that applies, votes for each new tip with <see cref="Blockchain.CreateVote"/> through its
/// <see cref="VoteGuard"/>, signs evidence its watch finds, and every third step announces its tip and re-sends its own
/// pending transactions (the only repair for lost messages). Byzantine strategies override what they do differently.
/// </summary>
internal class NodeBehaviour
{
    public virtual string Name => "honest";

    public virtual bool IsHonest => true;

    public virtual void OnBlock(SimNode node, Block block, int from, Simulator sim)
    {
        var result = node.Accept(block, from, sim);
        if (result.Status is BlockStatus.Connected or BlockStatus.SideBranch)
        {
            sim.Network.Broadcast(node.Index, new BlockMessage(block));
        }
    }

    public virtual void OnTransaction(SimNode node, Transaction tx, int from, Simulator sim)
    {
        // Not relayed: the sender broadcasts its own transactions and re-sends them until they are on the chain.
        if (node.Observe(tx, sim))
        {
            node.AddPending(tx);
        }
    }

    public virtual void OnAncestorsRequest(SimNode node, AncestorsRequest request, int from, Simulator sim)
    {
        var blocks = new List<Block>();
        for (var e = node.Chain.GetEntry(request.Hash); e?.Parent is not null && blocks.Count < request.Max; e = e.Parent)
        {
            blocks.Add(e.Block);
        }

        for (var i = blocks.Count - 1; i >= 0; i--)
        {
            sim.Network.Send(node.Index, from, new BlockMessage(blocks[i]));
        }
    }

    /// <summary>This node's mining slot: a block on the tip with the pending transactions that apply there.</summary>
    public virtual void OnTurnToMine(SimNode node, Simulator sim)
    {
        node.PrunePending();
        var tip = node.Chain.Tip;
        var block = node.BuildBlock(tip, node.SelectFor(tip));
        Publish(node, block, sim);
    }

    /// <summary>After the step's messages: vote for a new tip.</summary>
    public virtual void AfterDeliveries(SimNode node, Simulator sim)
    {
        var tip = node.Chain.Tip;
        if (tip.Hash == node.LastVotedTip)
        {
            return;
        }

        node.LastVotedTip = tip.Hash;
        var vote = node.Chain.CreateVote();
        if (vote is not null && node.Guard.TryAllow(vote))
        {
            var tx = node.SignNext(vote);
            node.Observe(tx, sim);
            sim.Network.Broadcast(node.Index, new TransactionMessage(tx));
        }
    }

    /// <summary>Housekeeping every step: every third step (staggered by node) announce the tip and re-send own pending transactions.</summary>
    public virtual void OnStep(SimNode node, Simulator sim)
    {
        if ((sim.Step + node.Index) % 3 != 0)
        {
            return;
        }

        var tip = node.Chain.Tip;
        if (tip.Parent is not null)
        {
            sim.Network.Broadcast(node.Index, new BlockMessage(tip.Block));
        }

        node.PrunePending();
        foreach (var tx in node.Pending.Where(t => t.SenderAddress == node.Address).ToList())
        {
            sim.Network.Broadcast(node.Index, new TransactionMessage(tx));
        }

        if ((sim.Step + node.Index) % 12 == 0)
        {
            node.ForgetRequests();
        }
    }

    public virtual void OnEvidence(SimNode node, MisbehaviourEvidence evidence, Simulator sim)
    {
        var tx = node.SignNext(evidence);
        sim.Network.Broadcast(node.Index, new TransactionMessage(tx));
    }

    /// <summary>Adds a block this node built to its own chain and sends it to everyone.</summary>
    protected static void Publish(SimNode node, Block block, Simulator sim)
    {
        var result = node.Chain.AddBlock(block);
        sim.Record($"mined {node.Index} #{block.Header.Height} {block.Hash} txs={block.Transactions.Count} {result.Status}");
        if (!result.IsAccepted)
        {
            sim.Invariants.Report("own-block-accepted", node.Index, $"node {node.Index} refused its own block #{block.Header.Height}: {result.Validation}");
            return;
        }

        sim.Network.Broadcast(node.Index, new BlockMessage(block));
    }
}

/// <summary>The honest validator (the base behaviour, unchanged).</summary>
internal sealed class HonestBehaviour : NodeBehaviour
{
}

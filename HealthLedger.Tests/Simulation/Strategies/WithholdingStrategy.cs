using HealthLedger.Core.Blocks;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation.Strategies;

/// <summary>A black hole: takes its mining slots and everything it is sent, and publishes nothing (no blocks, no votes, no relaying, no answers).</summary>
internal sealed class WithholdingStrategy : NodeBehaviour
{
    public override string Name => "withholding";

    public override bool IsHonest => false;

    public override void OnBlock(SimNode node, Block block, int from, Simulator sim) => node.Accept(block, from, sim);

    public override void OnTransaction(SimNode node, Transaction tx, int from, Simulator sim)
    {
        if (node.Observe(tx, sim))
        {
            node.AddPending(tx);
        }
    }

    public override void OnAncestorsRequest(SimNode node, AncestorsRequest request, int from, Simulator sim)
    {
    }

    public override void OnTurnToMine(SimNode node, Simulator sim)
    {
        var tip = node.Chain.Tip;
        node.Chain.AddBlock(node.BuildBlock(tip, node.SelectFor(tip))); // kept to itself
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
}

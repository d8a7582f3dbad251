using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation.Strategies;

/// <summary>
/// Hoards the honest votes it receives (no relaying) and, in its slot, mines a competing block on the parent of the tip
/// that carries them first, so the votes appear on a branch the honest validators did not choose. It votes honestly.
/// </summary>
internal sealed class FrontRunningStrategy : NodeBehaviour
{
    public override string Name => "front-running";

    public override bool IsHonest => false;

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
        var parent = tip.Parent ?? tip;
        Publish(node, node.BuildBlock(parent, node.SelectFor(parent), nonce: 7), sim);
    }
}

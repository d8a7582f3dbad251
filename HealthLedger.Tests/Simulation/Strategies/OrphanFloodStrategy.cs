using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Simulation.Strategies;

/// <summary>
/// Otherwise honest, but every step sends 5 to 24 blocks whose parents nobody knows (random parent hashes, and chains
/// of such blocks) to random nodes, and never answers a request for their ancestors.
/// </summary>
internal sealed class OrphanFloodStrategy(SimRandom rng) : NodeBehaviour
{
    public override string Name => "orphan-flood";

    public override bool IsHonest => false;

    public override void OnAncestorsRequest(SimNode node, AncestorsRequest request, int from, Simulator sim)
    {
    }

    public override void OnStep(SimNode node, Simulator sim)
    {
        base.OnStep(node, sim);
        var tip = node.Chain.Tip;
        Block? previous = null;
        for (var i = rng.Next(5, 25); i > 0; i--)
        {
            var parentHash = previous is not null && rng.Chance(0.5)
                ? previous.Hash
                : Hash256.Sha256(BitConverter.GetBytes(rng.NextU64()));
            var block = node.BuildBlock(tip, [], nonce: rng.NextU64() | 1, fakeParent: parentHash);
            previous = block;
            sim.Network.Send(node.Index, rng.Next(sim.Nodes.Count), new BlockMessage(block));
        }
    }
}

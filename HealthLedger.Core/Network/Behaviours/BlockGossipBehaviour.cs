using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// Blocks from peers: new-block announcements within the per-peer budget, parentless blocks within the per-peer
/// orphan budget (their parents are asked for), relay of what the chain accepted, and ban score for refusals by
/// <see cref="BlockPenaltyPolicy"/>.
/// </summary>
internal sealed class BlockGossipBehaviour(GossipNode node, GossipOptions options, GossipNode catchUp)
{
    public void OnNewBlock(PeerSession from, NewBlockMessage message)
    {
        if (from.NewBlocks.TryTake(1))
        {
            Accept(from, message.EncodedBlock, relay: true);
        }
        else if (from.NewBlocks.Refusals > 3 * from.NewBlocks.Limit)
        {
            // Far beyond what any honest relay of a fast chain sends: a flood.
            from.Penalise(PeerOffence.BlockFlood, options.FloodPenalty, RejectionCode.None, $"more than {4 * from.NewBlocks.Limit} new blocks in {options.BudgetWindow.TotalSeconds} s (dropped)");
        }

        // Otherwise dropped undecoded and unscored: an honest peer relaying a chain faster than the budget loses nothing
        // (the next block it relays is an orphan here, and the gap is fetched by sync), and we spend nothing on it.
    }

    /// <summary>Offers one block from a peer; returns its hash when it decoded (whatever the chain then said).</summary>
    public Hash256? Accept(PeerSession from, byte[] bytes, bool relay)
    {
        var chain = node.Chain;
        if (BlockPenaltyPolicy.Decode(from, bytes, chain.Genesis.Limits.MaxBlockBytes, options) is not { } block)
        {
            return null;
        }

        // A parentless block is held by the chain until its parent arrives: bound how many one peer can push.
        if (chain.GetEntry(block.Header.PreviousHash) is null && chain.GetEntry(block.Hash) is null && !from.Orphans.TryTake(1))
        {
            if (block.Header.Height > chain.Height + 1)
            {
                // A block above our tip + 1 is parentless here when we are behind (a restart, a partition): honest
                // peers relay their new blocks while we catch up. Dropped unscored and unheld (the orphan pool is not
                // touched); sync fetches the gap, and the new-block budget (a flood penalty beyond 4×) bounds what
                // decoding such blocks costs us, also when the height is a lie. No request here: the sync under way
                // asks within the peer's request budget.
                return block.Hash;
            }

            from.Penalise(PeerOffence.OrphanFlood, options.FloodPenalty, RejectionCode.UnknownParent, $"more than {from.Orphans.Limit} parentless blocks in {options.BudgetWindow.TotalSeconds} s (dropped)");
            return block.Hash;
        }

        var r = chain.AddBlock(block);
        switch (r.Status)
        {
            case BlockStatus.Connected:
            case BlockStatus.SideBranch:
                if (relay)
                {
                    node.Relay(new NewBlockMessage(bytes), except: from);
                }

                break;
            case BlockStatus.Orphan:
                // Normal in a race: ask the peer for what leads to it (one request in flight per peer).
                from.BestKnownHeight = Math.Max(from.BestKnownHeight, block.Header.Height);
                catchUp.CatchUp(from);
                break;
            case BlockStatus.Invalid:
                Penalise(from, r.Validation, block.Hash);
                break;
        }

        return block.Hash;
    }

    private void Penalise(PeerSession from, ValidationResult refusal, Hash256 subject) =>
        BlockPenaltyPolicy.Penalise(from, refusal, subject, options);
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// Blocks from peers: new-block announcements within the per-peer budget, parentless blocks within the per-peer
/// orphan budget (their parents are asked for; beyond it they are dropped unscored and the gap is asked for), relay of
/// what the chain accepted, and ban score for refusals by <see cref="BlockPenaltyPolicy"/>.
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
        if (chain.GetEntry(block.Header.PreviousHash) is null && chain.GetEntry(block.Hash) is null)
        {
            node.LogParentless(from, block.Header);
            if (!from.Orphans.TryTake(1))
            {
                // Beyond the budget: dropped unheld and unscored, whatever its height. Honest peers send such blocks
                // in numbers: one ahead of us while we catch up (a restart, a partition) relays its new blocks, and one
                // on a branch we do not hold (it mined alone for a while, or lost a race we never saw) relays its own.
                // Scoring them banned an honest validator that had mined a short private branch after a restart
                // (a day's ban from every peer: it never rejoined). What such blocks cost us is decoding, which the
                // new-block budget bounds (a flood penalty beyond 4x). Instead the peer is asked for what leads to
                // them: one header request in flight per peer, within its request budget.
                catchUp.CatchUp(from);
                return block.Hash;
            }
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

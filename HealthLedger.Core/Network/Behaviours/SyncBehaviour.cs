using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// Catch-up sync by block locator. As a responder: block requests within the peer's request and byte budgets get
/// best-chain blocks capped in bytes (<see cref="GossipOptions.SyncResponseBytes"/>, at least one block); others get
/// a typed <see cref="NetworkRejectCode.RateLimited"/>. As a requester: one request in flight per peer, batches only
/// when asked for, more requests while batches make progress, a pause when refused for budget.
/// </summary>
internal sealed class SyncBehaviour(GossipNode node, GossipOptions options, TimeProvider time)
{
    /// <summary>Set after construction (the intake asks for parents, the sync hands batches to the intake).</summary>
    public BlockGossipBehaviour Intake { get; set; } = null!;

    public void Request(PeerSession peer)
    {
        if (peer.SyncInFlight || !peer.Link.IsOpen || (peer.SyncRetryAt is { } retry && time.GetUtcNow() < retry))
        {
            return; // a refused peer is asked again by Maintain after its window
        }

        if (!peer.TryAsk())
        {
            peer.SyncRetryAt = peer.AskedOf.WindowEnd;
            return;
        }

        peer.SyncInFlight = true;
        peer.SyncRequestedAt = time.GetUtcNow();
        peer.Send(new GetBlocksMessage(node.Chain.GetLocator().Take(GetBlocksMessage.MaxLocator).ToArray(), options.SyncBatch));
    }

    public void OnGetBlocks(PeerSession from, GetBlocksMessage get)
    {
        if (!from.Requests.TryTake(1))
        {
            Refuse(from, $"more than {from.Requests.Limit} block requests in {options.BudgetWindow.TotalSeconds} s");
            return;
        }

        var blocks = BlocksAfter(get.Locator, Math.Min(get.MaxBlocks, BlocksMessage.MaxBlocks), out var bodyBytes);
        if (!from.ServedBytes.TryTake(bodyBytes))
        {
            Refuse(from, $"{bodyBytes} more response bytes would exceed {from.ServedBytes.Limit} in {options.BudgetWindow.TotalSeconds} s ({from.ServedBytes.Used} used)");
            return;
        }

        from.Send(new BlocksMessage(blocks));
    }

    public void OnBlocks(PeerSession from, BlocksMessage batch)
    {
        if (!from.SyncInFlight)
        {
            from.Penalise(PeerOffence.UnsolicitedBlocks, options.FloodPenalty, RejectionCode.None, $"a batch of {batch.EncodedBlocks.Count} blocks nobody asked for (dropped)");
            return;
        }

        from.SyncInFlight = false;
        Hash256? last = null;
        foreach (var bytes in batch.EncodedBlocks)
        {
            last = Intake.Accept(from, bytes, relay: false);
            if (!from.Link.IsOpen)
            {
                return;
            }
        }

        // Keep asking while the peer's batches end on a block we now hold and the sync moves on; an empty batch ends it.
        if (last is { } tip && tip != from.LastBatchTip && node.Chain.GetEntry(tip) is not null)
        {
            from.LastBatchTip = tip;
            Request(from);
        }
    }

    /// <summary>The peer refused our request for budget reasons: wait for its window, then <see cref="Maintain"/> asks again.</summary>
    public void OnReject(PeerSession from, RejectMessage reject)
    {
        if (reject.Code == (ushort)NetworkRejectCode.RateLimited && from.SyncInFlight)
        {
            from.SyncInFlight = false;
            from.SyncRetryAt = time.GetUtcNow() + options.BudgetWindow;
        }
    }

    public void Maintain(PeerSession peer, DateTimeOffset now)
    {
        if (!peer.HandshakeComplete)
        {
            return;
        }

        if (peer.SyncRetryAt is { } at && now >= at)
        {
            peer.SyncRetryAt = null;
            Request(peer);
        }
        else if (peer.SyncInFlight && now - peer.SyncRequestedAt >= options.SyncTimeout)
        {
            // An unanswered request must not stop this node from ever asking the peer again.
            peer.SyncInFlight = false;
        }
    }

    /// <summary>Refuses a request over budget with a typed reject; the second refusal in a window scores.</summary>
    internal void Refuse(PeerSession from, string reason)
    {
        from.Send(new RejectMessage((ushort)NetworkRejectCode.RateLimited, Hash256.Zero, GossipNode.Truncate(reason)));
        if (from.Requests.Refusals + from.ServedBytes.Refusals > 1)
        {
            // The first refusal in a window is free: an honest peer stops asking until the window has passed.
            from.Penalise(PeerOffence.RequestFlood, options.FloodPenalty, RejectionCode.None, reason);
        }
    }

    /// <summary>The height of the first locator hash on our best chain (0, genesis, when none is).</summary>
    internal static ulong ForkHeight(Chain.Blockchain chain, IReadOnlyList<Hash256> locator)
    {
        foreach (var h in locator)
        {
            if (chain.IsOnBestChain(h) && chain.GetEntry(h) is { } e)
            {
                return e.Height;
            }
        }

        return 0;
    }

    /// <summary>
    /// The best-chain blocks after the first locator hash on our best chain, parents first, stopping before the body
    /// would exceed <see cref="GossipOptions.SyncResponseBytes"/> (but always at least one block).
    /// </summary>
    private List<byte[]> BlocksAfter(IReadOnlyList<Hash256> locator, int max, out long bodyBytes)
    {
        var chain = node.Chain;
        var start = ForkHeight(chain, locator);
        var result = new List<byte[]>();
        bodyBytes = MessageCodec.BlocksBodySize([]);
        for (var height = start + 1; result.Count < max; height++)
        {
            var e = chain.GetBestAt(height);
            if (e is null)
            {
                break;
            }

            byte[] encoded;
            try
            {
                encoded = e.Block.EncodedArray();
            }
            catch (BlockPrunedException)
            {
                // A pruned node serves only recent bodies: the batch ends here (empty when the asker is far behind,
                // which the asker treats as "nothing from this peer", not as misbehaviour).
                break;
            }

            // The batch's array header grows from 1 to 3 bytes at the 16th block.
            var added = MessageCodec.BinHeaderSize(encoded.Length) + encoded.Length + (result.Count == 15 ? 2 : 0);
            if (result.Count > 0 && bodyBytes + added > options.SyncResponseBytes)
            {
                break;
            }

            result.Add(encoded);
            bodyBytes += added;
        }

        return result;
    }
}

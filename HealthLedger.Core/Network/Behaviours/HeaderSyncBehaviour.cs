using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// The first half of headers-first sync. As a responder: best-chain headers after the requester's locator, within its
/// request and byte budgets. As a requester: one <see cref="GetHeadersMessage"/> in flight per peer; every header of
/// an answer is decoded, checked context-free (shape, then the engine's <see cref="Consensus.IConsensusEngine.ValidateHeader"/>:
/// engine id, work against the easiest legal target, seal) and for linkage (the first one's parent is known, each next
/// one is the child of the one before) <b>before</b> any is kept or any body is asked for; one failure refuses the whole
/// answer and scores the peer by <see cref="BlockPenaltyPolicy"/> (a header costs as little to forge as a workless block).
/// Kept headers go to <see cref="PendingHeaders"/> and the <see cref="BlockDownloadBehaviour"/> fetches their bodies.
/// </summary>
internal sealed class HeaderSyncBehaviour(GossipNode node, GossipOptions options, TimeProvider time, PendingHeaders pending, SyncBehaviour budgets)
{
    private readonly BlockValidator _shape = new(node.Chain.Genesis, node.Chain.Engine, node.Chain.TransactionValidator, int.MaxValue);

    /// <summary>Set after construction (headers hand work to the download, the download asks for more headers).</summary>
    public BlockDownloadBehaviour Download { get; set; } = null!;

    public void Request(PeerSession peer)
    {
        if (peer.HeadersInFlight || !peer.Link.IsOpen || !peer.HandshakeComplete)
        {
            return;
        }

        if (pending.Count + options.HeadersBatch > pending.Capacity)
        {
            peer.HeadersWanted = true; // asked again once the download has drained the store
            return;
        }

        // A peer that refused us for budget reasons is asked again by Maintain once its window has passed, and we
        // pace ourselves below its budget: asking anyway costs a penalty per refusal, and a ban.
        if (peer.HeadersRetryAt is { } retry && time.GetUtcNow() < retry)
        {
            peer.HeadersWanted = true;
            return;
        }

        if (!peer.TryAsk())
        {
            peer.HeadersWanted = true;
            peer.HeadersRetryAt = peer.AskedOf.WindowEnd;
            return;
        }

        peer.HeadersWanted = false;
        peer.HeadersInFlight = true;
        peer.HeadersRequestedAt = time.GetUtcNow();
        peer.HeadersLocator = Locator();
        peer.Send(new GetHeadersMessage(peer.HeadersLocator, options.HeadersBatch));
    }

    public void OnGetHeaders(PeerSession from, GetHeadersMessage get)
    {
        if (!from.Requests.TryTake(1))
        {
            budgets.Refuse(from, $"more than {from.Requests.Limit} requests in {options.BudgetWindow.TotalSeconds} s");
            return;
        }

        var chain = node.Chain;
        var headers = new List<byte[]>();
        long bytes = 8;
        for (var height = SyncBehaviour.ForkHeight(chain, get.Locator) + 1; headers.Count < get.MaxHeaders; height++)
        {
            if (chain.GetBestAt(height) is not { } e)
            {
                break;
            }

            var encoded = HeaderCodec.Encode(e.Header);
            headers.Add(encoded);
            bytes += encoded.Length + 3;
        }

        if (!from.ServedBytes.TryTake(bytes))
        {
            budgets.Refuse(from, $"{bytes} more response bytes would exceed {from.ServedBytes.Limit} in {options.BudgetWindow.TotalSeconds} s ({from.ServedBytes.Used} used)");
            return;
        }

        from.Send(new HeadersMessage(headers));
    }

    public void OnHeaders(PeerSession from, HeadersMessage message)
    {
        if (!from.HeadersInFlight)
        {
            from.Penalise(PeerOffence.UnsolicitedBlocks, options.FloodPenalty, RejectionCode.None, $"{message.EncodedHeaders.Count} headers nobody asked for (dropped)");
            return;
        }

        from.HeadersInFlight = false;
        if (message.EncodedHeaders.Count > options.HeadersBatch)
        {
            from.Penalise(PeerOffence.InvalidHeaders, options.WorklessBlockPenalty, RejectionCode.None, $"{message.EncodedHeaders.Count} headers, {options.HeadersBatch} asked for");
            return;
        }

        if (Check(from, message) is not { } headers)
        {
            return;
        }

        if (headers.Count == 0)
        {
            Download.Schedule(); // nothing new from this peer, but it is now free to serve bodies of headers we hold
            return;
        }

        var last = headers[^1];
        from.BestKnownHeight = Math.Max(from.BestKnownHeight, last.Height);
        var chain = node.Chain;
        var added = 0;
        foreach (var h in headers)
        {
            if (chain.GetEntry(h.Hash) is not null)
            {
                continue;
            }

            if (pending.Contains(h.Hash))
            {
                pending.TryAdd(h, from.Link.RemoteName); // one more peer that holds it
                continue;
            }

            if (!pending.TryAdd(h, from.Link.RemoteName))
            {
                break;
            }

            added++;
        }

        Download.Schedule();

        // A full answer that moved us on means the peer has more: ask again (a repeat of known headers ends it).
        if (headers.Count == options.HeadersBatch && last.Hash != from.LastHeadersTip)
        {
            from.LastHeadersTip = last.Hash;
            Request(from);
        }
        else if (added == 0)
        {
            from.LastHeadersTip = last.Hash;
        }
    }

    /// <summary>The peer refused our request for budget reasons: ask again after its window.</summary>
    public void OnRateLimited(PeerSession from)
    {
        if (from.HeadersInFlight)
        {
            from.HeadersInFlight = false;
            from.HeadersWanted = true;
            from.HeadersRetryAt = time.GetUtcNow() + options.BudgetWindow;
        }
    }

    public void Maintain(PeerSession peer, DateTimeOffset now)
    {
        if (peer.HeadersInFlight && now - peer.HeadersRequestedAt >= options.SyncTimeout)
        {
            peer.HeadersInFlight = false; // an unanswered request must not stop us from ever asking the peer again
        }
        else if (peer.HeadersRetryAt is { } at && now >= at)
        {
            peer.HeadersRetryAt = null;
            Request(peer);
        }
    }

    /// <summary>Headers that wait for the store to drain: asked for again once there is room.</summary>
    public void ResumeWaiting()
    {
        if (pending.Count + options.HeadersBatch > pending.Capacity)
        {
            return;
        }

        foreach (var p in node.Peers)
        {
            if (p.HeadersWanted && p.HeadersRetryAt is null)
            {
                Request(p);
            }
        }
    }

    /// <summary>Our highest pending header, then the chain's locator.</summary>
    private Hash256[] Locator()
    {
        var chainLocator = node.Chain.GetLocator();
        return pending.Highest is { } best
            ? [best.Hash, .. chainLocator.Take(GetBlocksMessage.MaxLocator - 1)]
            : [.. chainLocator.Take(GetBlocksMessage.MaxLocator)];
    }

    /// <summary>Decodes and checks every header of an answer; null (and the peer scored) if any fails.</summary>
    private List<BlockHeader>? Check(PeerSession from, HeadersMessage message)
    {
        var chain = node.Chain;
        var genesis = chain.Genesis;
        var headers = new List<BlockHeader>(message.EncodedHeaders.Count);
        BlockHeader? previous = null;
        foreach (var bytes in message.EncodedHeaders)
        {
            BlockHeader h;
            try
            {
                h = HeaderCodec.Decode(bytes);
            }
            catch (LedgerFormatException ex)
            {
                Penalise(from, ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message), Hash256.Zero);
                return null;
            }

            // Cheapest first: linkage (a comparison), shape, then the engine (a hash, then any seal signature).
            if (previous is null)
            {
                var parentHeight = chain.GetEntry(h.PreviousHash)?.Height ?? pending.Get(h.PreviousHash)?.Height;
                if (parentHeight is not { } ph)
                {
                    if (from.HeadersLocator.Contains(h.PreviousHash))
                    {
                        // An answer to our locator whose starting point we have forgotten since we asked: a pending
                        // header dropped because nobody served its body, or a side block pruned below a new final
                        // block. The peer did nothing wrong; the answer is dropped and the next request asks again.
                        return [];
                    }

                    from.Penalise(PeerOffence.InvalidHeaders, options.InvalidBlockPenalty, RejectionCode.UnknownParent, $"the first header {h} does not follow any block or header we know (not an answer to our locator)");
                    return null;
                }

                if (h.Height != ph + 1)
                {
                    Penalise(from, ValidationResult.Reject(RejectionCode.HeightMismatch, $"header {h} on a parent at height {ph}", (long)h.Height, (long)ph + 1), h.Hash);
                    return null;
                }
            }
            else if (h.PreviousHash != previous.Hash || h.Height != previous.Height + 1)
            {
                from.Penalise(PeerOffence.InvalidHeaders, options.WorklessBlockPenalty, RejectionCode.None, $"header {h} is not the child of the header before it ({previous})");
                return null;
            }

            var result = _shape.CheckHeaderShape(h);
            if (result.IsValid)
            {
                result = chain.Engine.ValidateHeader(h, genesis);
            }

            if (!result.IsValid)
            {
                Penalise(from, result, h.Hash);
                return null;
            }

            headers.Add(h);
            previous = h;
        }

        return headers;
    }

    private void Penalise(PeerSession from, ValidationResult refusal, Hash256 subject)
    {
        var (offence, points) = BlockPenaltyPolicy.Classify(refusal.Code, options) ?? (PeerOffence.InvalidHeaders, options.InvalidBlockPenalty);
        from.Send(new RejectMessage((ushort)refusal.Code, subject, GossipNode.Truncate("header: " + refusal)));
        from.Penalise(offence == PeerOffence.InvalidBlock ? PeerOffence.InvalidHeaders : offence, points, refusal.Code, "header: " + refusal);
    }
}

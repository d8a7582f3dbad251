using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// The second half of headers-first sync: the bodies of <see cref="PendingHeaders"/>, fetched by hash from several
/// peers at once. Lowest heights first, within <see cref="GossipOptions.DownloadWindow"/> blocks of the tip and
/// <see cref="GossipOptions.MaxBufferedBlockBytes"/> of bodies held; each peer gets at most one request of at most
/// <see cref="GossipOptions.MaxBlocksInFlightPerPeer"/> hashes, for heights it told us it has; a hash is not asked of
/// the peer that last failed to serve it while another can. A request unanswered within
/// <see cref="GossipOptions.BlockRequestTimeout"/>, a hash left out of an answer, or a peer gone, frees the hashes for
/// another peer. Bodies arrive in any order and are handed to the chain parents first; a block sent unasked, not
/// matching its header, or refused by the chain scores its sender. As a responder: blocks by hash (any branch) within
/// the request and byte budgets, capped per answer like sync responses.
/// </summary>
internal sealed class BlockDownloadBehaviour(GossipNode node, GossipOptions options, TimeProvider time, PendingHeaders pending, HeaderSyncBehaviour headers, SyncBehaviour budgets)
{
    private readonly HashSet<Hash256> _inFlight = [];
    private readonly Dictionary<Hash256, Arrived> _buffer = [];
    private readonly Dictionary<Hash256, PeerSession> _notServedBy = [];
    private readonly Dictionary<string, long> _downloadedFrom = [];
    private readonly Dictionary<Hash256, int> _failures = [];

    /// <summary>
    /// A pending header whose body was left out, timed out or lost with its peer this many times is dropped with its
    /// descendants: headers nobody serves (a peer announced them and vanished) must not fill the store and stop sync.
    /// An honest header dropped this way is learned again from the next header answer.
    /// </summary>
    internal const int MaxFetchFailures = 3;
    private long _bufferedBytes;

    /// <summary>Blocks received through the download, by the peer that served them.</summary>
    public IReadOnlyDictionary<string, long> DownloadedFrom => new Dictionary<string, long>(_downloadedFrom);

    /// <summary>Bodies received and not yet handed to the chain (their parents are missing).</summary>
    public int Buffered => _buffer.Count;

    public void OnGetBlockData(PeerSession from, GetBlockDataMessage get)
    {
        if (!from.Requests.TryTake(1))
        {
            budgets.Refuse(from, $"more than {from.Requests.Limit} requests in {options.BudgetWindow.TotalSeconds} s");
            return;
        }

        var blocks = new List<byte[]>();
        var bodyBytes = MessageCodec.BlocksBodySize([]);
        foreach (var hash in get.Hashes)
        {
            if (node.Chain.GetEntry(hash) is not { } e || TryBody(e) is not { } block)
            {
                // Unknown, or a body this node pruned: left out. The asker retries elsewhere (a header whose body
                // does not arrive three times is dropped); leaving out is never a reason to penalise the server.
                continue;
            }

            var encoded = block.EncodedArray();
            var added = MessageCodec.BinHeaderSize(encoded.Length) + encoded.Length + (blocks.Count == 15 ? 2 : 0);
            if (blocks.Count > 0 && bodyBytes + added > options.SyncResponseBytes)
            {
                break;
            }

            blocks.Add(encoded);
            bodyBytes += added;
        }

        if (!from.ServedBytes.TryTake(bodyBytes))
        {
            budgets.Refuse(from, $"{bodyBytes} more response bytes would exceed {from.ServedBytes.Limit} in {options.BudgetWindow.TotalSeconds} s ({from.ServedBytes.Used} used)");
            return;
        }

        from.Send(new BlockDataMessage(blocks));
    }

    public void OnBlockData(PeerSession from, BlockDataMessage message)
    {
        if (from.BlockRequest is not { } asked)
        {
            from.Penalise(PeerOffence.UnsolicitedBlocks, options.FloodPenalty, RejectionCode.None, $"{message.EncodedBlocks.Count} blocks nobody asked for (dropped)");
            return;
        }

        from.BlockRequest = null;
        var wanted = asked.ToHashSet();
        foreach (var bytes in message.EncodedBlocks)
        {
            if (Receive(from, bytes, wanted) is { } hash)
            {
                wanted.Remove(hash);
            }

            if (!from.Link.IsOpen)
            {
                break;
            }
        }

        // An answer that served some of what was asked and left out the rest stopped at the responder's byte cap
        // (answers are capped like sync responses): the rest is simply asked again, and is no failure of its own.
        // Left out of an answer that served nothing: that peer does not hold it, someone else may.
        var servedSome = wanted.Count < asked.Count;
        foreach (var hash in wanted)
        {
            _inFlight.Remove(hash);
            if (!servedSome)
            {
                _notServedBy[hash] = from;
                Failed(hash, from);
            }
        }

        Drain();
        Schedule();
    }

    /// <summary>The peer refused our request for budget reasons: its hashes go to others, it is asked again after its window.</summary>
    public void OnRateLimited(PeerSession from)
    {
        if (from.BlockRequest is not null)
        {
            Release(from);
            from.BlockRetryAt = time.GetUtcNow() + options.BudgetWindow;
            Schedule();
        }
    }

    public void OnClosed(PeerSession peer)
    {
        if (peer.BlockRequest is not null)
        {
            Release(peer);
            Schedule();
        }
    }

    public void Maintain(PeerSession peer, DateTimeOffset now)
    {
        if (peer.BlockRequest is not null && now - peer.BlockRequestedAt >= options.BlockRequestTimeout)
        {
            // A stalling peer (slow, or serving a frame a byte at a time) loses its hashes and waits out one timeout.
            Release(peer);
            peer.BlockRetryAt = now + options.BlockRequestTimeout;
            Schedule();
        }
        else if (peer.BlockRetryAt is { } at && now >= at)
        {
            peer.BlockRetryAt = null;
            Schedule();
        }
    }

    /// <summary>Hands what can be connected to the chain, then gives every idle peer a request for the lowest wanted hashes.</summary>
    public void Schedule()
    {
        var chain = node.Chain;
        var idle = node.Peers.Where(p => p.HandshakeComplete && p.Link.IsOpen && p.BlockRequest is null && p.BlockRetryAt is null).ToList();
        foreach (var paced in idle.Where(p => p.AskedOf.Used >= p.AskedOf.Limit).ToList())
        {
            paced.BlockRetryAt = paced.AskedOf.WindowEnd; // Maintain schedules again once our pacing window has passed
            idle.Remove(paced);
        }

        if (pending.Count == 0)
        {
            return;
        }

        var limit = chain.Height + (ulong)options.DownloadWindow;
        var batches = new Dictionary<PeerSession, List<Hash256>>();
        foreach (var h in pending.Lowest(options.DownloadWindow + _inFlight.Count + _buffer.Count))
        {
            if (idle.Count == 0 || h.Height > limit || _bufferedBytes >= options.MaxBufferedBlockBytes)
            {
                break;
            }

            if (chain.GetEntry(h.Hash) is not null)
            {
                pending.Remove(h.Hash); // arrived by gossip meanwhile
                continue;
            }

            if (_inFlight.Contains(h.Hash) || _buffer.ContainsKey(h.Hash))
            {
                continue;
            }

            // A peer that announced the header holds the block: ask one of those first. Otherwise fill one peer's
            // request before the next (spreads a long download across peers in runs of heights); avoid the peer that
            // last left this hash out while another one can be asked. Without the first rule the branch of one peer
            // (a validator that mined alone for a while) was asked of peers that never had it, and its headers were
            // dropped after three such failures.
            var failed = _notServedBy.GetValueOrDefault(h.Hash);
            var peer = idle.FirstOrDefault(p => pending.Announcers(h.Hash).Contains(p.Link.RemoteName) && !ReferenceEquals(p, failed))
                ?? idle.FirstOrDefault(p => p.BestKnownHeight >= h.Height && !ReferenceEquals(p, failed))
                ?? idle.FirstOrDefault(p => p.BestKnownHeight >= h.Height);
            if (peer is null)
            {
                continue;
            }

            if (!batches.TryGetValue(peer, out var batch))
            {
                batches[peer] = batch = [];
            }

            batch.Add(h.Hash);
            _inFlight.Add(h.Hash);
            if (batch.Count >= options.MaxBlocksInFlightPerPeer)
            {
                idle.Remove(peer);
            }
        }

        var now = time.GetUtcNow();
        foreach (var (peer, batch) in batches)
        {
            if (!peer.TryAsk())
            {
                // Over our own pacing for this peer (checked above, so only if something asked it meanwhile).
                _inFlight.ExceptWith(batch);
                peer.BlockRetryAt = peer.AskedOf.WindowEnd;
                continue;
            }

            peer.BlockRequest = batch;
            peer.BlockRequestedAt = now;
            peer.Send(new GetBlockDataMessage(batch));
        }
    }

    /// <summary>Checks one body of an answer and buffers it; returns its hash when it was one asked for.</summary>
    private Hash256? Receive(PeerSession from, byte[] bytes, HashSet<Hash256> wanted)
    {
        if (BlockPenaltyPolicy.Decode(from, bytes, node.Chain.Genesis.Limits.MaxBlockBytes, options) is not { } block)
        {
            return null;
        }

        if (!wanted.Contains(block.Hash))
        {
            from.Penalise(PeerOffence.UnsolicitedBlocks, options.FloodPenalty, RejectionCode.None, $"block {block.Header} was not asked of this peer (dropped)");
            return null;
        }

        // The hash covers the header only: a body that does not match its header's Merkle root is the sender's forgery
        // (the header stays good and is asked of another peer).
        if (block.ComputeMerkleRoot() != block.Header.MerkleRoot)
        {
            Penalise(from, ValidationResult.Reject(RejectionCode.BadMerkleRoot, $"body of {block.Header} does not match its Merkle root"), block.Hash);
            return null;
        }

        _inFlight.Remove(block.Hash);
        _notServedBy.Remove(block.Hash);
        _failures.Remove(block.Hash);
        if (_buffer.TryAdd(block.Hash, new Arrived(block, from)))
        {
            _bufferedBytes += bytes.Length;
            _downloadedFrom[from.Link.RemoteName] = _downloadedFrom.GetValueOrDefault(from.Link.RemoteName) + 1;
        }

        return block.Hash;
    }

    /// <summary>Hands buffered bodies whose parents are in the chain to it, lowest height first (one pass connects a run).</summary>
    private void Drain()
    {
        var chain = node.Chain;
        foreach (var arrived in _buffer.Values.OrderBy(a => a.Block.Header.Height).ToList())
        {
            var block = arrived.Block;
            if (!_buffer.ContainsKey(block.Hash) || chain.GetEntry(block.Header.PreviousHash) is null)
            {
                continue;
            }

            Forget(block);
            var r = chain.AddBlock(block);
            switch (r.Status)
            {
                case BlockStatus.Connected:
                case BlockStatus.SideBranch:
                case BlockStatus.Orphan:
                    pending.Remove(block.Hash);
                    break;
                case BlockStatus.Invalid:
                    if (r.Validation.Code is RejectionCode.AlreadyKnown)
                    {
                        pending.Remove(block.Hash);
                        break;
                    }

                    Penalise(arrived.From, r.Validation, block.Hash);

                    // Its header passed the checks but the block did not: nothing built on it can connect.
                    pending.RemoveWithDescendants(block.Hash);
                    foreach (var orphaned in _buffer.Values.Where(a => !pending.Contains(a.Block.Hash)).ToList())
                    {
                        Forget(orphaned.Block);
                    }

                    break;
            }
        }

        headers.ResumeWaiting();
    }

    private void Forget(Block block)
    {
        if (_buffer.Remove(block.Hash))
        {
            _bufferedBytes -= block.Encode().Length;
        }
    }

    private void Release(PeerSession peer)
    {
        foreach (var hash in peer.BlockRequest ?? [])
        {
            _inFlight.Remove(hash);
            _notServedBy[hash] = peer;
            Failed(hash, peer);
        }

        peer.BlockRequest = null;
        CleanNotServed();
    }

    private void Failed(Hash256 hash, PeerSession by)
    {
        var announcers = pending.Announcers(hash);
        if (announcers.Count > 0 && !announcers.Contains(by.Link.RemoteName) && node.Peers.Any(p => p.Link.IsOpen && announcers.Contains(p.Link.RemoteName)))
        {
            return; // a peer that never announced it may well not hold it; one that did is still connected to ask
        }

        var n = _failures.GetValueOrDefault(hash) + 1;
        if (n < MaxFetchFailures)
        {
            _failures[hash] = n;
            return;
        }

        _failures.Remove(hash);
        _notServedBy.Remove(hash);
        pending.RemoveWithDescendants(hash);
    }

    /// <summary>Keeps the "who failed this hash" memory within what is still pending.</summary>
    private void CleanNotServed()
    {
        if (_notServedBy.Count + _failures.Count > 2 * options.DownloadWindow)
        {
            foreach (var hash in _notServedBy.Keys.Where(h => !pending.Contains(h)).ToList())
            {
                _notServedBy.Remove(hash);
            }

            foreach (var hash in _failures.Keys.Where(h => !pending.Contains(h)).ToList())
            {
                _failures.Remove(hash);
            }
        }
    }

    private static Block? TryBody(ChainEntry entry)
    {
        try
        {
            return entry.Block;
        }
        catch (BlockPrunedException)
        {
            return null;
        }
    }

    private void Penalise(PeerSession from, ValidationResult refusal, Hash256 subject) =>
        BlockPenaltyPolicy.Penalise(from, refusal, subject, options);

    private sealed record Arrived(Block Block, PeerSession From);
}

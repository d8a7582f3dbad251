namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// The mandatory handshake: builds this node's hello, checks the peer's (protocol version, chain id, genesis hash,
/// not our own nonce), refuses a mismatch with a typed reject, and drops peers that stay silent too long. Once a peer
/// is through, it is asked for blocks beyond our tip and sent our pending transactions.
/// </summary>
internal sealed class HandshakeBehaviour(GossipNode node, GossipOptions options, GossipNode catchUp)
{
    public HelloMessage MakeHello(ulong nonce)
    {
        var tip = node.Chain.Tip;
        return new HelloMessage(options.ProtocolVersion, node.Chain.Genesis.ChainId, node.Chain.GenesisEntry.Hash, tip.Height, tip.Hash, nonce);
    }

    public void OnHello(PeerSession from, HelloMessage hello)
    {
        var chain = node.Chain;
        if (from.HandshakeComplete)
        {
            from.Penalise(PeerOffence.DuplicateHello, options.ProtocolViolationPenalty, Validation.RejectionCode.None, "a second hello (ignored)");
        }
        else if (hello.ProtocolVersion != options.ProtocolVersion)
        {
            from.Refuse(NetworkRejectCode.UnsupportedProtocolVersion, $"protocol version {hello.ProtocolVersion}, this node speaks {options.ProtocolVersion}");
        }
        else if (hello.ChainId != chain.Genesis.ChainId)
        {
            from.Refuse(NetworkRejectCode.WrongChain, $"chain {hello.ChainId}, this is chain {chain.Genesis.ChainId}");
        }
        else if (hello.GenesisHash != chain.GenesisEntry.Hash)
        {
            from.Refuse(NetworkRejectCode.WrongGenesis, $"genesis {hello.GenesisHash.ToShortString()}, this chain's is {chain.GenesisEntry.Hash.ToShortString()}", hello.GenesisHash);
        }
        else if (node.IsOwnNonce(hello.Nonce))
        {
            from.Refuse(NetworkRejectCode.SelfConnection, "connected to itself");
        }
        else
        {
            from.HandshakeComplete = true;
            from.RemoteHello = hello;
            from.RemoteHeight = hello.Height;
            from.BestKnownHeight = hello.Height;
            if (hello.Height > chain.Height || chain.GetEntry(hello.TipHash) is null)
            {
                catchUp.CatchUp(from);
            }

            // Pending transactions the peer may have missed while it was not connected (a submission made before any
            // peer was up would otherwise stay in this node's pool forever): highest priority first, at most half the
            // peer's per-window transaction budget so this never costs us its goodwill.
            foreach (var tx in node.Pool.SelectForBlock(Math.Max(0, options.MaxTransactionsPerWindow / 2)))
            {
                from.Send(new NewTransactionMessage(tx.EncodedArray()));
            }
        }
    }

    /// <summary>Anything but a hello (or a reject) before the handshake: ignored and scored.</summary>
    public void OnEarlyMessage(PeerSession from, NetworkMessage message) =>
        from.Penalise(PeerOffence.MessageBeforeHandshake, options.ProtocolViolationPenalty, Validation.RejectionCode.None, $"{message.Type} before the hello (ignored)");

    public void Maintain(PeerSession peer, DateTimeOffset now)
    {
        if (!peer.HandshakeComplete && now - peer.ConnectedAt >= options.HandshakeTimeout)
        {
            peer.Refuse(NetworkRejectCode.HandshakeTimeout, $"no hello within {options.HandshakeTimeout.TotalSeconds} s");
        }
    }
}

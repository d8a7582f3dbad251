using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;

namespace HealthLedger.Tests.Network;

/// <summary>
/// A hand-driven peer for attacking a <see cref="GossipNode"/>: it sends whatever frames a test writes and records
/// every message the node sends back. Created connected; the node's side of the link is <see cref="Session"/>.
/// </summary>
internal sealed class RawPeer : IDisposable
{
    private readonly FrameReader _reader = new();
    private readonly List<NetworkMessage> _received = [];

    public RawPeer(InMemoryNetwork network, GossipNode target, string name = "evil")
    {
        Target = target;
        (Link, var theirs) = network.Connect(name, target.Name);
        Link.Received += bytes => _received.AddRange(_reader.Feed(bytes.Span));
        Session = target.Attach(theirs);
    }

    public GossipNode Target { get; }

    public IPeerLink Link { get; }

    public PeerSession Session { get; }

    public IReadOnlyList<NetworkMessage> Received => _received;

    public IEnumerable<RejectMessage> Rejects => _received.OfType<RejectMessage>();

    public static HelloMessage HelloFor(GossipNode node, ulong nonce = 42) =>
        new(1, node.Chain.Genesis.ChainId, node.Chain.GenesisEntry.Hash, 0, node.Chain.GenesisEntry.Hash, nonce);

    /// <summary>Sends a valid hello for the target's chain.</summary>
    public RawPeer Hello()
    {
        Send(HelloFor(Target));
        return this;
    }

    public void Send(NetworkMessage message) => Link.Send(MessageCodec.EncodeFrame(message));

    public void SendRaw(byte[] bytes) => Link.Send(bytes);

    public void Clear() => _received.Clear();

    public void Dispose() => _reader.Dispose();
}

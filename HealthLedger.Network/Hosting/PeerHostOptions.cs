using System.Net;
using PublicKey = HealthLedger.Core.Crypto.PublicKey;

namespace HealthLedger.Network.Hosting;

/// <summary>A peer to keep a connection to: where it listens and the node key it must prove.</summary>
/// <param name="EndPoint">Its TCP address.</param>
/// <param name="NodeKey">Its node key (a peer that proves another key is refused).</param>
public sealed record PeerAddress(IPEndPoint EndPoint, PublicKey NodeKey);

/// <summary>Where a <see cref="PeerHost"/> listens, whom it dials, and how it paces itself.</summary>
public sealed record PeerHostOptions
{
    /// <summary>The address to listen on (loopback by default; port 0 picks a free port).</summary>
    public IPEndPoint ListenOn { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>Peers to dial and keep connected (reconnecting with backoff).</summary>
    public IReadOnlyList<PeerAddress> Peers { get; init; } = [];

    /// <summary>Most inbound connections held at once; further ones are closed after their handshake.</summary>
    public int MaxInbound { get; init; } = 32;

    /// <summary>How often the gossip layer's housekeeping runs (handshake and request timeouts, budgets).</summary>
    public TimeSpan MaintainInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>First delay before redialling a peer; doubles (with jitter) up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Longest delay between redials.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most work items queued for the node's loop; senders wait when it is full (backpressure on fast peers).</summary>
    public int LoopCapacity { get; init; } = 10_000;
}

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>
/// Liveness: answers pings, records pongs (injected clock), pings a peer that has been quiet for a third of
/// <see cref="GossipOptions.IdleTimeout"/>, and drops one that completed no message for the whole timeout (a peer
/// trickling a frame a byte at a time never completes one: this is what ends a slow-loris connection).
/// </summary>
internal sealed class PingBehaviour(TimeProvider time, GossipOptions options)
{
    public static void OnPing(PeerSession from, PingMessage ping) => from.Send(new PongMessage(ping.Nonce));

    public void OnPong(PeerSession from) => from.LastPong = time.GetUtcNow();

    public void Maintain(PeerSession peer, DateTimeOffset now)
    {
        if (!peer.HandshakeComplete)
        {
            return;
        }

        var quiet = now - peer.LastMessageAt;
        if (quiet >= options.IdleTimeout)
        {
            peer.Refuse(NetworkRejectCode.IdleTimeout, $"no complete message in {quiet.TotalSeconds:0} s (limit {options.IdleTimeout.TotalSeconds} s)");
        }
        else if (quiet >= options.IdleTimeout / 3 && (peer.LastPingAt is not { } sent || now - sent >= options.IdleTimeout / 3))
        {
            peer.LastPingAt = now;
            peer.Send(new PingMessage((ulong)now.ToUnixTimeMilliseconds()));
        }
    }
}

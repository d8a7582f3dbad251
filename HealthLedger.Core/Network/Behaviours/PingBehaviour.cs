namespace HealthLedger.Core.Network.Behaviours;

/// <summary>Liveness: answers pings, records pongs (injected clock).</summary>
internal sealed class PingBehaviour(TimeProvider time)
{
    public static void OnPing(PeerSession from, PingMessage ping) => from.Send(new PongMessage(ping.Nonce));

    public void OnPong(PeerSession from) => from.LastPong = time.GetUtcNow();
}

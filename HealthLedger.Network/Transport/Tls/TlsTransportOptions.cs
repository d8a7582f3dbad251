using HealthLedger.Core.Crypto;

namespace HealthLedger.Network.Transport.Tls;

/// <summary>How a node authenticates itself and its peers over TLS.</summary>
public sealed record TlsTransportOptions
{
    /// <summary>The node's identity key: it signs the binding in each connection's certificate.</summary>
    public required KeyPair NodeKey { get; init; }

    /// <summary>The chain id bound into certificates (a certificate for another chain is refused).</summary>
    public required uint ChainId { get; init; }

    /// <summary>Decides whether a peer that proved this node key may connect (for example: a registered node, or any key when read-only sync is allowed). Null admits every authenticated key.</summary>
    public Func<PublicKey, bool>? AdmitPeer { get; init; }

    /// <summary>Longest time a TCP connect plus TLS handshake may take; a peer that stalls the handshake is dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Lifetime of each connection's certificate.</summary>
    public TimeSpan CertificateLifetime { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Most bytes read from the socket at once (one <see cref="Core.Network.IPeerLink.Received"/> chunk).</summary>
    public int ReadChunkBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Most bytes queued for a peer that has not read them yet. Sends never block the caller (the node loop); a peer that
    /// stops reading while we send it this much is disconnected, so a slow reader cannot stall the node or its memory.
    /// </summary>
    public long MaxQueuedSendBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>The clock for certificate validity.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

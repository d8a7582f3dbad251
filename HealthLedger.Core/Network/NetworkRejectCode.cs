namespace HealthLedger.Core.Network;

/// <summary>
/// Refusals of the peer protocol itself, carried in <see cref="RejectMessage.Code"/> beside the ledger's
/// <see cref="Validation.RejectionCode"/> numbers (which stay below 600). Numbers are part of the protocol.
/// </summary>
public enum NetworkRejectCode : ushort
{
    /// <summary>The hello names another protocol version.</summary>
    UnsupportedProtocolVersion = 600,

    /// <summary>The hello names another chain id.</summary>
    WrongChain = 601,

    /// <summary>The hello names another genesis block.</summary>
    WrongGenesis = 602,

    /// <summary>The hello carries this node's own nonce: a connection to itself.</summary>
    SelfConnection = 603,

    /// <summary>No hello arrived within the handshake timeout.</summary>
    HandshakeTimeout = 604,

    /// <summary>The peer is banned (its identity is on the ban list until the ban expires).</summary>
    Banned = 605,

    /// <summary>The node already has its maximum number of peers.</summary>
    TooManyPeers = 606,

    /// <summary>The request exceeds the peer's request or byte budget for the current window; retry after it.</summary>
    RateLimited = 607,

    /// <summary>The peer's misbehaviour score reached the ban threshold.</summary>
    Misbehaviour = 608,

    /// <summary>The peer completed no message within the idle timeout (it is silent, or trickling a partial frame).</summary>
    IdleTimeout = 609,
}

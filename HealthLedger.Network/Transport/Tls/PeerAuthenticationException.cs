namespace HealthLedger.Network.Transport.Tls;

/// <summary>A TLS peer could not be authenticated as a node: no certificate, a binding that does not verify, the wrong node key, or a key the node does not admit.</summary>
public sealed class PeerAuthenticationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PeerAuthenticationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public PeerAuthenticationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public PeerAuthenticationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

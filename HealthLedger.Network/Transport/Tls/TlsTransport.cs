using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using HealthLedger.Core.Crypto;
using PublicKey = HealthLedger.Core.Crypto.PublicKey;

namespace HealthLedger.Network.Transport.Tls;

/// <summary>
/// TCP with TLS 1.3 and mutual authentication by node key (<see cref="NodeCertificate"/>): dial a peer, or listen for
/// peers. Both sides present a fresh certificate bound to their node key; a connection is handed out only after the
/// peer proved its key, the key is the one expected (when dialling a known peer) and <see cref="TlsTransportOptions.AdmitPeer"/>
/// admits it. A handshake that does not finish within <see cref="TlsTransportOptions.HandshakeTimeout"/> is dropped.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use: it holds only its options, and every dial or accept has state of its own.</remarks>
public sealed class TlsTransport(TlsTransportOptions options)
{
    private const string TargetHost = "healthledger-node";

    private readonly TlsTransportOptions _options = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Dials <paramref name="endpoint"/>; when <paramref name="expectedKey"/> is given the peer must prove exactly that node key.</summary>
    /// <exception cref="PeerAuthenticationException">The peer did not authenticate as an admitted node (or not as the expected one).</exception>
    /// <exception cref="AuthenticationException">The TLS handshake failed.</exception>
    /// <exception cref="OperationCanceledException">The handshake timed out or was cancelled.</exception>
    public async Task<TlsPeerLink> ConnectAsync(IPEndPoint endpoint, PublicKey? expectedKey = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HandshakeTimeout);
        var tcp = new TcpClient(endpoint.AddressFamily) { NoDelay = true };
        SslStream? ssl = null;
        try
        {
            await tcp.ConnectAsync(endpoint, timeout.Token).ConfigureAwait(false);
            var verifier = new PeerVerifier(_options, expectedKey);
            ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            using var certificate = NodeCertificate.Create(_options.NodeKey, _options.ChainId, _options.Time.GetUtcNow(), _options.CertificateLifetime);
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = TargetHost,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    ClientCertificates = [certificate],
                    LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
                    RemoteCertificateValidationCallback = verifier.Validate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                timeout.Token).ConfigureAwait(false);
            var link = new TlsPeerLink(tcp, ssl, verifier.Require(), _options.ReadChunkBytes, _options.MaxQueuedSendBytes);
            return link;
        }
        catch
        {
            ssl?.Dispose();
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Listens on <paramref name="endpoint"/> (port 0 picks a free port; see <see cref="TlsListener.LocalEndPoint"/>).</summary>
    public TlsListener Listen(IPEndPoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var listener = new TcpListener(endpoint);
        listener.Start();
        return new TlsListener(listener, this);
    }

    /// <summary>Runs the server side of the handshake on an accepted socket.</summary>
    internal async Task<TlsPeerLink> AuthenticateInboundAsync(TcpClient tcp, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.HandshakeTimeout);
        tcp.NoDelay = true;
        SslStream? ssl = null;
        try
        {
            var verifier = new PeerVerifier(_options, expectedKey: null);
            ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            using var certificate = NodeCertificate.Create(_options.NodeKey, _options.ChainId, _options.Time.GetUtcNow(), _options.CertificateLifetime);
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = certificate,
                    ClientCertificateRequired = true,
                    EnabledSslProtocols = SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = verifier.Validate,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                },
                timeout.Token).ConfigureAwait(false);
            return new TlsPeerLink(tcp, ssl, verifier.Require(), _options.ReadChunkBytes, _options.MaxQueuedSendBytes);
        }
        catch
        {
            ssl?.Dispose();
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Checks the peer's certificate during the handshake and remembers the proven key.</summary>
    private sealed class PeerVerifier(TlsTransportOptions options, PublicKey? expectedKey)
    {
        private PublicKey? _proven;
        private string _error = "the peer presented no certificate";

        public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            // Self-signed by design: chain errors are expected; what matters is the node-key binding.
            if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            {
                _error = "the peer presented no certificate";
                return false;
            }

            using var cert = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
            if (!NodeCertificate.TryVerify(cert, options.ChainId, options.Time.GetUtcNow(), out var key, out var error))
            {
                _error = error;
                return false;
            }

            if (expectedKey is { } expected && expected != key)
            {
                _error = $"the peer proved node key {key.ToAddress()}, expected {expected.ToAddress()}";
                return false;
            }

            if (options.AdmitPeer is { } admit && !admit(key))
            {
                _error = $"node {key.ToAddress()} is not admitted";
                return false;
            }

            _proven = key;
            return true;
        }

        public PublicKey Require() => _proven ?? throw new PeerAuthenticationException(_error);
    }
}

/// <summary>Accepts authenticated inbound connections.</summary>
/// <remarks>Thread safety: accept from one loop; disposing (from any thread) stops accepting.</remarks>
public sealed class TlsListener : IDisposable
{
    private readonly TcpListener _listener;
    private readonly TlsTransport _transport;

    internal TlsListener(TcpListener listener, TlsTransport transport)
    {
        _listener = listener;
        _transport = transport;
    }

    /// <summary>The bound address (with the port chosen when listening on port 0).</summary>
    public IPEndPoint LocalEndPoint => (IPEndPoint)_listener.LocalEndpoint;

    /// <summary>
    /// Accepts the next connection and authenticates it. A peer that fails authentication or stalls the handshake is
    /// disconnected and the failure is thrown (<see cref="PeerAuthenticationException"/>, <see cref="AuthenticationException"/>,
    /// <see cref="OperationCanceledException"/> on timeout); the listener stays usable.
    /// </summary>
    public async Task<TlsPeerLink> AcceptAsync(CancellationToken cancellationToken = default)
    {
        var tcp = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
        return await _transport.AuthenticateInboundAsync(tcp, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}

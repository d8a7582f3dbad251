using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;

namespace HealthLedger.Network.Transport.Tls;

/// <summary>
/// An authenticated TLS 1.3 connection to a peer node, as an <see cref="IPeerLink"/>: bytes in, bytes out, frames are
/// the protocol layer's business. <see cref="Received"/> is raised on a background reader, one chunk at a time and in
/// order, each chunk a fresh array the handler may keep; <see cref="Send"/> may be called from any thread (writes are
/// serialised). The first I/O error closes the link.
/// </summary>
public sealed class TlsPeerLink : IPeerLink, IDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;
    private readonly object _writeGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly int _chunkBytes;
    private int _closed;
    private int _started;

    internal TlsPeerLink(TcpClient tcp, SslStream ssl, PublicKey remoteKey, int chunkBytes)
    {
        _tcp = tcp;
        _ssl = ssl;
        _chunkBytes = chunkBytes;
        RemoteKey = remoteKey;
        RemoteEndPoint = tcp.Client.RemoteEndPoint;
        Protocol = ssl.SslProtocol;
    }

    /// <summary>The peer's node key, proven in the handshake.</summary>
    public PublicKey RemoteKey { get; }

    /// <summary>The peer's socket address.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>The negotiated protocol (always TLS 1.3).</summary>
    public System.Security.Authentication.SslProtocols Protocol { get; }

    /// <summary>The peer's node address: the gossip layer's bans and budgets bind the proven key, not the socket.</summary>
    public string RemoteName => RemoteKey.ToAddress().ToString();

    /// <inheritdoc />
    public bool IsOpen => Volatile.Read(ref _closed) == 0;

    /// <inheritdoc />
    public event Action<ReadOnlyMemory<byte>>? Received;

    /// <inheritdoc />
    public event Action? Closed;

    /// <summary>Starts the background reader; call once, after subscribing to <see cref="Received"/>.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _ = Task.Run(ReadLoopAsync);
        }
    }

    /// <inheritdoc />
    public void Send(ReadOnlyMemory<byte> bytes)
    {
        if (!IsOpen)
        {
            return;
        }

        try
        {
            lock (_writeGate)
            {
                _ssl.Write(bytes.Span);
                _ssl.Flush();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            Close();
        }
    }

    /// <inheritdoc />
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _ssl.Dispose();
        _tcp.Dispose();
        Closed?.Invoke();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Close();
        _stop.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[_chunkBytes];
        try
        {
            while (IsOpen)
            {
                var n = await _ssl.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                Received?.Invoke(buffer.AsSpan(0, n).ToArray());
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // the link is closing; fall through
        }

        Close();
    }
}

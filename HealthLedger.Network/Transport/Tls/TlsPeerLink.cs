using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;

namespace HealthLedger.Network.Transport.Tls;

/// <summary>
/// An authenticated TLS 1.3 connection to a peer node, as an <see cref="IPeerLink"/>: bytes in, bytes out, frames are
/// the protocol layer's business. <see cref="Received"/> is raised on a background reader, one chunk at a time and in
/// order, each chunk a fresh array the handler may keep; <see cref="Send"/> may be called from any thread and never
/// blocks: bytes are queued in order and written by a background writer, and a peer that lets more than
/// <see cref="TlsTransportOptions.MaxQueuedSendBytes"/> pile up (it stopped reading) is disconnected. The first I/O
/// error closes the link.
/// </summary>
public sealed class TlsPeerLink : IPeerLink, IDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _ssl;
    private readonly System.Threading.Channels.Channel<ReadOnlyMemory<byte>> _outbox = System.Threading.Channels.Channel.CreateUnbounded<ReadOnlyMemory<byte>>(new() { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly int _chunkBytes;
    private readonly long _maxQueuedBytes;
    private long _queuedBytes;

    /// <summary>How long a closed link keeps writing what was queued before it (a final reject) to a peer that reads slowly.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);
    private int _closed;
    private int _started;

    internal TlsPeerLink(TcpClient tcp, SslStream ssl, PublicKey remoteKey, int chunkBytes, long maxQueuedBytes)
    {
        _maxQueuedBytes = maxQueuedBytes;
        _tcp = tcp;
        _ssl = ssl;
        _chunkBytes = chunkBytes;
        RemoteKey = remoteKey;
        _ = Task.Run(WriteLoopAsync); // sends queue from the start; a close lets the queue drain (a final reject) for at most the linger time
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

    /// <summary>Bytes queued and not yet written to the socket.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <inheritdoc />
    public void Send(ReadOnlyMemory<byte> bytes)
    {
        if (!IsOpen)
        {
            return;
        }

        if (Interlocked.Add(ref _queuedBytes, bytes.Length) > _maxQueuedBytes)
        {
            Close(); // the peer stopped reading: holding more for it would let it stall us or fill our memory
            return;
        }

        _outbox.Writer.TryWrite(bytes);
    }

    /// <inheritdoc />
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        // The writer drains what was queued (within the linger time), then disposes the stream and the socket.
        _outbox.Writer.TryComplete();
        try
        {
            _stop.CancelAfter(Linger);
        }
        catch (ObjectDisposedException)
        {
            // the writer already finished
        }

        Closed?.Invoke();
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private async Task WriteLoopAsync()
    {
        try
        {
            while (await _outbox.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                while (_outbox.Reader.TryRead(out var bytes))
                {
                    await _ssl.WriteAsync(bytes, _stop.Token).ConfigureAwait(false);
                    Interlocked.Add(ref _queuedBytes, -bytes.Length);
                }

                await _ssl.FlushAsync(_stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or System.Threading.Channels.ChannelClosedException)
        {
            // the peer is gone, or the linger time ran out
        }

        Close();
        _ssl.Dispose();
        _tcp.Dispose();
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

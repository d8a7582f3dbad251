using System.Net;
using System.Security.Authentication;
using System.Threading.Channels;
using HealthLedger.Core.Network;
using HealthLedger.Network.Transport.Tls;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace HealthLedger.Network.Hosting;

/// <summary>
/// Runs a <see cref="GossipNode"/> on the network: accepts authenticated TLS peers, dials the configured ones (and
/// redials them with exponential backoff and jitter), and drives the gossip layer from <b>one</b> loop: every received
/// chunk, every close, every call from the host (<see cref="InvokeAsync{T}"/>) and the periodic housekeeping are work
/// items on one channel, so the gossip behaviours, which are single-threaded by design, never run concurrently. Sockets
/// read on their own tasks and only enqueue.
/// </summary>
public sealed partial class PeerHost : IAsyncDisposable
{
    private readonly GossipNode _gossip;
    private readonly TlsTransport _transport;
    private readonly PeerHostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Action> _loop;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _tasks = [];
    private readonly HashSet<Core.Crypto.PublicKey> _connected = [];
    private readonly object _connectedGate = new();
    private TlsListener? _listener;
    private int _inbound;

    /// <summary>Creates a host; nothing runs until <see cref="Start"/>.</summary>
    public PeerHost(GossipNode gossip, TlsTransport transport, PeerHostOptions? options = null, TimeProvider? time = null, ILogger<PeerHost>? logger = null)
    {
        _gossip = gossip ?? throw new ArgumentNullException(nameof(gossip));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        _options = options ?? new PeerHostOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _loop = Channel.CreateBounded<Action>(new BoundedChannelOptions(_options.LoopCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>The address the host listens on, once started.</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>Node keys of the peers connected now (authenticated, either direction).</summary>
    public IReadOnlyCollection<Core.Crypto.PublicKey> ConnectedPeers
    {
        get
        {
            lock (_connectedGate)
            {
                return [.. _connected];
            }
        }
    }

    /// <summary>Starts listening, dialling and the node loop.</summary>
    public void Start()
    {
        _listener = _transport.Listen(_options.ListenOn);
        _tasks.Add(Task.Run(RunLoopAsync));
        _tasks.Add(Task.Run(AcceptLoopAsync));
        _tasks.Add(Task.Run(MaintainLoopAsync));
        foreach (var peer in _options.Peers)
        {
            _tasks.Add(Task.Run(() => DialLoopAsync(peer)));
        }
    }

    /// <summary>Runs <paramref name="action"/> on the node loop (the only thread that touches the gossip layer) and returns its result.</summary>
    public async Task<T> InvokeAsync<T>(Func<GossipNode, T> action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _loop.Writer.WriteAsync(
            () =>
            {
                try
                {
                    done.TrySetResult(action(_gossip));
                }
                catch (Exception ex)
                {
                    done.TrySetException(ex);
                }
            },
            cancellationToken).ConfigureAwait(false);
        return await done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops dialling and accepting, closes every peer and drains the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        _stop.Cancel();
        _listener?.Dispose();
        try
        {
            await InvokeAsync(
                g =>
                {
                    foreach (var p in g.Peers)
                    {
                        p.Link.Close();
                    }

                    return 0;
                }).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or ChannelClosedException or OperationCanceledException)
        {
            // the loop is already gone
        }

        _loop.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_tasks).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogStopTimedOut(_logger);
        }

        _stop.Dispose();
    }

    private async Task RunLoopAsync()
    {
        await foreach (var work in _loop.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                work();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogLoopError(_logger, ex);
            }
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TlsPeerLink link;
            try
            {
                link = await _listener!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is PeerAuthenticationException or AuthenticationException or IOException or OperationCanceledException)
            {
                LogInboundRefused(_logger, ex.Message);
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (Interlocked.Increment(ref _inbound) > _options.MaxInbound)
            {
                Interlocked.Decrement(ref _inbound);
                link.Dispose();
                continue;
            }

            link.Closed += () => Interlocked.Decrement(ref _inbound);
            await AttachAsync(link).ConfigureAwait(false);
        }
    }

    private async Task DialLoopAsync(PeerAddress peer)
    {
        var retry = new ResiliencePipelineBuilder<TlsPeerLink>()
            .AddRetry(new RetryStrategyOptions<TlsPeerLink>
            {
                ShouldHandle = new PredicateBuilder<TlsPeerLink>().Handle<Exception>(ex => ex is not OperationCanceledException || !_stop.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.MinReconnectDelay,
                MaxDelay = _options.MaxReconnectDelay,
                OnRetry = args =>
                {
                    LogDialFailed(_logger, peer.EndPoint, args.Outcome.Exception?.Message ?? "no link", args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        while (!_stop.IsCancellationRequested)
        {
            bool already;
            lock (_connectedGate)
            {
                already = _connected.Contains(peer.NodeKey);
            }

            if (!already)
            {
                TlsPeerLink link;
                try
                {
                    link = await retry.ExecuteAsync(ct => new ValueTask<TlsPeerLink>(_transport.ConnectAsync(peer.EndPoint, peer.NodeKey, ct)), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }

                var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                link.Closed += () => closed.TrySetResult();
                await AttachAsync(link).ConfigureAwait(false);
                await closed.Task.WaitAsync(_stop.Token).ConfigureAwait(false);
            }

            await Task.Delay(_options.MinReconnectDelay, _time, _stop.Token).ConfigureAwait(false);
        }
    }

    private async Task MaintainLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.MaintainInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                await _loop.Writer.WriteAsync(_gossip.Maintain, _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // stopping
        }
    }

    /// <summary>Hands a link to the gossip layer on the loop; its bytes and its close are posted to the loop too.</summary>
    private async Task AttachAsync(TlsPeerLink link)
    {
        var key = link.RemoteKey;
        lock (_connectedGate)
        {
            if (!_connected.Add(key))
            {
                link.Dispose(); // one connection per node key: a duplicate (both dialled each other) is dropped
                return;
            }
        }

        var serialized = new LoopLink(link, _loop.Writer);
        link.Closed += () =>
        {
            lock (_connectedGate)
            {
                _connected.Remove(key);
            }
        };
        LogPeerConnected(_logger, link.RemoteName);
        try
        {
            await _loop.Writer.WriteAsync(() => _gossip.Attach(serialized), _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            link.Dispose();
            return;
        }

        link.Start();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Peer {Peer} connected")]
    private static partial void LogPeerConnected(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Inbound connection refused: {Reason}")]
    private static partial void LogInboundRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dialling {EndPoint} failed ({Reason}); retrying in {Delay}")]
    private static partial void LogDialFailed(ILogger logger, IPEndPoint endPoint, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Error, Message = "Node loop work item failed")]
    private static partial void LogLoopError(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Peer host did not stop within its timeout")]
    private static partial void LogStopTimedOut(ILogger logger);

    /// <summary>An <see cref="IPeerLink"/> whose events are raised on the node loop.</summary>
    private sealed class LoopLink : IPeerLink
    {
        private readonly TlsPeerLink _inner;

        public LoopLink(TlsPeerLink inner, ChannelWriter<Action> loop)
        {
            _inner = inner;

            // Blocking write: a peer that floods us waits on its own socket task (TCP backpressure), not on ours.
            inner.Received += chunk =>
            {
                var work = () => Received?.Invoke(chunk);
                while (!loop.TryWrite(work))
                {
                    if (!loop.WaitToWriteAsync().AsTask().GetAwaiter().GetResult())
                    {
                        return;
                    }
                }
            };
            inner.Closed += () => loop.TryWrite(() => Closed?.Invoke());
        }

        public string RemoteName => _inner.RemoteName;

        public bool IsOpen => _inner.IsOpen;

        public event Action<ReadOnlyMemory<byte>>? Received;

        public event Action? Closed;

        public void Send(ReadOnlyMemory<byte> bytes) => _inner.Send(bytes);

        public void Close() => _inner.Close();
    }
}

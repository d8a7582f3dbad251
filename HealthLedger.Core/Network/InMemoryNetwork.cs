namespace HealthLedger.Core.Network;

/// <summary>One end of a byte pipe between two peers.</summary>
public interface IPeerLink
{
    /// <summary>A name for the remote end (for logs).</summary>
    string RemoteName { get; }

    /// <summary>True until closed by either side.</summary>
    bool IsOpen { get; }

    /// <summary>
    /// Sends bytes (a whole frame, or several); delivery order is preserved. The link may keep the memory until it is
    /// delivered: the caller must not change it afterwards (encoded frames are never changed).
    /// </summary>
    void Send(ReadOnlyMemory<byte> bytes);

    /// <summary>Closes both ends.</summary>
    void Close();

    /// <summary>
    /// Raised with each chunk of received bytes (chunks need not align with frames). Bytes the remote sent before a
    /// close may still arrive after it; a receiver that closed ignores them.
    /// </summary>
    event Action<ReadOnlyMemory<byte>>? Received;

    /// <summary>Raised once when the link closes.</summary>
    event Action? Closed;
}

/// <summary>
/// Fault injection for the connections of an <see cref="InMemoryNetwork"/> (losses, corruption, fragmentation). The
/// HealthLedger.Testing package's <c>LinkFaults</c> is one; without a model a connection delivers every chunk intact.
/// </summary>
public interface ILinkFaultModel
{
    /// <summary>Creates the injector of one connection; both of its directions share it.</summary>
    /// <returns>A new injector, with its own (seeded) state.</returns>
    ILinkFaultInjector CreateInjector();
}

/// <summary>
/// Decides what becomes of each chunk sent on one in-memory connection. The network calls it for one chunk at a time
/// (under the connection's lock), so an implementation needs no locking of its own.
/// </summary>
public interface ILinkFaultInjector
{
    /// <summary>
    /// Adds to <paramref name="delivered"/>, in order, what of <paramref name="chunk"/> reaches the peer: nothing when it
    /// is lost, otherwise one or more pieces. <paramref name="chunk"/> belongs to the sender and must not be written;
    /// an altered piece is a copy.
    /// </summary>
    void Inject(ReadOnlyMemory<byte> chunk, IList<ReadOnlyMemory<byte>> delivered);
}

/// <summary>
/// A deterministic in-process network for tests and the demo: links carry real encoded frames through queues that
/// <see cref="Pump"/> delivers, with optional faults (an <see cref="ILinkFaultModel"/>) per connection. Closing a link
/// stops sending at once, but bytes already sent are still delivered (the last one is usually the reject explaining
/// the close).
/// </summary>
/// <remarks>
/// Thread safety: <see cref="Connect"/>, sending on links and <see cref="Pending"/> may be called from any thread;
/// <see cref="Pump"/> delivers on the calling thread and is meant to be called from one thread at a time, so that
/// receivers see chunks in order. It stays in HealthLedger.Core because the host's demo runs on it.
/// </remarks>
public sealed class InMemoryNetwork
{
    private readonly Queue<(InMemoryLink To, ReadOnlyMemory<byte> Bytes)> _queue = new();
    private readonly object _gate = new();

    /// <summary>Creates a linked pair of ends.</summary>
    /// <param name="a">The name of the first end (the second end's <see cref="IPeerLink.RemoteName"/>).</param>
    /// <param name="b">The name of the second end.</param>
    /// <param name="faults">The connection's faults; none when null.</param>
    public (IPeerLink AToB, IPeerLink BToA) Connect(string a, string b, ILinkFaultModel? faults = null)
    {
        var connection = new Connection(faults?.CreateInjector());
        var ab = new InMemoryLink(this, b, connection);
        var ba = new InMemoryLink(this, a, connection);
        ab.Peer = ba;
        ba.Peer = ab;
        return (ab, ba);
    }

    /// <summary>Chunks waiting for delivery.</summary>
    public int Pending
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Delivers queued chunks (and whatever their handlers send) until the queue is empty or the step limit is reached.</summary>
    /// <returns>Chunks delivered.</returns>
    public int Pump(int maxSteps = 1_000_000)
    {
        var steps = 0;
        while (steps < maxSteps)
        {
            (InMemoryLink To, ReadOnlyMemory<byte> Bytes) item;
            lock (_gate)
            {
                if (!_queue.TryDequeue(out item))
                {
                    break;
                }
            }

            steps++;

            // Like TCP data before a FIN, bytes sent before a close still arrive (so a peer reads the reject that
            // explains the close); a receiver ignores what arrives after it closed.
            item.To.Deliver(item.Bytes);
        }

        return steps;
    }

    private void Enqueue(InMemoryLink to, ReadOnlyMemory<byte> bytes)
    {
        lock (_gate)
        {
            _queue.Enqueue((to, bytes));
        }
    }

    private sealed class Connection(ILinkFaultInjector? injector)
    {
        public ILinkFaultInjector? Injector { get; } = injector;

        public List<ReadOnlyMemory<byte>> Pieces { get; } = [];
    }

    private sealed class InMemoryLink(InMemoryNetwork network, string remoteName, Connection connection) : IPeerLink
    {
        public InMemoryLink Peer { get; set; } = null!;

        public string RemoteName { get; } = remoteName;

        public bool IsOpen { get; private set; } = true;

        public event Action<ReadOnlyMemory<byte>>? Received;

        public event Action? Closed;

        public void Send(ReadOnlyMemory<byte> bytes)
        {
            if (!IsOpen)
            {
                return;
            }

            if (connection.Injector is null)
            {
                // Frames are immutable once encoded, so the queue keeps the sender's memory.
                network.Enqueue(Peer, bytes);
                return;
            }

            lock (connection)
            {
                connection.Pieces.Clear();
                connection.Injector.Inject(bytes, connection.Pieces);
                foreach (var piece in connection.Pieces)
                {
                    network.Enqueue(Peer, piece);
                }

                connection.Pieces.Clear();
            }
        }

        public void Deliver(ReadOnlyMemory<byte> bytes) => Received?.Invoke(bytes);

        public void Close()
        {
            if (!IsOpen)
            {
                return;
            }

            IsOpen = false;
            Closed?.Invoke();
            Peer.Close();
        }
    }
}

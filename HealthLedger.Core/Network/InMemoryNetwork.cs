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

/// <summary>Faults an in-memory link injects, from a seeded random source.</summary>
public sealed record LinkFaults
{
    /// <summary>No faults.</summary>
    public static LinkFaults None { get; } = new();

    /// <summary>Probability that a sent chunk is lost.</summary>
    public double DropRate { get; init; }

    /// <summary>Probability that one byte of a sent chunk is flipped.</summary>
    public double CorruptRate { get; init; }

    /// <summary>When true, chunks are split at random points before delivery (exercises frame reassembly).</summary>
    public bool Fragment { get; init; }

    /// <summary>Seed of the fault generator.</summary>
    public int Seed { get; init; } = 1;
}

/// <summary>
/// A deterministic in-process network for tests and the demo: links carry real encoded frames through queues that
/// <see cref="Pump"/> delivers, with optional drops, corruption and fragmentation. Closing a link stops sending at
/// once, but bytes already sent are still delivered (the last one is usually the reject explaining the close).
/// </summary>
public sealed class InMemoryNetwork
{
    private readonly Queue<(InMemoryLink To, ReadOnlyMemory<byte> Bytes)> _queue = new();
    private readonly object _gate = new();

    /// <summary>Creates a linked pair of ends.</summary>
    public (IPeerLink AToB, IPeerLink BToA) Connect(string a, string b, LinkFaults? faults = null)
    {
        faults ??= LinkFaults.None;
        var random = new Random(faults.Seed);
        var ab = new InMemoryLink(this, b, faults, random);
        var ba = new InMemoryLink(this, a, faults, random);
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

    private sealed class InMemoryLink(InMemoryNetwork network, string remoteName, LinkFaults faults, Random random) : IPeerLink
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

            lock (random)
            {
                if (faults.DropRate > 0 && random.NextDouble() < faults.DropRate)
                {
                    return;
                }

                // Frames are immutable once encoded, so the queue keeps the sender's memory; only corruption copies.
                var copy = bytes;
                if (faults.CorruptRate > 0 && copy.Length > 0 && random.NextDouble() < faults.CorruptRate)
                {
                    var corrupted = bytes.ToArray();
                    corrupted[random.Next(corrupted.Length)] ^= (byte)(1 << random.Next(8));
                    copy = corrupted;
                }

                if (faults.Fragment && copy.Length > 1)
                {
                    var cut = random.Next(1, copy.Length);
                    network.Enqueue(Peer, copy[..cut]);
                    network.Enqueue(Peer, copy[cut..]);
                }
                else
                {
                    network.Enqueue(Peer, copy);
                }
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

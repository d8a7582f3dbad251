using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Simulation;

/// <summary>What nodes send each other.</summary>
internal abstract record SimMessage;

/// <summary>A block (mined, relayed, announced as a tip, or sent in answer to a request).</summary>
internal sealed record BlockMessage(Block Block) : SimMessage;

/// <summary>A transaction: a finality vote or misbehaviour evidence.</summary>
internal sealed record TransactionMessage(Transaction Transaction) : SimMessage;

/// <summary>"Send me <paramref name="Hash"/> and up to <paramref name="Max"/> − 1 of its ancestors" (sync after an orphan).</summary>
internal sealed record AncestorsRequest(Hash256 Hash, int Max) : SimMessage;

/// <summary>A message in flight.</summary>
internal sealed record Envelope(int From, int To, SimMessage Message, int DeliverAt);

/// <summary>
/// A self-contained simulated network (independent of <c>HealthLedger.Core.Network</c>, whose gossip code is being
/// rewritten): a priority queue ordered by delivery step, then by send order. Each message may be dropped, duplicated
/// or delayed by the seeded stream; a partition drops messages between nodes with no common side, both when sent and
/// when due (a partition that starts while a message is in flight cuts it). Every message takes at least one step.
/// </summary>
internal sealed class SimNetwork(int nodes, SimRandom rng, NetworkFaults faults)
{
    private readonly PriorityQueue<Envelope, (int Step, long Order)> _queue = new();
    private long _order;

    public NetworkFaults Faults { get; set; } = faults;

    public PartitionWindow? Partition { get; set; }

    /// <summary>The current step.</summary>
    public int Now { get; set; }

    public long Sent { get; private set; }

    public long Dropped { get; private set; }

    public long Duplicated { get; private set; }

    public int InFlight => _queue.Count;

    /// <summary>Every block ever sent, by hash (for diagnostics).</summary>
    public Dictionary<Hash256, Block> BlocksSent { get; } = [];

    public bool CanTalk(int a, int b) => Partition is null || Partition.CanTalk(a, b);

    public void Send(int from, int to, SimMessage message)
    {
        if (from == to)
        {
            return;
        }

        Sent++;
        if (message is BlockMessage b)
        {
            BlocksSent.TryAdd(b.Block.Hash, b.Block);
        }

        if (!CanTalk(from, to) || rng.Chance(Faults.Drop))
        {
            Dropped++;
            return;
        }

        var copies = rng.Chance(Faults.Duplicate) ? 2 : 1;
        Duplicated += copies - 1;
        for (var c = 0; c < copies; c++)
        {
            var at = Now + 1 + (Faults.MaxDelaySteps > 0 ? rng.Next(Faults.MaxDelaySteps + 1) : 0);
            _queue.Enqueue(new Envelope(from, to, message, at), (at, _order++));
        }
    }

    public void Broadcast(int from, SimMessage message)
    {
        for (var to = 0; to < nodes; to++)
        {
            Send(from, to, message);
        }
    }

    /// <summary>The next message due at or before <see cref="Now"/> whose link is still up.</summary>
    public bool TryTakeDue(out Envelope envelope)
    {
        while (_queue.TryPeek(out var e, out var priority) && priority.Step <= Now)
        {
            _queue.Dequeue();
            if (CanTalk(e.From, e.To))
            {
                envelope = e;
                return true;
            }

            Dropped++;
        }

        envelope = null!;
        return false;
    }
}

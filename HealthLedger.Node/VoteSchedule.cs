namespace HealthLedger.Node;

/// <summary>
/// When a validator votes for each height: <see cref="Delay"/> after this node first had a tip at that height (or
/// above it). Votes cast at once split when siblings race at a height (each validator votes for the one it saw
/// first, and votes once per height); a short wait lets the sibling arrive, and fork choice's lowest-hash tie-break
/// (docs/consensus.md §5.6) then gives every validator that saw both the same block to vote for. Heights are handed
/// out once each, in increasing order. Thread-safe: sightings come from chain events, due heights are taken by the
/// node's vote loop.
/// </summary>
internal sealed class VoteSchedule(TimeProvider time, TimeSpan delay)
{
    private readonly Lock _gate = new();
    private readonly Queue<(ulong From, ulong To, long SeenAt)> _waiting = new();
    private ulong _highestSeen;

    /// <summary>How long after a height first appears it is voted for.</summary>
    public TimeSpan Delay { get; } = delay >= TimeSpan.Zero ? delay : throw new ArgumentOutOfRangeException(nameof(delay));

    /// <summary>Heights handed out so far (for tests and metrics).</summary>
    public ulong HighestSeen
    {
        get
        {
            lock (_gate)
            {
                return _highestSeen;
            }
        }
    }

    /// <summary>The tip is now at <paramref name="tipHeight"/>: every height above the highest seen so far is first seen now.</summary>
    public void Seen(ulong tipHeight)
    {
        lock (_gate)
        {
            if (tipHeight <= _highestSeen)
            {
                return;
            }

            _waiting.Enqueue((_highestSeen + 1, tipHeight, time.GetTimestamp()));
            _highestSeen = tipHeight;
        }
    }

    /// <summary>
    /// The heights whose delay has passed, lowest first, as one range (null when none is due); <paramref name="wait"/>
    /// is how long until the next one is due (<see cref="Timeout.InfiniteTimeSpan"/> when none waits).
    /// </summary>
    public (ulong From, ulong To)? TakeDue(out TimeSpan wait)
    {
        lock (_gate)
        {
            (ulong From, ulong To)? due = null;
            while (_waiting.TryPeek(out var next))
            {
                var age = time.GetElapsedTime(next.SeenAt);
                if (age < Delay)
                {
                    wait = Delay - age;
                    return due;
                }

                _waiting.Dequeue();
                due = (due?.From ?? next.From, next.To);
            }

            wait = Timeout.InfiniteTimeSpan;
            return due;
        }
    }
}

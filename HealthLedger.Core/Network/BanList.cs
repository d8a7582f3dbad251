namespace HealthLedger.Core.Network;

/// <summary>
/// Peers refused until a time read from an injected clock, keyed by the peer's identity (the transport's remote name:
/// over TLS the peer's proven node address, in memory the endpoint name). Bans of repeat offenders escalate
/// (<see cref="BanEscalating"/>): an honest node that tripped a rule once (a bug, a version skew) is back in minutes,
/// one that keeps offending is kept out for up to the longest ban. Bounded: when full, the ban that expires first is
/// dropped, and so is the oldest offence record. Thread-safe.
/// </summary>
public sealed class BanList
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Offences> _offences = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates an empty list.</summary>
    public BanList(TimeProvider time, int capacity = 10_000)
    {
        _time = time ?? throw new ArgumentNullException(nameof(time));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    /// <summary>Most identities held.</summary>
    public int Capacity { get; }

    /// <summary>Identities banned now.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                Prune(_time.GetUtcNow());
                return _until.Count;
            }
        }
    }

    /// <summary>Bans <paramref name="identity"/> for <paramref name="duration"/> from now (extending a longer ban is never shortened).</summary>
    public void Ban(string identity, TimeSpan duration)
    {
        ArgumentNullException.ThrowIfNull(identity);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            BanLocked(identity, now + duration, now);
        }
    }

    /// <summary>
    /// Bans <paramref name="identity"/> for an offence: <paramref name="first"/> the first time, twice as long as its
    /// previous ban for each further offence, at most <paramref name="longest"/>. An identity with no offence for
    /// <paramref name="longest"/> after its last ban ended starts again at <paramref name="first"/>. Returns how long
    /// the identity is now banned (never less than a ban already running).
    /// </summary>
    public TimeSpan BanEscalating(string identity, TimeSpan first, TimeSpan longest)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(longest, first);
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            var strikes = 1;
            if (_offences.TryGetValue(identity, out var previous) && now - previous.BannedUntil < longest)
            {
                strikes = previous.Count + 1;
            }
            else if (!_offences.ContainsKey(identity) && _offences.Count >= Capacity)
            {
                _offences.Remove(_offences.MinBy(kv => kv.Value.BannedUntil).Key);
            }

            var until = BanLocked(identity, now + Escalate(first, longest, strikes), now);
            _offences[identity] = new Offences(strikes, until);
            return until - now;
        }
    }

    /// <summary>The offences recorded against <paramref name="identity"/> that still count toward escalation.</summary>
    public int OffenceCount(string identity)
    {
        ArgumentNullException.ThrowIfNull(identity);
        lock (_gate)
        {
            return _offences.TryGetValue(identity, out var o) ? o.Count : 0;
        }
    }

    /// <summary>True while <paramref name="identity"/> is banned; <paramref name="until"/> is when the ban ends.</summary>
    public bool IsBanned(string identity, out DateTimeOffset until)
    {
        ArgumentNullException.ThrowIfNull(identity);
        lock (_gate)
        {
            if (_until.TryGetValue(identity, out until))
            {
                if (until > _time.GetUtcNow())
                {
                    return true;
                }

                _until.Remove(identity);
            }

            until = default;
            return false;
        }
    }

    /// <summary>Lifts a ban and forgets the identity's offences.</summary>
    public bool Unban(string identity)
    {
        lock (_gate)
        {
            _offences.Remove(identity);
            return _until.Remove(identity);
        }
    }

    private DateTimeOffset BanLocked(string identity, DateTimeOffset until, DateTimeOffset now)
    {
        if (_until.TryGetValue(identity, out var existing) && existing >= until)
        {
            return existing;
        }

        if (!_until.ContainsKey(identity) && _until.Count >= Capacity)
        {
            Prune(now);
            if (_until.Count >= Capacity)
            {
                _until.Remove(_until.MinBy(kv => kv.Value).Key);
            }
        }

        _until[identity] = until;
        return until;
    }

    private static TimeSpan Escalate(TimeSpan first, TimeSpan longest, int strikes)
    {
        var ticks = first.Ticks;
        for (var i = 1; i < strikes && ticks < longest.Ticks; i++)
        {
            ticks = ticks > longest.Ticks / 2 ? longest.Ticks : ticks * 2;
        }

        return TimeSpan.FromTicks(Math.Min(ticks, longest.Ticks));
    }

    private readonly record struct Offences(int Count, DateTimeOffset BannedUntil);

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _until.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList())
        {
            _until.Remove(key);
        }
    }
}

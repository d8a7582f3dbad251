namespace HealthLedger.Core.Network;

/// <summary>
/// Peers refused until a time read from an injected clock, keyed by the peer's identity (today the transport's
/// remote name: the in-memory endpoint name, later a network address or node key). Bounded: when full, the ban that
/// expires first is dropped. Thread-safe.
/// </summary>
public sealed class BanList
{
    private readonly object _gate = new();
    private readonly Dictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);
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
        var until = now + duration;
        lock (_gate)
        {
            if (_until.TryGetValue(identity, out var existing) && existing >= until)
            {
                return;
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

    /// <summary>Lifts a ban.</summary>
    public bool Unban(string identity)
    {
        lock (_gate)
        {
            return _until.Remove(identity);
        }
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _until.Where(kv => kv.Value <= now).Select(kv => kv.Key).ToList())
        {
            _until.Remove(key);
        }
    }
}

namespace HealthLedger.Core.Network;

/// <summary>
/// A budget of <see cref="Limit"/> units (messages or bytes) per fixed window of time read from an injected clock.
/// The window restarts at the first use after it ends. Not thread-safe: owned by one peer session.
/// </summary>
internal sealed class RateWindow
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private DateTimeOffset _start = DateTimeOffset.MinValue;
    private long _used;
    private int _refusals;

    public RateWindow(TimeProvider time, TimeSpan window, long limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        _time = time;
        _window = window;
        Limit = limit;
    }

    /// <summary>Units allowed per window.</summary>
    public long Limit { get; }

    /// <summary>Units used in the current window.</summary>
    public long Used
    {
        get
        {
            Roll();
            return _used;
        }
    }

    /// <summary>When the current window ends.</summary>
    public DateTimeOffset WindowEnd => _start == DateTimeOffset.MinValue ? _time.GetUtcNow() : _start + _window;

    /// <summary>Takes <paramref name="amount"/> units if they fit in what is left of the window; otherwise counts a refusal and takes nothing.</summary>
    public bool TryTake(long amount)
    {
        Roll();
        if (amount > Limit - _used)
        {
            _refusals++;
            return false;
        }

        _used += amount;
        return true;
    }

    /// <summary>Refusals counted in the current window.</summary>
    public int Refusals
    {
        get
        {
            Roll();
            return _refusals;
        }
    }

    private void Roll()
    {
        var now = _time.GetUtcNow();
        if (_start == DateTimeOffset.MinValue || now >= _start + _window || now < _start)
        {
            _start = now;
            _used = 0;
            _refusals = 0;
        }
    }
}

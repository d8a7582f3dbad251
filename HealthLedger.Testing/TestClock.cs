using Microsoft.Extensions.Time.Testing;

namespace HealthLedger.Testing;

/// <summary>
/// The deterministic clock of HealthLedger tests: a <see cref="FakeTimeProvider"/> that starts at
/// <see cref="DefaultStart"/> (or where asked) and moves only when the test advances it. The builders' default
/// timestamps are relative to <see cref="DefaultStart"/>, so blocks built with them are not "from the future" for a
/// chain on this clock.
/// </summary>
public static class TestClock
{
    /// <summary>The default start, 2027-01-15T08:00:00Z (Unix 1,800,000,000,000 ms).</summary>
    public static DateTimeOffset DefaultStart { get; } = DateTimeOffset.FromUnixTimeMilliseconds(DefaultStartMs);

    /// <summary><see cref="DefaultStart"/> in Unix milliseconds.</summary>
    public const long DefaultStartMs = 1_800_000_000_000;

    /// <summary>A new clock at <see cref="DefaultStart"/> (or <paramref name="start"/>) that never advances by itself.</summary>
    /// <remarks><see cref="FakeTimeProvider"/> is thread-safe: tests may advance it while the code under test reads it.</remarks>
    public static FakeTimeProvider Create(DateTimeOffset? start = null) => new(start ?? DefaultStart);

    /// <summary>The clock's current time in Unix milliseconds, the unit of every HealthLedger timestamp.</summary>
    public static long NowMs(this TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        return clock.GetUtcNow().ToUnixTimeMilliseconds();
    }
}

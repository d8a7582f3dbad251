namespace HealthLedger.Tests.Support;

/// <summary>A clock tests move by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public ManualTimeProvider()
        : this(DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000))
    {
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public long NowMs => _now.ToUnixTimeMilliseconds();

    public void Advance(TimeSpan by) => _now += by;
}

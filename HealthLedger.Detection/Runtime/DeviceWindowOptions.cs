namespace HealthLedger.Detection.Runtime;

/// <summary>Bounds on the per-device window state kept by the detector.</summary>
public sealed record DeviceWindowOptions
{
    /// <summary>The defaults: 10,000 devices, evicted after one hour without a submission.</summary>
    public static DeviceWindowOptions Default { get; } = new();

    /// <summary>Most devices whose windows are kept; the least recently seen is evicted beyond that.</summary>
    public int MaxDevices { get; init; } = 10_000;

    /// <summary>A device not seen for this long loses its window (its next record starts a new one).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromHours(1);
}

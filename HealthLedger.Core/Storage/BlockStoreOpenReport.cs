namespace HealthLedger.Core.Storage;

/// <summary>
/// What <see cref="FileBlockStore.Open"/> found and repaired. A torn or corrupt tail of the last segment is
/// truncated back to the last valid record and described here; anything else is a
/// <see cref="BlockStoreCorruptedException"/>.
/// </summary>
/// <param name="RecordsRecovered">Number of valid records found (the store's <c>Count</c> after opening).</param>
/// <param name="SegmentCount">Number of segment files after opening.</param>
/// <param name="BytesTruncated">Bytes cut off the end of the last segment (0 when nothing was repaired).</param>
/// <param name="Damage">What was wrong with the tail, or <see cref="BlockStoreDamage.None"/>.</param>
/// <param name="DamagedSegment">The segment number that was repaired, if any.</param>
/// <param name="DamagedOffset">The byte offset in that segment where the damage started (the new file length), if any.</param>
public sealed record BlockStoreOpenReport(
    long RecordsRecovered,
    int SegmentCount,
    long BytesTruncated,
    BlockStoreDamage Damage,
    int? DamagedSegment,
    long? DamagedOffset)
{
    /// <summary>True when the tail was repaired on open.</summary>
    public bool WasRepaired => Damage != BlockStoreDamage.None;

    /// <summary>A one-line summary for logs.</summary>
    public override string ToString() => WasRepaired
        ? $"{RecordsRecovered} records in {SegmentCount} segments; repaired {Damage} at segment {DamagedSegment} offset {DamagedOffset}, truncated {BytesTruncated} bytes"
        : $"{RecordsRecovered} records in {SegmentCount} segments; clean";
}

namespace HealthLedger.Core.Mempool;

/// <summary>Mempool limits and policy (docs/security.md, "Mempool policy"). Every limit is in transactions and in bytes.</summary>
public sealed record MempoolOptions
{
    /// <summary>Most transactions held.</summary>
    public int MaxTransactions { get; init; } = 50_000;

    /// <summary>Most encoded bytes held (sum of the transactions' canonical encodings). Default 32 MiB.</summary>
    public long MaxBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Most pending transactions per sender.</summary>
    public int MaxPerSender { get; init; } = 1_000;

    /// <summary>Most pending encoded bytes per sender. Default 512 KiB.</summary>
    public long MaxBytesPerSender { get; init; } = 512 * 1024;

    /// <summary>
    /// The share of <see cref="MaxTransactions"/> and of <see cref="MaxBytes"/>, in percent, that
    /// <see cref="PriorityClass.Patient"/> transactions may use together. Default 25.
    /// </summary>
    public int PatientSharePercent { get; init; } = 25;

    /// <summary>
    /// The share of <see cref="MaxTransactions"/> and of <see cref="MaxBytes"/>, in percent, that
    /// <see cref="PriorityClass.Newcomer"/> transactions (free registrations from fresh keys) may use together. Default 10.
    /// </summary>
    public int NewcomerSharePercent { get; init; } = 10;

    /// <summary>
    /// <see cref="PriorityClass.Patient"/> and <see cref="PriorityClass.Newcomer"/> transactions (the free ones) are
    /// admitted only while the pool holds less than this share, in percent, of <see cref="MaxTransactions"/> and of
    /// <see cref="MaxBytes"/>; the rest is headroom for the identified classes. It also keeps a flood from refilling
    /// the room an eviction just freed, so evictions (each a rebuild) happen at most once per
    /// <see cref="EvictionBatch"/> identified admissions. Default 90; 100 turns the headroom off.
    /// </summary>
    public int FreeClassFillPercent { get; init; } = 90;

    /// <summary>
    /// When a higher class needs room in a full pool, at least this many lower-class transactions are evicted at once
    /// (eviction rebuilds the pending state, so it is batched). Default 64.
    /// </summary>
    public int EvictionBatch { get; init; } = 64;

    /// <summary>Transactions older than this (by their own timestamp, against the injected clock) are evicted.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The most transactions <paramref name="priority"/> may hold.</summary>
    /// <remarks>A non-zero share is at least one transaction, so a small pool still admits one of each class.</remarks>
    public int ClassCountLimit(PriorityClass priority) =>
        SharePercent(priority) == 0 ? 0 : (int)Math.Max(1, (long)MaxTransactions * SharePercent(priority) / 100);

    /// <summary>The pool size, in transactions, from which free-class transactions are refused.</summary>
    public int FreeClassCountLimit => (int)Math.Max(1, (long)MaxTransactions * FreeClassFillPercent / 100);

    /// <summary>The pool size, in bytes, from which free-class transactions are refused.</summary>
    public long FreeClassByteLimit => (MaxBytes / 100 * FreeClassFillPercent) + (MaxBytes % 100 * FreeClassFillPercent / 100);

    /// <summary>The most bytes <paramref name="priority"/> may hold.</summary>
    public long ClassByteLimit(PriorityClass priority) => (MaxBytes / 100 * SharePercent(priority)) + (MaxBytes % 100 * SharePercent(priority) / 100);

    private int SharePercent(PriorityClass priority) => priority switch
    {
        PriorityClass.Patient => PatientSharePercent,
        PriorityClass.Newcomer => NewcomerSharePercent,
        _ => 100,
    };

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxTransactions, 1, nameof(MaxTransactions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPerSender, 1, nameof(MaxPerSender));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytesPerSender, 1, nameof(MaxBytesPerSender));
        ArgumentOutOfRangeException.ThrowIfNegative(PatientSharePercent, nameof(PatientSharePercent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PatientSharePercent, 100, nameof(PatientSharePercent));
        ArgumentOutOfRangeException.ThrowIfNegative(NewcomerSharePercent, nameof(NewcomerSharePercent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(NewcomerSharePercent, 100, nameof(NewcomerSharePercent));
        ArgumentOutOfRangeException.ThrowIfLessThan(EvictionBatch, 1, nameof(EvictionBatch));
        ArgumentOutOfRangeException.ThrowIfLessThan(FreeClassFillPercent, 1, nameof(FreeClassFillPercent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(FreeClassFillPercent, 100, nameof(FreeClassFillPercent));
    }
}

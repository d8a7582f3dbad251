namespace HealthLedger.Core.Mempool;

/// <summary>What one priority class holds, and its limits.</summary>
/// <param name="Class">The class.</param>
/// <param name="Count">Pending transactions of this class.</param>
/// <param name="Bytes">Their encoded bytes.</param>
/// <param name="CountLimit">The most transactions the class may hold.</param>
/// <param name="ByteLimit">The most bytes the class may hold.</param>
public sealed record MempoolClassUsage(PriorityClass Class, int Count, long Bytes, int CountLimit, long ByteLimit);

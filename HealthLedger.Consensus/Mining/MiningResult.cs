using HealthLedger.Core.Blocks;

namespace HealthLedger.Consensus.Mining;

/// <summary>The outcome of one <see cref="Miner.Mine"/> call.</summary>
/// <param name="Header">The sealed but unsigned header (nonce and timestamp set), or null when mining was cancelled first.</param>
/// <param name="Hashes">Double SHA-256 hashes computed by all threads.</param>
/// <param name="Elapsed">Wall time measured with the miner's <see cref="TimeProvider"/>.</param>
/// <param name="HashesPerThread">Hashes computed by each thread, in thread order.</param>
/// <param name="ThreadIndex">The thread that found the header (-1 when none did).</param>
public sealed record MiningResult(BlockHeader? Header, ulong Hashes, TimeSpan Elapsed, IReadOnlyList<ulong> HashesPerThread, int ThreadIndex)
{
    /// <summary>True when a header meeting the target was found.</summary>
    public bool Found => Header is not null;

    /// <summary>Total hash rate in hashes per second (0 when no time elapsed).</summary>
    public double HashesPerSecond => Elapsed > TimeSpan.Zero ? Hashes / Elapsed.TotalSeconds : 0;
}

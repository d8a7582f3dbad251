namespace HealthLedger.Core.Network;

/// <summary>
/// Faults an <see cref="InMemoryNetwork"/> connection injects, from a seeded random source: lost chunks, flipped bits,
/// chunks split at random points (which exercises frame reassembly). Each connection made with it draws from its own
/// generator seeded with <see cref="Seed"/>, so a test replays the same faults every run.
/// </summary>
/// <remarks>Immutable, so safe to share between threads and connections.</remarks>
public sealed record LinkFaults : ILinkFaultModel
{
    /// <summary>No faults.</summary>
    public static LinkFaults None { get; } = new();

    /// <summary>Probability that a sent chunk is lost.</summary>
    public double DropRate { get; init; }

    /// <summary>Probability that one byte of a sent chunk is flipped.</summary>
    public double CorruptRate { get; init; }

    /// <summary>When true, chunks are split at random points before delivery (exercises frame reassembly).</summary>
    public bool Fragment { get; init; }

    /// <summary>Seed of the fault generator.</summary>
    public int Seed { get; init; } = 1;

    /// <inheritdoc />
    public ILinkFaultInjector CreateInjector() => new Injector(this, new Random(Seed));

    private sealed class Injector(LinkFaults faults, Random random) : ILinkFaultInjector
    {
        public void Inject(ReadOnlyMemory<byte> chunk, IList<ReadOnlyMemory<byte>> delivered)
        {
            if (faults.DropRate > 0 && random.NextDouble() < faults.DropRate)
            {
                return;
            }

            // The sender's memory is never written: only corruption copies.
            var copy = chunk;
            if (faults.CorruptRate > 0 && copy.Length > 0 && random.NextDouble() < faults.CorruptRate)
            {
                var corrupted = chunk.ToArray();
                corrupted[random.Next(corrupted.Length)] ^= (byte)(1 << random.Next(8));
                copy = corrupted;
            }

            if (faults.Fragment && copy.Length > 1)
            {
                var cut = random.Next(1, copy.Length);
                delivered.Add(copy[..cut]);
                delivered.Add(copy[cut..]);
            }
            else
            {
                delivered.Add(copy);
            }
        }
    }
}

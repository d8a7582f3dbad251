namespace HealthLedger.Tests.Simulation;

/// <summary>
/// The simulation's only source of randomness: SplitMix64, written out here so a seed replays the same run on every
/// machine and every .NET version (no <see cref="Random"/>, no wall clock, no threads).
/// </summary>
internal sealed class SimRandom(ulong seed)
{
    private ulong _state = seed;

    public ulong NextU64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, <paramref name="maxExclusive"/>).</summary>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        return (int)(NextU64() % (ulong)maxExclusive);
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="maxExclusive"/>).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public double NextDouble() => (NextU64() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double probability) => probability > 0 && NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    /// <summary>An independent stream for one consumer (a strategy, the network), so that one consumer's draws do not shift another's.</summary>
    public SimRandom Fork() => new(NextU64());

    /// <summary>A shuffled copy (Fisher–Yates).</summary>
    public List<T> Shuffle<T>(IEnumerable<T> items)
    {
        var list = items.ToList();
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }

        return list;
    }
}

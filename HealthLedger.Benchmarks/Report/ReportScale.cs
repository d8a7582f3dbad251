namespace HealthLedger.Benchmarks.Report;

/// <summary>How long the report may take: a CI smoke run, the quick run, or the full run.</summary>
internal enum ReportScale
{
    /// <summary>Seconds per experiment: proves the machinery works (CI), the numbers mean little.</summary>
    Tiny,

    /// <summary>A few minutes in all (<c>report --quick</c>).</summary>
    Quick,

    /// <summary>Up to about twenty minutes (<c>report</c>).</summary>
    Full,
}

/// <summary>Picks a value by scale.</summary>
internal static class ScaleExtensions
{
    public static T Pick<T>(this ReportScale scale, T tiny, T quick, T full) => scale switch
    {
        ReportScale.Tiny => tiny,
        ReportScale.Quick => quick,
        _ => full,
    };

    /// <summary>Proof-of-work level of the report's node networks: 6, or 5 in a smoke run (blocks in tens of milliseconds).</summary>
    public static int NodeDifficulty(this ReportScale scale) => scale.Pick(5, 6, 6);
}

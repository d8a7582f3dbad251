using System.Globalization;

namespace HealthLedger.Tests.Simulation;

/// <summary>The scripted misbehaviour of one Byzantine validator.</summary>
internal enum StrategyKind
{
    /// <summary>Mines and receives but publishes nothing: no blocks, no votes, no relaying.</summary>
    Withholding,

    /// <summary>Votes for every block on every branch (double votes), sometimes from genesis (surround votes), and mines two blocks on one parent.</summary>
    Equivocating,

    /// <summary>Like <see cref="Equivocating"/> but never a surround vote: its sources are those an honest validator would pick, so it helps every branch it votes on towards finality.</summary>
    DoubleVoting,

    /// <summary>Mines on the parent of the tip, putting the honest votes it has collected into a competing block first.</summary>
    FrontRunning,

    /// <summary>Mines a private branch with its own votes and releases it all at once later.</summary>
    PrivateBranch,

    /// <summary>Sends many blocks whose parents nobody knows.</summary>
    OrphanFlood,
}

/// <summary>Per-message faults of the simulated network.</summary>
/// <param name="Drop">Probability that a message is lost.</param>
/// <param name="Duplicate">Probability that a message is delivered twice.</param>
/// <param name="MaxDelaySteps">Extra delay, uniform in [0, this], on top of the one step every message takes (reorders messages).</param>
internal sealed record NetworkFaults(double Drop, double Duplicate, int MaxDelaySteps)
{
    public static NetworkFaults Reliable { get; } = new(0, 0, 0);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"drop={Drop:0.00} dup={Duplicate:0.00} delay<={MaxDelaySteps}");
}

/// <summary>Steps [<paramref name="Start"/>, <paramref name="End"/>) during which only nodes on a common side can talk; a node on both sides is a bridge.</summary>
internal sealed record PartitionWindow(int Start, int End, IReadOnlyList<int> SideA, IReadOnlyList<int> SideB)
{
    public bool IsActiveAt(int step) => step >= Start && step < End;

    public bool CanTalk(int a, int b) => (SideA.Contains(a) && SideA.Contains(b)) || (SideB.Contains(a) && SideB.Contains(b));

    public override string ToString() => $"[{Start},{End}) {{{string.Join(",", SideA)}}}|{{{string.Join(",", SideB)}}}";
}

/// <summary>An honest node that is down during steps [<paramref name="Start"/>, <paramref name="End"/>) and restarts from its own store.</summary>
internal sealed record CrashWindow(int Node, int Start, int End)
{
    public override string ToString() => $"{Node}@[{Start},{End})";
}

/// <summary>A Byzantine validator and its strategy.</summary>
internal sealed record ByzantineRole(int Node, StrategyKind Strategy)
{
    public override string ToString() => $"{Node}:{Strategy}";
}

/// <summary>
/// Everything a run depends on besides the seed's random stream: the validator count, who is Byzantine and how, who
/// crashes when, the network's faults and partitions, and the phases. A chaos phase (faults, partitions, crashes), then
/// a stable phase (all partitions healed, every crashed node restarted, a reliable network, Byzantine nodes still at
/// work) in which finality must resume, then a drain without mining after which the honest nodes must agree.
/// </summary>
internal sealed record Scenario(
    ulong Seed,
    int Validators,
    IReadOnlyList<ByzantineRole> Byzantine,
    IReadOnlyList<CrashWindow> Crashes,
    NetworkFaults Faults,
    IReadOnlyList<PartitionWindow> Partitions,
    int ChaosSteps,
    int StableSteps,
    int DrainSteps,
    int BlockInterval,
    IReadOnlyList<int> MinerRotation)
{
    public int TotalSteps => ChaosSteps + StableSteps + DrainSteps;

    public int CrashFaults => Crashes.Select(c => c.Node).Distinct().Count();

    public bool IsHonest(int node) => Byzantine.All(b => b.Node != node);

    public IEnumerable<int> HonestNodes => Enumerable.Range(0, Validators).Where(IsHonest);

    /// <summary>
    /// A random scenario: N in [4, 13], b ≤ ⌊(N − 1)/3⌋ Byzantine (so b &lt; N/3 and the N − b honest validators are a
    /// quorum), each with one of the five scripted strategies (<see cref="StrategyKind.DoubleVoting"/> is kept for the
    /// accountable-safety test, so the seeds of earlier reports still replay), up to ⌊(N − 1)/3⌋ honest nodes crashing
    /// once and restarting within the chaos phase, drop 0–15 %, duplication 0–10 %, extra delay 0–3 steps, and up to
    /// two partitions (Byzantine nodes on one side or bridging both).
    /// </summary>
    public static Scenario Generate(ulong seed)
    {
        var rng = new SimRandom(seed ^ 0x5CE4A210UL);
        var n = rng.Next(4, 14);
        var maxFaulty = (n - 1) / 3;
        var order = rng.Shuffle(Enumerable.Range(0, n));
        var b = rng.Next(maxFaulty + 1);
        StrategyKind[] kinds = [StrategyKind.Withholding, StrategyKind.Equivocating, StrategyKind.FrontRunning, StrategyKind.PrivateBranch, StrategyKind.OrphanFlood];
        var byzantine = order.Take(b).Order().Select(i => new ByzantineRole(i, rng.Pick(kinds))).ToList();

        const int chaos = 36;
        var f = rng.Next(maxFaulty + 1);
        var crashes = order.Skip(b).Take(f).Order().Select(i =>
        {
            var start = rng.Next(3, chaos - 12);
            return new CrashWindow(i, start, start + rng.Next(3, 12));
        }).ToList();

        var faults = new NetworkFaults(rng.Next(4) * 0.05, rng.Next(3) * 0.05, rng.Next(4));
        var partitions = new List<PartitionWindow>();
        var next = 2;
        for (var p = rng.Next(3); p > 0 && next < chaos - 6; p--)
        {
            var start = rng.Next(next, chaos - 5);
            var end = Math.Min(chaos, start + rng.Next(5, 16));
            var honest = Enumerable.Range(0, n).Where(i => byzantine.All(r => r.Node != i)).ToList();
            var sideA = new List<int>();
            var sideB = new List<int>();
            foreach (var i in rng.Shuffle(honest).Select((node, k) => (node, k)))
            {
                (i.k == 0 || (i.k > 1 && rng.Chance(0.5)) ? sideA : sideB).Add(i.node);
            }

            foreach (var r in byzantine)
            {
                switch (rng.Next(3))
                {
                    case 0: sideA.Add(r.Node); break;
                    case 1: sideB.Add(r.Node); break;
                    default: sideA.Add(r.Node); sideB.Add(r.Node); break; // a bridge: talks to both sides
                }
            }

            partitions.Add(new PartitionWindow(start, end, [.. sideA.Order()], [.. sideB.Order()]));
            next = end + 1;
        }

        return new Scenario(seed, n, byzantine, crashes, faults, partitions, chaos, StableSteps: 44, DrainSteps: 12, BlockInterval: 2, [.. Enumerable.Range(0, n)]);
    }

    public override string ToString() =>
        $"seed={Seed} N={Validators} f={CrashFaults} b={Byzantine.Count} byzantine=[{string.Join(" ", Byzantine)}] crashes=[{string.Join(" ", Crashes)}] " +
        $"{Faults} partitions=[{string.Join(" ", Partitions)}] steps={ChaosSteps}+{StableSteps}+{DrainSteps} interval={BlockInterval}";
}

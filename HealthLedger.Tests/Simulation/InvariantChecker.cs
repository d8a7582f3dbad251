using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Simulation;

/// <summary>A broken invariant: which, at which step, on which node, and what was seen.</summary>
internal sealed record Violation(string Invariant, int Step, int Node, string Detail)
{
    public override string ToString() => $"[{Invariant}] step {Step} node {Node}: {Detail}";
}

/// <summary>
/// The invariants, checked on honest nodes after every step:
/// <list type="bullet">
/// <item><b>safety</b>: no two honest nodes ever hold different final blocks at one height (every final block and its
/// ancestors are recorded, including those of nodes that later crashed);</item>
/// <item><b>no-revert</b>: a node's <see cref="Blockchain.LastFinal"/> only moves to descendants of its earlier value,
/// across restarts too (a restarted node that comes back with a lower final block has reverted);</item>
/// <item><b>orphan-bound</b>: the orphan pool stays within <see cref="ChainOptions.MaxOrphans"/>;</item>
/// <item><b>liveness</b>: in the stable phase (no partition, every honest node online, a reliable network, so at least
/// ⌊2N/3⌋ + 1 honest validators online and connected), after a warm-up of <see cref="WarmUpSteps"/> steps, every honest
/// node's last final block advances at least once every <see cref="LivenessBoundSteps"/> steps;</item>
/// <item><b>convergence</b> (at the end, after the drain: Byzantine nodes cut off, honest nodes mine a few more blocks,
/// then nobody mines and messages drain): every honest node has the same tip and the same last final block.</item>
/// </list>
/// Each invariant is reported once per node.
/// </summary>
internal sealed class InvariantChecker
{
    public const int WarmUpSteps = 10;
    public const int LivenessBoundSteps = 24;

    private readonly Scenario _scenario;
    private readonly Dictionary<ulong, (Hash256 Hash, int Node)> _finalAt = [];
    private readonly ChainEntry?[] _lastFinal;
    private readonly int[] _lastAdvance;
    private readonly HashSet<(string, int)> _reported = [];
    private readonly List<Violation> _violations = [];

    public InvariantChecker(Scenario scenario)
    {
        _scenario = scenario;
        _lastFinal = new ChainEntry?[scenario.Validators];
        _lastAdvance = new int[scenario.Validators];
    }

    public IReadOnlyList<Violation> Violations => _violations;

    public int Step { get; set; }

    public void Report(string invariant, int node, string detail)
    {
        if (_reported.Add((invariant, node)))
        {
            _violations.Add(new Violation(invariant, Step, node, detail));
        }
    }

    public void AfterStep(IReadOnlyList<SimNode> nodes)
    {
        foreach (var node in nodes.Where(n => n.IsHonest && n.Online))
        {
            CheckFinality(node);
            if (node.Chain.OrphanCount > new ChainOptions().MaxOrphans)
            {
                Report("orphan-bound", node.Index, $"{node.Chain.OrphanCount} orphans held");
            }
        }

        var stableFrom = _scenario.ChaosSteps + WarmUpSteps;
        var stableTo = _scenario.ChaosSteps + _scenario.StableSteps;
        var honestOnline = nodes.Count(n => n.IsHonest && n.Online);
        if (Step >= stableFrom && Step < stableTo && honestOnline >= FinalityQuorum.Required(nodes.Count, 1))
        {
            foreach (var node in nodes.Where(n => n.IsHonest && n.Online))
            {
                var since = Math.Max(_lastAdvance[node.Index], stableFrom);
                if (Step - since > LivenessBoundSteps)
                {
                    Report("liveness", node.Index, $"last final block #{node.Chain.LastFinal.Height} has not advanced since step {since} (tip #{node.Chain.Tip.Height}, highest justified #{node.Chain.HighestJustified.Height})");
                }
            }
        }
    }

    public void AtEnd(IReadOnlyList<SimNode> nodes)
    {
        var honest = nodes.Where(n => n.IsHonest && n.Online).ToList();
        var tips = honest.Select(n => n.Chain.Tip.Hash).Distinct().Count();
        var finals = honest.Select(n => n.Chain.LastFinal.Hash).Distinct().Count();
        if (tips > 1 || finals > 1)
        {
            Report("convergence", -1, $"{tips} tips and {finals} final blocks among honest nodes: " +
                string.Join("; ", honest.Select(n => $"{n.Index}: tip #{n.Chain.Tip.Height} {n.Chain.Tip.Hash.ToShortString()} final #{n.Chain.LastFinal.Height} {n.Chain.LastFinal.Hash.ToShortString()}")));
        }
    }

    private void CheckFinality(SimNode node)
    {
        var final = node.Chain.LastFinal;
        var previous = _lastFinal[node.Index];
        if (previous is not null && final.Hash == previous.Hash)
        {
            return;
        }

        var floor = 0UL;
        if (previous is not null)
        {
            if (final.GetAncestor(previous.Height)?.Hash == previous.Hash)
            {
                floor = previous.Height;
            }
            else
            {
                Report("no-revert", node.Index, $"last final block moved from #{previous.Height} {previous.Hash.ToShortString()} to #{final.Height} {final.Hash.ToShortString()}, not a descendant");
            }
        }

        for (var e = final; e is not null && e.Height > floor; e = e.Parent)
        {
            if (!_finalAt.TryAdd(e.Height, (e.Hash, node.Index)) && _finalAt[e.Height] is var other && other.Hash != e.Hash)
            {
                Report("safety", node.Index, $"final #{e.Height} {e.Hash.ToShortString()} conflicts with node {other.Node}'s final {other.Hash.ToShortString()}");
            }
        }

        if (previous is null || final.Height > previous.Height)
        {
            _lastAdvance[node.Index] = Step;
        }

        _lastFinal[node.Index] = final;
    }
}

using System.Security.Cryptography;
using System.Text;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Simulation.Strategies;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Simulation;

/// <summary>The outcome of one run: the scenario, what broke, the trace hash, each node's tip and last final block.</summary>
internal sealed record SimulationResult(
    Scenario Scenario,
    IReadOnlyList<Violation> Violations,
    string TraceHash,
    IReadOnlyList<(Hash256 Tip, ulong TipHeight, Hash256 Final, ulong FinalHeight)> Nodes,
    long BlocksMined,
    long MessagesSent,
    IReadOnlyList<string> LastEvents)
{
    public bool Passed => Violations.Count == 0;
}

/// <summary>
/// A discrete-event simulation of one scenario: one thread, a virtual clock (one second per step), every random choice
/// from the seed. Each step: apply the schedule (partitions, crashes, restarts, phase changes), deliver the messages
/// due, let every online node react (honest nodes vote for a new tip), let the slot's miner mine (round robin over the
/// scenario's rotation, every <see cref="Scenario.BlockInterval"/> steps), let every node do its housekeeping (Byzantine
/// strategies act here), then check the invariants. Every event is folded into a SHA-256 trace.
/// </summary>
internal sealed class Simulator
{
    private const int KeptEvents = 40;
    private static readonly KeyPair[] Keys = [.. Enumerable.Range(0, 13).Select(i => KeyPair.FromLabel($"sim-validator-{i}"))];
    private static readonly KeyPair Authority = KeyPair.FromLabel("sim-authority");

    private readonly IncrementalHash _trace = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Queue<string> _lastEvents = new();
    private readonly HashSet<Address> _validators;
    private long _blocksMined;

    public Simulator(Scenario scenario)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scenario.Validators, Keys.Length);
        Scenario = scenario;
        var rng = new SimRandom(scenario.Seed);
        Time = new ManualTimeProvider();
        Genesis = CreateGenesis(scenario.Validators, Time.NowMs - 60_000);
        Signatures = new SignatureCache();
        Network = new SimNetwork(scenario.Validators, rng.Fork(), scenario.Faults);
        Invariants = new InvariantChecker(scenario);
        _validators = [.. Keys.Take(scenario.Validators).Select(k => k.Address)];
        Nodes = [.. Enumerable.Range(0, scenario.Validators).Select(i => new SimNode(i, Keys[i], Genesis, Time, Signatures, CreateBehaviour(i, rng.Fork())))];
    }

    public Scenario Scenario { get; }

    public ManualTimeProvider Time { get; }

    public GenesisConfig Genesis { get; }

    public SignatureCache Signatures { get; }

    public SimNetwork Network { get; }

    public InvariantChecker Invariants { get; }

    public IReadOnlyList<SimNode> Nodes { get; }

    public int Step { get; private set; }

    /// <summary>When set, every event is written here too (HEALTHLEDGER_SIM_TRACE=1 with a single seed).</summary>
    public TextWriter? FullTrace { get; init; }

    /// <summary>True in the drain phase: Byzantine nodes are cut off and only honest nodes mine, then nobody does.</summary>
    public bool Draining => Step >= Scenario.ChaosSteps + Scenario.StableSteps;

    public bool IsValidator(Address address) => _validators.Contains(address);

    /// <summary>Folds an event into the trace.</summary>
    public void Record(string evt)
    {
        var line = $"{Step} {evt}\n";
        _trace.AppendData(Encoding.UTF8.GetBytes(line));
        _lastEvents.Enqueue(line.TrimEnd());
        FullTrace?.Write(line);
        if (_lastEvents.Count > KeptEvents)
        {
            _lastEvents.Dequeue();
        }
    }

    public SimulationResult Run()
    {
        Record($"scenario {Scenario}");
        for (Step = 0; Step < Scenario.TotalSteps; Step++)
        {
            RunStep();
        }

        Invariants.AtEnd(Nodes);
        return new SimulationResult(
            Scenario,
            Invariants.Violations,
            Convert.ToHexStringLower(_trace.GetHashAndReset()),
            [.. Nodes.Select(n => (n.Chain.Tip.Hash, n.Chain.Tip.Height, n.Chain.LastFinal.Hash, n.Chain.LastFinal.Height))],
            _blocksMined,
            Network.Sent,
            [.. _lastEvents]);
    }

    private void RunStep()
    {
        Time.Advance(TimeSpan.FromSeconds(1));
        Network.Now = Step;
        Invariants.Step = Step;
        ApplySchedule();

        while (Network.TryTakeDue(out var envelope))
        {
            var node = Nodes[envelope.To];
            if (!node.Online)
            {
                continue;
            }

            FullTrace?.WriteLine($"{Step} deliver {envelope.From}->{envelope.To} {Describe(envelope.Message)}");

            switch (envelope.Message)
            {
                case BlockMessage m: node.Behaviour.OnBlock(node, m.Block, envelope.From, this); break;
                case TransactionMessage m: node.Behaviour.OnTransaction(node, m.Transaction, envelope.From, this); break;
                case AncestorsRequest m: node.Behaviour.OnAncestorsRequest(node, m, envelope.From, this); break;
            }
        }

        foreach (var node in Active())
        {
            node.Behaviour.AfterDeliveries(node, this);
        }

        if (MinerOfThisStep() is { } miner)
        {
            _blocksMined++;
            miner.Behaviour.OnTurnToMine(miner, this);
        }

        foreach (var node in Active())
        {
            node.Behaviour.OnStep(node, this);
        }

        Invariants.AfterStep(Nodes);
        foreach (var node in Nodes.Where(n => n.Online))
        {
            Record($"node {node.Index} tip #{node.Chain.Tip.Height} {node.Chain.Tip.Hash} final #{node.Chain.LastFinal.Height} {node.Chain.LastFinal.Hash}");
        }
    }

    private static string Describe(SimMessage message) => message switch
    {
        BlockMessage b => $"block #{b.Block.Header.Height} {b.Block.Hash.ToShortString()} on {b.Block.Header.PreviousHash.ToShortString()}",
        TransactionMessage t => $"{t.Transaction.Payload.Kind} from {t.Transaction.SenderAddress} seq {t.Transaction.Sequence}",
        AncestorsRequest r => $"request {r.Hash.ToShortString()}",
        _ => message.ToString(),
    };

    /// <summary>Online nodes, without the Byzantine ones while draining.</summary>
    private IEnumerable<SimNode> Active() => Nodes.Where(n => n.Online && (n.IsHonest || !Draining));

    private SimNode? MinerOfThisStep()
    {
        var drainMiningEnds = Scenario.ChaosSteps + Scenario.StableSteps + (Scenario.DrainSteps / 2);
        if (Step % Scenario.BlockInterval != 0 || Step >= drainMiningEnds)
        {
            return null;
        }

        var rotation = Draining ? Scenario.MinerRotation.Where(Scenario.IsHonest).ToList() : [.. Scenario.MinerRotation];
        var node = Nodes[rotation[(Step / Scenario.BlockInterval) % rotation.Count]];
        return node.Online ? node : null;
    }

    private void ApplySchedule()
    {
        var stable = Step >= Scenario.ChaosSteps;
        var partition = stable ? null : Scenario.Partitions.FirstOrDefault(p => p.IsActiveAt(Step));
        if (Draining)
        {
            // Byzantine nodes are cut off: a partition with every honest node on one side and nobody else.
            var honest = Scenario.HonestNodes.ToList();
            partition = new PartitionWindow(Step, Scenario.TotalSteps, honest, honest);
        }

        if (!Equals(partition, Network.Partition))
        {
            Record($"partition {partition?.ToString() ?? "healed"}");
            Network.Partition = partition;
        }

        if (stable && Network.Faults != NetworkFaults.Reliable)
        {
            Record("network reliable");
            Network.Faults = NetworkFaults.Reliable;
        }

        foreach (var crash in Scenario.Crashes)
        {
            var node = Nodes[crash.Node];
            if (Step == crash.Start && node.Online)
            {
                Record($"crash {crash.Node}");
                node.Crash();
            }
            else if ((Step == crash.End || (stable && Step == Scenario.ChaosSteps)) && !node.Online)
            {
                node.Restart();
                Record($"restart {crash.Node} replayed {node.Chain.LastReplay.Blocks} blocks, tip #{node.Chain.Tip.Height} final #{node.Chain.LastFinal.Height}");
            }
        }
    }

    private NodeBehaviour CreateBehaviour(int node, SimRandom rng)
    {
        var role = Scenario.Byzantine.FirstOrDefault(b => b.Node == node);
        return role?.Strategy switch
        {
            null => new HonestBehaviour(),
            StrategyKind.Withholding => new WithholdingStrategy(),
            StrategyKind.Equivocating => new EquivocatingStrategy(rng),
            StrategyKind.DoubleVoting => new EquivocatingStrategy(rng, surroundChance: 0),
            StrategyKind.FrontRunning => new FrontRunningStrategy(),
            StrategyKind.PrivateBranch => new PrivateBranchStrategy(rng),
            StrategyKind.OrphanFlood => new OrphanFloodStrategy(rng),
            _ => throw new ArgumentOutOfRangeException(nameof(node), role.Strategy, "unknown strategy"),
        };
    }

    private static GenesisConfig CreateGenesis(int validators, long timestampMs) => new()
    {
        ChainId = 21,
        TimestampMs = timestampMs,
        Authorities = [Authority.PublicKey],
        InitialNodes = [.. Keys.Take(validators).Select((k, i) => new GenesisNode(k.PublicKey, NodeRoles.Validator, $"sim-{i}"))],
        Engine = ConsensusEngineId.ProofOfWork,
        MinThreshold = 1,
        MaxThreshold = (ushort)validators,
    };
}


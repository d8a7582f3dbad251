using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Support;

/// <summary>
/// N ePoW validators in process, each with its own chain, real seals (easy fixed difficulty) and real signatures.
/// Blocks travel only when a test delivers them, so partitions and stopped nodes are explicit.
/// </summary>
internal sealed class TestNetwork
{
    private readonly ulong[] _sequences;

    public TestNetwork(int nodes, ushort threshold, int difficultyLevel = 2)
    {
        Threshold = threshold;
        Time = new ManualTimeProvider();
        Keys = [.. Enumerable.Range(0, nodes).Select(i => KeyPair.FromLabel($"net-validator-{i}"))];
        Genesis = new GenesisConfig
        {
            ChainId = 11,
            TimestampMs = Time.NowMs - 600_000,
            Authorities = [KeyPair.FromLabel("net-authority").PublicKey],
            InitialNodes = [.. Keys.Select((k, i) => new GenesisNode(k.PublicKey, NodeRoles.Validator, $"v{i}"))],
            Engine = ConsensusEngineId.EnhancedProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(difficultyLevel), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
            MinThreshold = 1,
            MaxThreshold = (ushort)nodes,
        };
        Chains = [.. Keys.Select(_ => new Blockchain(Genesis, EnhancedProofOfWorkEngine.Instance, new InMemoryBlockStore(), Time))];
        _sequences = new ulong[nodes];
        Online = [.. Keys.Select(_ => true)];
    }

    public ushort Threshold { get; }

    public ManualTimeProvider Time { get; }

    public GenesisConfig Genesis { get; }

    public KeyPair[] Keys { get; }

    public Blockchain[] Chains { get; }

    public bool[] Online { get; }

    /// <summary>Each validator's memory of its own votes (no double or surround votes).</summary>
    public VoteGuard[] Votes => _votes ??= [.. Keys.Select(_ => new VoteGuard())];

    private VoteGuard[]? _votes;

    /// <summary>Transactions each node will put in the next block it mines.</summary>
    public List<Transaction>[] Pending => _pending ??= [.. Keys.Select(_ => new List<Transaction>())];

    private List<Transaction>[]? _pending;

    public Transaction Sign(int node, TransactionPayload payload) =>
        Transaction.Create(Keys[node], Genesis.ChainId, _sequences[node]++, Time.NowMs, payload);

    /// <summary>Node <paramref name="miner"/> mines on its tip with what it has pending (skipping what its chain already holds).</summary>
    public Block Mine(int miner)
    {
        Time.Advance(TimeSpan.FromSeconds(1));
        var chain = Chains[miner];
        var txs = Pending[miner].Where(t => CanApply(chain, t)).ToList();
        var template = chain.CreateTemplate(Keys[miner].PublicKey, txs, Threshold);
        var engine = EnhancedProofOfWorkEngine.Instance;
        var result = engine.CreateSealer(SimdNonceSearcher.Instance).Seal(template, engine.GetEffectiveTarget(Keys[miner].PublicKey, chain.TipView), Keys[miner]);
        var block = new Block(result.Header!, txs);
        var r = chain.AddBlock(block);
        Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected), r.Validation.ToString());
        Pending[miner].RemoveAll(t => txs.Contains(t));
        return block;
    }

    private static bool CanApply(Blockchain chain, Transaction tx)
    {
        var tip = chain.Tip;
        var ctx = new BlockContext(tip.Height + 1, tip.Header.TimestampMs + 1, tx.ChainId, h => tip.GetAncestor(h)?.Hash);
        return tip.State.ApplyTransaction(tx, ctx).State is not null;
    }

    public void Deliver(Block block, IEnumerable<int> to)
    {
        foreach (var n in to)
        {
            Chains[n].AddBlock(block);
        }
    }

    /// <summary>Each listed node attests its own tip and hands the attestation to every listed node's pending list.</summary>
    public void AttestTips(IReadOnlyList<int> nodes)
    {
        foreach (var n in nodes)
        {
            var vote = Chains[n].CreateVote();
            if (vote is null || !Votes[n].TryAllow(vote))
            {
                continue;
            }

            var att = Transaction.Create(Keys[n], Genesis.ChainId, 0, Time.NowMs, vote); // votes carry sequence 0
            foreach (var m in nodes)
            {
                Pending[m].Add(att);
            }
        }
    }

    /// <summary>One round among <paramref name="group"/>: a miner (round robin) mines, the group receives it and attests.</summary>
    public Block Round(IReadOnlyList<int> group, int round)
    {
        var miner = group[round % group.Count];
        var block = Mine(miner);
        Deliver(block, group.Where(n => n != miner));
        AttestTips(group);
        return block;
    }
}

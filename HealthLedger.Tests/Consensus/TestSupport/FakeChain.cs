using System.Collections.Immutable;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.TestSupport;

/// <summary>A ledger state holding only nodes.</summary>
internal sealed class FakeLedgerState(ulong height, IEnumerable<NodeInfo> nodes) : ILedgerStateView
{
    private readonly SortedDictionary<string, NodeInfo> _nodes = new(nodes.ToDictionary(n => n.Id.ToString(), n => n), StringComparer.Ordinal);

    public ulong Height { get; } = height;

    public IEnumerable<NodeInfo> Nodes => _nodes.Values;

    public int RecordCount => 0;

    public NodeInfo? GetNode(Address id) => _nodes.GetValueOrDefault(id.ToString());

    public PatientInfo? GetPatient(Address id) => null;

    public DeviceInfo? GetDevice(Address id) => null;

    public AccessGrantInfo? GetGrant(Address patient, Address grantee, HealthLedger.Core.Transactions.RecordType recordType) => null;

    public IEnumerable<AccessGrantInfo> GetGrants(Address patient) => [];

    public RecordInfo? GetRecord(Hash256 ciphertextHash) => null;

    public ulong GetNextSequence(Address sender) => 0;
}

/// <summary>A branch held in a list: headers[i] is at height i.</summary>
internal sealed class FakeChainView(IReadOnlyList<BlockHeader> headers, ILedgerStateView state, GenesisConfig genesis) : IChainView
{
    public BlockHeader Tip => headers[^1];

    public ILedgerStateView State { get; } = state;

    public GenesisConfig Genesis { get; } = genesis;

    public BlockHeader? GetAncestor(ulong height) => height < (ulong)headers.Count ? headers[(int)height] : null;
}

/// <summary>Builds genesis configurations, nodes, headers and branches for consensus tests.</summary>
internal sealed class ChainBuilder
{
    /// <summary>A target about half of all hashes meet, so sealing in tests takes a few hashes.</summary>
    public const uint EasyBits = 0x207fffff;

    private readonly List<BlockHeader> _headers = [];
    private readonly Dictionary<Address, NodeInfo> _nodes = [];

    public ChainBuilder(ConsensusEngineId engine, ConsensusParameters? parameters = null, long genesisTimeMs = 1_700_000_000_000)
    {
        Genesis = new GenesisConfig
        {
            ChainId = 7,
            TimestampMs = genesisTimeMs,
            Authorities = [KeyPair.FromLabel("authority").PublicKey],
            Engine = engine,
            Consensus = parameters ?? new ConsensusParameters { InitialTargetBits = EasyBits, PowLimitBits = EasyBits, FixedDifficulty = true },
        };
        _headers.Add(Header(0, genesisTimeMs, Hash256.Zero, Genesis.Consensus.InitialTargetBits, PublicKey.Empty, engine));
    }

    public GenesisConfig Genesis { get; private set; }

    public ulong TipHeight => (ulong)(_headers.Count - 1);

    public ChainBuilder WithGenesis(Func<GenesisConfig, GenesisConfig> change)
    {
        Genesis = change(Genesis);
        return this;
    }

    /// <summary>Registers (or replaces) a node.</summary>
    public ChainBuilder WithNode(PublicKey key, NodeRoles roles = NodeRoles.Validator, bool revoked = false, NodeActivity? activity = null)
    {
        var id = key.ToAddress();
        _nodes[id] = new NodeInfo(id, key, roles, "node-" + id.ToString()[..6], 0, revoked, activity ?? NodeActivity.Empty);
        return this;
    }

    /// <summary>Appends unsealed blocks mined by <paramref name="miner"/> (headers only; seals are not checked below the tip's child).</summary>
    public ChainBuilder AddBlocks(int count, PublicKey miner, long intervalMs = 5_000)
    {
        for (var i = 0; i < count; i++)
        {
            var parent = _headers[^1];
            _headers.Add(Header(parent.Height + 1, parent.TimestampMs + intervalMs, parent.Hash, Genesis.Consensus.InitialTargetBits, miner, Genesis.Engine));
        }

        return this;
    }

    /// <summary>Appends one block with the given timestamp and bits.</summary>
    public ChainBuilder AddBlock(long timestampMs, uint bits, PublicKey miner)
    {
        var parent = _headers[^1];
        _headers.Add(Header(parent.Height + 1, timestampMs, parent.Hash, bits, miner, Genesis.Engine));
        return this;
    }

    /// <summary>Records on-chain activity for a registered node.</summary>
    public ChainBuilder WithActivity(PublicKey key, IEnumerable<ulong>? mined = null, IEnumerable<ulong>? attested = null, IEnumerable<ulong>? penalties = null)
    {
        var node = _nodes[key.ToAddress()];
        _nodes[node.Id] = node with
        {
            Activity = new NodeActivity(
                (mined ?? []).ToImmutableArray(),
                (attested ?? []).ToImmutableArray(),
                (penalties ?? []).ToImmutableArray()),
        };
        return this;
    }

    /// <summary>The heights of the current branch mined by <paramref name="key"/>.</summary>
    public IEnumerable<ulong> HeightsMinedBy(PublicKey key) => _headers.Where(h => h.Height > 0 && h.Miner == key).Select(h => h.Height);

    /// <summary>The heights of the current branch mined by anyone but <paramref name="key"/>.</summary>
    public IEnumerable<ulong> HeightsNotMinedBy(PublicKey key) => _headers.Where(h => h.Height > 0 && h.Miner != key).Select(h => h.Height);

    public FakeChainView View() => new([.. _headers], new FakeLedgerState(TipHeight, _nodes.Values), Genesis);

    /// <summary>An unsealed template for the child of the tip.</summary>
    public BlockHeader ChildTemplate(PublicKey miner, uint bits, long? timestampMs = null, ConsensusEngineId? engine = null, ulong nonce = 0)
    {
        var parent = _headers[^1];
        return Header(parent.Height + 1, timestampMs ?? parent.TimestampMs + 5_000, parent.Hash, bits, miner, engine ?? Genesis.Engine, nonce);
    }

    public BlockHeader Header(ulong height, long timestampMs, Hash256 previous, uint bits, PublicKey miner, ConsensusEngineId engine, ulong nonce = 0) =>
        new(BlockHeader.CurrentVersion, Genesis.ChainId, height, timestampMs, previous, Hash256.Sha256([(byte)height, 1, 2, 3]), bits, 1, engine, miner, nonce, Signature.Empty);
}

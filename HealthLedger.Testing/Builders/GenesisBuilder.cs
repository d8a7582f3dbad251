using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Testing.Builders;

/// <summary>
/// Builds a <see cref="GenesisConfig"/> with test defaults: chain 1, classic proof of work, the authority labelled
/// "authority", a timestamp a minute before <see cref="TestClock.DefaultStart"/>, no registered nodes.
/// Not thread-safe (one builder per test).
/// </summary>
public sealed class GenesisBuilder
{
    private readonly List<GenesisNode> _nodes = [];
    private readonly List<PublicKey> _authorities = [];
    private uint _chainId = 1;
    private long _timestampMs = TestClock.DefaultStartMs - 60_000;
    private ConsensusEngineId _engine = ConsensusEngineId.ProofOfWork;
    private ConsensusParameters _consensus = new();
    private LedgerLimits _limits = new();
    private ushort _minThreshold = 1;
    private ushort _maxThreshold = 64;

    /// <summary>The chain id.</summary>
    public GenesisBuilder WithChainId(uint chainId)
    {
        _chainId = chainId;
        return this;
    }

    /// <summary>The genesis timestamp, Unix milliseconds.</summary>
    public GenesisBuilder WithTimestamp(long timestampMs)
    {
        _timestampMs = timestampMs;
        return this;
    }

    /// <summary>Adds an authority (the first one replaces the default).</summary>
    public GenesisBuilder WithAuthority(PublicKey authority)
    {
        _authorities.Add(authority);
        return this;
    }

    /// <summary>Registers validators at genesis, named <c>validator-i</c>.</summary>
    public GenesisBuilder WithValidators(params PublicKey[] validators)
    {
        ArgumentNullException.ThrowIfNull(validators);
        foreach (var key in validators)
        {
            _nodes.Add(new GenesisNode(key, NodeRoles.Validator, $"validator-{_nodes.Count}"));
        }

        return this;
    }

    /// <summary>Registers a node at genesis.</summary>
    public GenesisBuilder WithNode(PublicKey key, NodeRoles roles, string name)
    {
        _nodes.Add(new GenesisNode(key, roles, name));
        return this;
    }

    /// <summary>The consensus engine (and, when given, its parameters).</summary>
    public GenesisBuilder WithEngine(ConsensusEngineId engine, ConsensusParameters? parameters = null)
    {
        _engine = engine;
        _consensus = parameters ?? _consensus;
        return this;
    }

    /// <summary>A fixed, easy difficulty (real seals found in microseconds): level 1 is the easiest.</summary>
    public GenesisBuilder WithFixedDifficulty(int level = 1)
    {
        _consensus = _consensus with
        {
            InitialTargetBits = CompactTarget.FromDifficultyLevel(level),
            PowLimitBits = CompactTarget.FromDifficultyLevel(1),
            FixedDifficulty = true,
        };
        return this;
    }

    /// <summary>The bounds of the per-block threshold k.</summary>
    public GenesisBuilder WithThresholds(ushort min, ushort max)
    {
        _minThreshold = min;
        _maxThreshold = max;
        return this;
    }

    /// <summary>Block and transaction limits.</summary>
    public GenesisBuilder WithLimits(LedgerLimits limits)
    {
        _limits = limits ?? throw new ArgumentNullException(nameof(limits));
        return this;
    }

    /// <summary>The configuration.</summary>
    public GenesisConfig TestObject
    {
        get
        {
            IReadOnlyList<PublicKey> authorities = _authorities.Count > 0 ? [.. _authorities] : [DefaultAuthority.Value];
            return new GenesisConfig
            {
                ChainId = _chainId,
                TimestampMs = _timestampMs,
                Authorities = authorities,
                InitialNodes = [.. _nodes],
                Engine = _engine,
                Consensus = _consensus,
                MinThreshold = _minThreshold,
                MaxThreshold = _maxThreshold,
                Limits = _limits,
            };
        }
    }

    private static readonly Lazy<PublicKey> DefaultAuthority = new(() =>
    {
        using var key = KeyPair.FromLabel("authority");
        return key.PublicKey;
    });
}

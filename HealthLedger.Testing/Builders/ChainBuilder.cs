using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Storage;

namespace HealthLedger.Testing.Builders;

/// <summary>
/// Builds a <see cref="Blockchain"/>: by default on <see cref="GenesisBuilder"/>'s genesis, with
/// <see cref="StubConsensusEngine.AcceptAll"/>, an in-memory store and a <see cref="TestClock"/>.
/// Not thread-safe (one builder per test).
/// </summary>
public sealed class ChainBuilder
{
    private GenesisConfig? _genesis;
    private IConsensusEngine? _engine;
    private IBlockStore? _store;
    private TimeProvider? _clock;

    /// <summary>The genesis configuration.</summary>
    public ChainBuilder WithGenesis(GenesisConfig genesis)
    {
        _genesis = genesis ?? throw new ArgumentNullException(nameof(genesis));
        return this;
    }

    /// <summary>The consensus engine (default: a stub that accepts every seal, of the genesis engine's id).</summary>
    public ChainBuilder WithEngine(IConsensusEngine engine)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
        return this;
    }

    /// <summary>The block store (default: a new <see cref="InMemoryBlockStore"/>).</summary>
    public ChainBuilder WithStore(IBlockStore store)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        return this;
    }

    /// <summary>The clock (default: a new <see cref="TestClock"/>).</summary>
    public ChainBuilder WithClock(TimeProvider clock)
    {
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        return this;
    }

    /// <summary>The chain.</summary>
    public Blockchain TestObject
    {
        get
        {
            var genesis = _genesis ?? new GenesisBuilder().TestObject;
            return new Blockchain(genesis, _engine ?? StubConsensusEngine.AcceptAll(genesis.Engine), _store ?? new InMemoryBlockStore(), _clock ?? TestClock.Create());
        }
    }
}

namespace HealthLedger.Testing.Builders;

/// <summary>The catalogue behind <see cref="Build.A"/>: each property starts a new builder with test defaults.</summary>
/// <remarks>Stateless, so safe to share between threads; the builders it returns are not.</remarks>
public sealed class BuilderCatalog
{
    internal BuilderCatalog()
    {
    }

    /// <summary>A key pair (deterministic from a label).</summary>
    public KeyPairBuilder Key => new();

    /// <summary>A genesis configuration.</summary>
    public GenesisBuilder Genesis => new();

    /// <summary>A signed transaction.</summary>
    public TransactionBuilder Transaction => new();

    /// <summary>A block on a parent.</summary>
    public BlockBuilder Block => new();

    /// <summary>A chain (a <see cref="Core.Chain.Blockchain"/> on an in-memory store).</summary>
    public ChainBuilder Chain => new();
}

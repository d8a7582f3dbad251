using HealthLedger.Testing.Builders;

namespace HealthLedger.Testing;

/// <summary>
/// The entry point of the test data builders, read as prose:
/// <c>Build.A.Block.WithParent(chain.Tip).WithTransactions(tx).TestObject</c>.
/// </summary>
/// <remarks>Every property returns a new builder; builders are mutable and meant for one thread (one test).</remarks>
public static class Build
{
    /// <summary>The builders.</summary>
    public static BuilderCatalog A { get; } = new();
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;

namespace HealthLedger.Consensus.Engines;

/// <summary>Picks the consensus engine a chain's genesis names.</summary>
public static class ConsensusEngines
{
    /// <summary>The engine for <paramref name="genesis"/>.</summary>
    /// <exception cref="ArgumentException">The genesis names no known engine, or its credit parameters are out of range.</exception>
    public static IMiningEngine Create(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        return genesis.Engine switch
        {
            ConsensusEngineId.ProofOfWork => ProofOfWorkEngine.Instance,
            ConsensusEngineId.EnhancedProofOfWork => WithCheckedParameters(genesis),
            _ => throw new ArgumentException($"Unknown consensus engine {genesis.Engine}.", nameof(genesis)),
        };
    }

    private static EnhancedProofOfWorkEngine WithCheckedParameters(GenesisConfig genesis)
    {
        _ = CreditParameters.From(genesis.Consensus); // throws on out-of-range parameters, at startup rather than per block
        return EnhancedProofOfWorkEngine.Instance;
    }
}

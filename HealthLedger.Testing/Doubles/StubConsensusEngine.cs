using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Engines;

/// <summary>
/// A test stand-in for chain tests: accepts every seal (or rejects every seal with one code), weighs every block 1
/// and keeps the genesis initial target. Never use on a real chain. Immutable, so safe to share between threads.
/// </summary>
public sealed class StubConsensusEngine : IConsensusEngine
{
    private readonly ValidationResult _verdict;

    private StubConsensusEngine(ConsensusEngineId id, ValidationResult verdict)
    {
        Id = id;
        _verdict = verdict;
    }

    /// <inheritdoc />
    public ConsensusEngineId Id { get; }

    /// <summary>An engine that accepts every seal.</summary>
    public static StubConsensusEngine AcceptAll(ConsensusEngineId id = ConsensusEngineId.ProofOfWork) => new(id, ValidationResult.Ok);

    /// <summary>An engine that rejects every seal with <paramref name="code"/>.</summary>
    public static StubConsensusEngine RejectAll(RejectionCode code = RejectionCode.InsufficientProofOfWork, ConsensusEngineId id = ConsensusEngineId.ProofOfWork) =>
        code == RejectionCode.None
            ? throw new ArgumentOutOfRangeException(nameof(code), "A rejecting stub needs a rejection code.")
            : new(id, ValidationResult.Reject(code, $"Stub engine rejects every seal ({code})."));

    /// <inheritdoc />
    public ValidationResult ValidateSeal(BlockHeader header, IChainView parent) => _verdict;

    /// <inheritdoc />
    public ValidationResult ValidateHeader(BlockHeader header, Core.Chain.GenesisConfig genesis) => ValidationResult.Ok;

    /// <inheritdoc />
    public BigInteger GetWork(BlockHeader header, IChainView parent) => BigInteger.One;

    /// <inheritdoc />
    public uint GetNextTargetBits(IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return parent.Genesis.Consensus.InitialTargetBits;
    }
}

using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Validation;

namespace HealthLedger.Tests.Support;

/// <summary>A consensus stand-in: every seal is valid except nonce 0xBAD, every block weighs 1, the target never changes.</summary>
internal sealed class TestEngine(ConsensusEngineId id = ConsensusEngineId.ProofOfWork) : IConsensusEngine
{
    public const ulong BadNonce = 0xBAD;

    public ConsensusEngineId Id { get; } = id;

    public ValidationResult ValidateSeal(BlockHeader header, IChainView parent) =>
        header.Nonce == BadNonce
            ? ValidationResult.Reject(RejectionCode.InsufficientProofOfWork, "test engine refuses nonce 0xBAD")
            : ValidationResult.Ok;

    public ValidationResult ValidateHeader(BlockHeader header, HealthLedger.Core.Chain.GenesisConfig genesis) => ValidationResult.Ok;

    public BigInteger GetWork(BlockHeader header, IChainView parent) => BigInteger.One;

    public uint GetNextTargetBits(IChainView parent) => parent.Genesis.Consensus.InitialTargetBits;
}

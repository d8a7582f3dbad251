using HealthLedger.Core.Chain;
using System.Numerics;
using HealthLedger.Consensus.Retargeting;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Engines;

/// <summary>
/// Classic Bitcoin-style proof of work: the header's double SHA-256 must not exceed the target its compact bits
/// encode, the bits must be the ASERT rule's, the seal signature must be empty. Fork-choice weight is the work of
/// the target. Stateless and thread-safe.
/// </summary>
public sealed class ProofOfWorkEngine : IMiningEngine
{
    /// <summary>The shared instance.</summary>
    public static ProofOfWorkEngine Instance { get; } = new();

    /// <inheritdoc />
    public ConsensusEngineId Id => ConsensusEngineId.ProofOfWork;

    /// <inheritdoc />
    public ValidationResult ValidateSeal(BlockHeader header, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(parent);
        var result = SealRules.CheckEngineAndTarget(header, parent, Id, GetNextTargetBits(parent));
        if (!result.IsValid)
        {
            return result;
        }

        if (!header.Seal.IsEmpty)
        {
            return ValidationResult.Reject(RejectionCode.BadSealFields, "A proof-of-work header carries no seal signature.");
        }

        return SealRules.CheckProofOfWork(header, CompactTarget.Decode(header.TargetBits), "target");
    }

    /// <inheritdoc />
    public ValidationResult ValidateHeader(BlockHeader header, GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(genesis);
        if (!header.Seal.IsEmpty)
        {
            return ValidationResult.Reject(RejectionCode.BadSealFields, "A proof-of-work header carries no seal signature.");
        }

        return SealRules.CheckHeader(header, genesis, Id, maxCreditLevels: 0);
    }

    /// <inheritdoc />
    public BigInteger GetWork(BlockHeader header, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(header);
        return SealRules.BaseWork(header);
    }

    /// <inheritdoc />
    public uint GetNextTargetBits(IChainView parent) => AsertRetargeting.NextTargetBits(parent);

    /// <inheritdoc />
    public BigInteger GetEffectiveTarget(PublicKey miner, IChainView parent) => CompactTarget.Decode(GetNextTargetBits(parent));

    /// <inheritdoc />
    public ISealer CreateSealer(INonceSearcher? searcher = null) => new ProofOfWorkSealer(searcher);
}

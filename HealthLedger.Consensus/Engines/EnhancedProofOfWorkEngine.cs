using System.Numerics;
using HealthLedger.Consensus.Retargeting;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Engines;

/// <summary>
/// Enhanced proof of work (ePoW): identity-bound and credit-weighted (docs/consensus.md). The miner must be an
/// active registered validator and sign the seal; its hash must meet base target · 2^m, where m ∈ [−8, +4] is its
/// credit on the parent branch (<see cref="CreditFunction"/>). Fork-choice weight is the work of the base target,
/// so credit makes honest blocks cheaper to produce but never heavier. Stateless and thread-safe.
/// </summary>
/// <param name="signatures">The signature scheme of seals (Ed25519 when null).</param>
public sealed class EnhancedProofOfWorkEngine(ISignatureScheme? signatures = null) : IMiningEngine
{
    private readonly ISignatureScheme _signatures = signatures ?? Ed25519.Instance;

    /// <summary>The shared instance (Ed25519 seals).</summary>
    public static EnhancedProofOfWorkEngine Instance { get; } = new();

    /// <inheritdoc />
    public ConsensusEngineId Id => ConsensusEngineId.EnhancedProofOfWork;

    /// <inheritdoc />
    public ValidationResult ValidateSeal(BlockHeader header, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(parent);
        var result = ValidateContext(header, parent);
        return result.IsValid ? CheckSealSignature(header) : result;
    }

    /// <inheritdoc />
    public ValidationResult ValidateContext(BlockHeader header, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(parent);
        var result = SealRules.CheckEngineAndTarget(header, parent, Id, GetNextTargetBits(parent));
        if (!result.IsValid)
        {
            return result;
        }

        var (node, identity) = CheckIdentity(header.Miner, parent.State);
        if (node is null)
        {
            return identity;
        }

        // Work before the signature: a forger must pay for the hash before we pay for a verification.
        var credit = CreditFunction.Compute(node, parent, CreditParameters.From(parent.Genesis.Consensus));
        var effective = credit.Apply(CompactTarget.Decode(header.TargetBits));
        return SealRules.CheckProofOfWork(header, effective, $"effective target (credit {credit.Levels:+0;-0;0})");
    }

    /// <inheritdoc />
    public ValidationResult ValidateHeader(BlockHeader header, GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(genesis);
        var result = SealRules.CheckHeader(header, genesis, Id, CreditParameters.MaxBonusLevels);
        return result.IsValid ? CheckSealSignature(header) : result;
    }

    private ValidationResult CheckSealSignature(BlockHeader header) =>
        _signatures.Verify(header.Miner, header.GetSealMessage(), header.Seal)
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.InvalidSealSignature, $"The seal is not {header.MinerAddress}'s signature of block {header.Hash}.");

    /// <inheritdoc />
    public BigInteger GetWork(BlockHeader header, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(header);
        return SealRules.BaseWork(header);
    }

    /// <inheritdoc />
    public uint GetNextTargetBits(IChainView parent) => AsertRetargeting.NextTargetBits(parent);

    /// <summary>
    /// The credit of <paramref name="miner"/> for a child of <paramref name="parent"/>'s tip; neutral for a key that is
    /// not an active validator (such a block is rejected anyway).
    /// </summary>
    public static CreditScore GetCredit(PublicKey miner, IChainView parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        var (node, _) = CheckIdentity(miner, parent.State);
        return node is null ? CreditScore.Neutral : CreditFunction.Compute(node, parent, CreditParameters.From(parent.Genesis.Consensus));
    }

    /// <inheritdoc />
    public BigInteger GetEffectiveTarget(PublicKey miner, IChainView parent) =>
        GetCredit(miner, parent).Apply(CompactTarget.Decode(GetNextTargetBits(parent)));

    /// <inheritdoc />
    public ISealer CreateSealer(INonceSearcher? searcher = null) => new EnhancedProofOfWorkSealer(searcher);

    private static (NodeInfo? Node, ValidationResult Rejection) CheckIdentity(PublicKey miner, ILedgerStateView state)
    {
        var node = state.GetNode(miner.ToAddress());
        if (node is null || node.Key != miner)
        {
            return (null, ValidationResult.Reject(RejectionCode.MinerNotRegistered, $"Miner {miner.ToAddress()} is not a registered node."));
        }

        if ((node.Roles & NodeRoles.Validator) == 0)
        {
            return (null, ValidationResult.Reject(RejectionCode.MinerNotRegistered, $"Node {node.Id} ({node.Name}) lacks the Validator role."));
        }

        if (node.Revoked)
        {
            return (null, ValidationResult.Reject(RejectionCode.NodeRevoked, $"Node {node.Id} ({node.Name}) was revoked."));
        }

        return (node, ValidationResult.Ok);
    }
}

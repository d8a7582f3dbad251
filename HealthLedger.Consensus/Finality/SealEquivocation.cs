using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;

namespace HealthLedger.Consensus.Finality;

/// <summary>
/// Header equivocation evidence under ePoW: two distinct headers sealed (signed) by one miner on the same parent.
/// Accepted evidence is recorded in the miner's <c>NodeActivity.PenaltyHeights</c>, which costs it
/// <see cref="CreditParameters.PenaltyLevels"/> difficulty doublings, decaying over
/// <see cref="CreditParameters.PenaltyDecayBlocks"/> (docs/consensus.md, "Equivocation").
/// </summary>
/// <remarks>
/// The same parent is required, not merely the same height: an honest miner whose block was reorganised away mines
/// a new block at the same height on the new parent, and must not be punished for that. Mining twice on one parent
/// is never honest: it only serves to split the network's attestations. Conflicting attestations are checked by the
/// chain's attestation rules and produce the same penalty.
/// </remarks>
public static class SealEquivocation
{
    /// <summary>Checks that <paramref name="first"/> and <paramref name="second"/> prove an equivocation.</summary>
    /// <param name="first">One sealed header.</param>
    /// <param name="second">Another sealed header.</param>
    /// <param name="chainId">The chain the evidence is filed on.</param>
    /// <param name="signatures">Seal signature scheme (Ed25519 when null).</param>
    /// <returns>Valid, or <see cref="RejectionCode.InvalidEvidence"/> naming the failed condition.</returns>
    public static ValidationResult Verify(BlockHeader first, BlockHeader second, uint chainId, ISignatureScheme? signatures = null)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        signatures ??= Ed25519.Instance;
        if (first.ChainId != chainId || second.ChainId != chainId)
        {
            return Invalid("Both headers must belong to this chain.");
        }

        if (first.Engine != ConsensusEngineId.EnhancedProofOfWork || second.Engine != ConsensusEngineId.EnhancedProofOfWork)
        {
            return Invalid("Only identity-bound (ePoW) headers can prove equivocation.");
        }

        if (first.Hash == second.Hash)
        {
            return Invalid("The headers are the same block.");
        }

        if (first.Miner != second.Miner)
        {
            return Invalid("The headers have different miners.");
        }

        if (first.Height != second.Height || first.PreviousHash != second.PreviousHash)
        {
            return Invalid("The headers do not share a parent.");
        }

        if (!signatures.Verify(first.Miner, first.GetSealMessage(), first.Seal) || !signatures.Verify(second.Miner, second.GetSealMessage(), second.Seal))
        {
            return Invalid("A seal signature does not verify.");
        }

        return ValidationResult.Ok;
    }

    private static ValidationResult Invalid(string message) => ValidationResult.Reject(RejectionCode.InvalidEvidence, message);
}

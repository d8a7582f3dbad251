using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Chain;

/// <summary>Checks that misbehaviour evidence proves equivocation, and names the accused.</summary>
public static class EvidenceVerifier
{
    /// <summary>
    /// Decodes both items and checks that they conflict (headers: same miner, same parent, different hash; finality votes:
    /// same sender, a double vote or a surround vote, see <see cref="Attestation.ConflictsWith"/>), both signed
    /// (signatures checked when <paramref name="verifySignatures"/>), this chain, and canonical order (first hash smaller).
    /// </summary>
    public static bool TryGetAccused(MisbehaviourEvidence evidence, uint chainId, bool verifySignatures, out Address accused, out string error, ISignatureScheme? scheme = null)
    {
        ArgumentNullException.ThrowIfNull(evidence);
        accused = Address.Zero;
        scheme ??= Ed25519.Instance;
        try
        {
            switch (evidence.EvidenceKind)
            {
                case EvidenceKind.ConflictingHeaders:
                {
                    var a = HeaderCodec.Decode(evidence.First);
                    var b = HeaderCodec.Decode(evidence.Second);
                    if (a.ChainId != chainId || b.ChainId != chainId)
                    {
                        error = "headers from another chain";
                        return false;
                    }

                    // Same parent, not just same height: an honest miner that re-mines a height after a reorg
                    // (a different parent) has not equivocated.
                    if (a.Height != b.Height || a.PreviousHash != b.PreviousHash || a.Miner != b.Miner || a.Hash == b.Hash)
                    {
                        error = "headers do not conflict (need same parent and height, same miner, different hash)";
                        return false;
                    }

                    if (a.Hash >= b.Hash)
                    {
                        error = "evidence items are not in canonical order";
                        return false;
                    }

                    if (a.Seal.IsEmpty || b.Seal.IsEmpty)
                    {
                        error = "unsigned headers prove nothing";
                        return false;
                    }

                    if (verifySignatures && (!scheme.Verify(a.Miner, a.GetSealMessage(), a.Seal) || !scheme.Verify(b.Miner, b.GetSealMessage(), b.Seal)))
                    {
                        error = "a header seal does not verify";
                        return false;
                    }

                    accused = a.MinerAddress;
                    error = string.Empty;
                    return true;
                }

                case EvidenceKind.ConflictingAttestations:
                {
                    var a = Transaction.Decode(evidence.First);
                    var b = Transaction.Decode(evidence.Second);
                    if (a.Payload is not Attestation pa || b.Payload is not Attestation pb)
                    {
                        error = "items are not attestations";
                        return false;
                    }

                    if (a.ChainId != chainId || b.ChainId != chainId)
                    {
                        error = "attestations from another chain";
                        return false;
                    }

                    if (a.Sender != b.Sender || !pa.ConflictsWith(pb))
                    {
                        error = "attestations do not conflict (need the same sender and a double vote at one target height or a surrounding vote)";
                        return false;
                    }

                    if (a.Id >= b.Id)
                    {
                        error = "evidence items are not in canonical order";
                        return false;
                    }

                    if (verifySignatures && (!a.VerifySignature(scheme) || !b.VerifySignature(scheme)))
                    {
                        error = "an attestation signature does not verify";
                        return false;
                    }

                    accused = a.SenderAddress;
                    error = string.Empty;
                    return true;
                }

                default:
                    error = $"unknown evidence kind {evidence.EvidenceKind}";
                    return false;
            }
        }
        catch (LedgerFormatException ex)
        {
            error = "evidence item does not decode: " + ex.Message;
            return false;
        }
    }

    /// <summary>Builds evidence from two conflicting signed headers, in canonical order.</summary>
    public static MisbehaviourEvidence FromHeaders(BlockHeader a, BlockHeader b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Hash < b.Hash
            ? new MisbehaviourEvidence(EvidenceKind.ConflictingHeaders, HeaderCodec.Encode(a), HeaderCodec.Encode(b))
            : new MisbehaviourEvidence(EvidenceKind.ConflictingHeaders, HeaderCodec.Encode(b), HeaderCodec.Encode(a));
    }

    /// <summary>Builds evidence from two conflicting attestations, in canonical order.</summary>
    public static MisbehaviourEvidence FromAttestations(Transaction a, Transaction b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.Id < b.Id
            ? new MisbehaviourEvidence(EvidenceKind.ConflictingAttestations, a.Encode().ToArray(), b.Encode().ToArray())
            : new MisbehaviourEvidence(EvidenceKind.ConflictingAttestations, b.Encode().ToArray(), a.Encode().ToArray());
    }
}

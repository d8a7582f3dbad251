using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Mempool;

/// <summary>
/// The mempool's priority classes, highest first (docs/security.md, "Mempool policy"). A transaction's class decides
/// which share of the pool it may use, what it may evict when the pool is full, and where it goes in a block template.
/// </summary>
public enum PriorityClass
{
    /// <summary>Attestations and misbehaviour evidence: finality and punishment must never be crowded out.</summary>
    Consensus = 0,

    /// <summary>
    /// Transactions from identities an authority or provider vouched for: registered devices (record anchors),
    /// registered nodes (providers, gateways, validators) and genesis authorities.
    /// </summary>
    Infrastructure = 1,

    /// <summary>Transactions from registered patients (grants, revocations): their key was registered on-chain, for free.</summary>
    Patient = 2,

    /// <summary>
    /// Anything from a key with no identity yet: in practice a patient registration from a fresh key, which costs its
    /// sender nothing (a key pair) and is therefore confined to a small share of the pool.
    /// </summary>
    Newcomer = 3,
}

/// <summary>Assigns transactions to <see cref="PriorityClass"/>es.</summary>
public static class MempoolClassifier
{
    /// <summary>Number of classes.</summary>
    public const int ClassCount = 4;

    /// <summary>
    /// The class of <paramref name="tx"/>. Depends only on the kind and on who the sender is, never on anything the
    /// sender chooses freely, so a fresh key cannot buy a better class.
    /// </summary>
    /// <param name="tx">The transaction.</param>
    /// <param name="pending">The pool's pending state: a device or node registered by a pending transaction (which
    /// only an authority or a provider can issue) already counts.</param>
    /// <param name="onChain">The tip state: a patient counts as registered only once the registration is mined, because
    /// registering costs nothing; until then its grants stay in <see cref="PriorityClass.Newcomer"/> with it.</param>
    public static PriorityClass Classify(Transaction tx, LedgerState pending, LedgerState onChain)
    {
        ArgumentNullException.ThrowIfNull(tx);
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(onChain);
        if (tx.Kind is TransactionKind.Attestation or TransactionKind.MisbehaviourEvidence)
        {
            return PriorityClass.Consensus;
        }

        var sender = tx.SenderAddress;
        if (pending.GetDevice(sender) is not null || pending.GetNode(sender) is not null || pending.IsAuthority(sender))
        {
            return PriorityClass.Infrastructure;
        }

        return onChain.GetPatient(sender) is not null ? PriorityClass.Patient : PriorityClass.Newcomer;
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Mempool;

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

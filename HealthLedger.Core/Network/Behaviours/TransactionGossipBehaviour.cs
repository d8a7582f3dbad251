using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network.Behaviours;

/// <summary>Transactions from peers: within the per-peer budget, submitted to the pool and relayed when admitted; junk scores.</summary>
internal sealed class TransactionGossipBehaviour(GossipNode node, GossipOptions options)
{
    public void OnTransaction(PeerSession from, NewTransactionMessage message)
    {
        if (!from.Transactions.TryTake(1))
        {
            from.Penalise(PeerOffence.TransactionFlood, options.FloodPenalty, RejectionCode.None, $"more than {from.Transactions.Limit} transactions in {options.BudgetWindow.TotalSeconds} s (dropped)");
            return;
        }

        // Decoded once here (not by the pool and again for the vote watch).
        Transactions.Transaction tx;
        try
        {
            tx = Transactions.Transaction.Decode(message.EncodedTransaction);
        }
        catch (Encoding.LedgerFormatException ex)
        {
            var malformed = ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message);
            from.Penalise(PeerOffence.InvalidTransaction, options.InvalidTransactionPenalty, malformed.Code, malformed.ToString());
            return;
        }

        var r = node.Pool.Submit(tx, Mempool.TransactionOrigin.Peer);
        if (r.Accepted)
        {
            node.Relay(message, except: from);
        }
        else if (r.Validation.Code is RejectionCode.InvalidSignature)
        {
            from.Penalise(PeerOffence.InvalidTransaction, options.InvalidTransactionPenalty, r.Validation.Code, r.Validation.ToString());
        }

        // A vote the pool refused because it conflicts with this branch, or names a block this node does not follow,
        // may be half of an equivocation: watch it all the same.
        if (r.Accepted || r.Validation.Code is RejectionCode.ConflictingAttestation or RejectionCode.UnknownAttestedBlock or RejectionCode.DuplicateInMempool)
        {
            node.ObserveVote(tx);
        }
    }
}

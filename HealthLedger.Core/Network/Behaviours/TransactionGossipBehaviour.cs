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

        var r = node.Pool.SubmitEncoded(message.EncodedTransaction);
        if (r.Accepted)
        {
            node.Relay(message, except: from);
        }

        // A vote the pool refused because it conflicts with this branch, or names a block this node does not follow,
        // may be half of an equivocation: watch it all the same.
        if (r.Accepted || r.Validation.Code is RejectionCode.ConflictingAttestation or RejectionCode.UnknownAttestedBlock or RejectionCode.DuplicateInMempool)
        {
            try
            {
                node.ObserveVote(Transactions.Transaction.Decode(message.EncodedTransaction));
            }
            catch (Encoding.LedgerFormatException)
            {
                // already refused by the pool
            }
        }
        else if (r.Validation.Code is RejectionCode.MalformedEncoding or RejectionCode.InvalidSignature)
        {
            from.Penalise(PeerOffence.InvalidTransaction, options.InvalidTransactionPenalty, r.Validation.Code, r.Validation.ToString());
        }
    }
}

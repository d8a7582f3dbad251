using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Watches the finality votes a node sees anywhere (blocks of every branch, the mempool, gossip, even votes for blocks
/// it does not know) and turns two conflicting votes of one validator (<see cref="Attestation.ConflictsWith"/>) into
/// <see cref="MisbehaviourEvidence"/> for the chain. This is what makes safety accountable: conflicting final blocks
/// require more than a third of a validator set to have signed conflicting votes, and every honest node that sees both
/// halves can prove it. Memory is bounded: at most <c>maxVotesPerValidator</c> votes per sender (the lowest targets
/// are forgotten first) and only senders the caller vouches for (check signature and validator status first).
/// Thread-safe.
/// </summary>
public sealed class EquivocationWatch
{
    private readonly object _gate = new();
    private readonly Dictionary<Address, SortedList<ulong, List<Transaction>>> _bySender = [];
    private readonly HashSet<Hash256> _reported = [];
    private readonly int _maxVotesPerValidator;

    /// <summary>A watch that remembers up to <paramref name="maxVotesPerValidator"/> votes per validator.</summary>
    public EquivocationWatch(int maxVotesPerValidator = 4_096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxVotesPerValidator, 1);
        _maxVotesPerValidator = maxVotesPerValidator;
    }

    /// <summary>Number of votes remembered.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _bySender.Values.Sum(s => s.Values.Sum(l => l.Count));
            }
        }
    }

    /// <summary>
    /// Records a signed vote (whose signature and sender the caller has checked) and returns evidence if it conflicts
    /// with a vote of the same sender seen before; each conflicting pair is reported once. Not a vote: null.
    /// </summary>
    public MisbehaviourEvidence? Observe(Transaction vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        if (vote.Payload is not Attestation a)
        {
            return null;
        }

        lock (_gate)
        {
            if (!_bySender.TryGetValue(vote.SenderAddress, out var votes))
            {
                votes = [];
                _bySender[vote.SenderAddress] = votes;
            }

            MisbehaviourEvidence? evidence = null;
            foreach (var list in votes.Values)
            {
                foreach (var earlier in list)
                {
                    if (earlier.Id == vote.Id)
                    {
                        return null; // seen already
                    }

                    if (evidence is null && ((Attestation)earlier.Payload).ConflictsWith(a))
                    {
                        var candidate = EvidenceVerifier.FromAttestations(earlier, vote);
                        if (_reported.Add(candidate.EvidenceId))
                        {
                            evidence = candidate;
                        }
                    }
                }
            }

            if (!votes.TryGetValue(a.BlockHeight, out var atHeight))
            {
                atHeight = [];
                votes[a.BlockHeight] = atHeight;
            }

            atHeight.Add(vote);
            var remembered = votes.Values.Sum(l => l.Count);
            while (remembered > _maxVotesPerValidator)
            {
                remembered -= votes.Values[0].Count;
                votes.RemoveAt(0);
            }

            return evidence;
        }
    }
}

using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Chain;

/// <summary>
/// A validator's memory of its own finality votes, so that it never signs a double vote (two votes for one target
/// height) or a surround vote, either of which is provable equivocation (docs/consensus.md §5). An honest validator
/// votes with strictly increasing target heights and non-decreasing source heights; a vote that would break either
/// is refused. Persist <see cref="LastTargetHeight"/> and <see cref="LastSourceHeight"/> across restarts (a validator
/// that forgets its votes can equivocate by accident). Thread-safe.
/// </summary>
public sealed class VoteGuard
{
    private readonly object _gate = new();

    /// <summary>A guard for a validator that has voted up to the given heights (0, 0 for one that never voted).</summary>
    public VoteGuard(ulong lastTargetHeight = 0, ulong lastSourceHeight = 0)
    {
        LastTargetHeight = lastTargetHeight;
        LastSourceHeight = lastSourceHeight;
    }

    /// <summary>The target height of the last vote allowed.</summary>
    public ulong LastTargetHeight { get; private set; }

    /// <summary>The source height of the last vote allowed.</summary>
    public ulong LastSourceHeight { get; private set; }

    /// <summary>
    /// True, and the vote is remembered, when signing <paramref name="vote"/> cannot conflict with any earlier vote
    /// allowed by this guard: its target is higher than every earlier target and its source is not lower than any
    /// earlier source.
    /// </summary>
    public bool TryAllow(Attestation vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        lock (_gate)
        {
            if (vote.BlockHeight <= LastTargetHeight || vote.SourceHeight < LastSourceHeight)
            {
                return false;
            }

            LastTargetHeight = vote.BlockHeight;
            LastSourceHeight = vote.SourceHeight;
            return true;
        }
    }
}

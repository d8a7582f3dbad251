using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Justification and finality in the manner of Casper FFG, with every block a checkpoint (docs/consensus.md §5).
/// A vote is an <see cref="Attestation"/>: a link from a source block to a target block. The tracker collects the
/// votes of every valid block on every branch (a signed vote means the same wherever it is included, so a branch gains
/// nothing by presenting votes first) and derives:
/// <list type="bullet">
/// <item><b>justified</b>: the last final block is justified; a block T is justified when at least
/// <see cref="FinalityQuorum.Required"/> of the validators active in T's parent state have links S → T from justified
/// ancestors S (not necessarily the same one);</item>
/// <item><b>final</b>: a justified block S is final when, for some justified descendant T, every block from S's child
/// to T is justified and S → T has a quorum (with T the child of S this is FFG's rule; longer runs of justified blocks
/// are Gasper's k-finality).</item>
/// </list>
/// Two conflicting final blocks then need more than a third of a validator set to have signed a double or a surround
/// vote. Not thread-safe: the chain serialises access.
/// </summary>
internal sealed class FinalityTracker
{
    private readonly BlockTree _tree;
    private readonly Dictionary<Hash256, TargetVotes> _votes = [];
    private readonly Dictionary<Hash256, ChainEntry> _justified = [];
    private readonly ulong _retainedJustifiedDepth;
    private bool _dirty;

    public FinalityTracker(BlockTree tree, ChainEntry root, ulong retainedJustifiedDepth)
    {
        _tree = tree;
        _retainedJustifiedDepth = retainedJustifiedDepth;
        LastFinal = root;
        HighestJustified = root;
        _justified[root.Hash] = root;
    }

    /// <summary>The highest final block. Never moves to a block that does not descend from it.</summary>
    public ChainEntry LastFinal { get; private set; }

    /// <summary>The highest justified block on any branch that descends from <see cref="LastFinal"/>.</summary>
    public ChainEntry HighestJustified { get; private set; }

    /// <summary>True when the last <see cref="Update"/> justified a block or moved the last final block.</summary>
    public bool JustificationChanged { get; private set; }

    public bool IsJustified(Hash256 hash) => _justified.ContainsKey(hash);

    /// <summary>The justified blocks at or below the last final block (still usable as a vote's source), for the state store.</summary>
    public IEnumerable<(ulong Height, Hash256 Hash)> JustifiedAtOrBelowFinal =>
        _justified.Values.Where(j => j.Height <= LastFinal.Height).Select(j => (j.Height, j.Hash)).OrderBy(j => j.Height);

    /// <summary>Marks a final best-chain block as justified (restoring the tracker from the state store at start-up).</summary>
    public void SeedJustified(ChainEntry entry) => _justified[entry.Hash] = entry;

    /// <summary>The number of distinct validators whose votes from justified sources point at <paramref name="hash"/> (0 if none).</summary>
    public int JustifyingVotes(Hash256 hash)
    {
        if (!_votes.TryGetValue(hash, out var t))
        {
            return 0;
        }

        return JustifiedVoters(t).Count;
    }

    /// <summary>The distinct validators whose votes for the target come from justified sources (any of them).</summary>
    private HashSet<Address> JustifiedVoters(TargetVotes t)
    {
        var all = new HashSet<Address>();
        foreach (var (source, voters) in t.BySource)
        {
            if (_justified.ContainsKey(source))
            {
                all.UnionWith(voters);
            }
        }

        return all;
    }

    /// <summary>
    /// Records the votes in <paramref name="block"/>, a valid block of any branch (the state rules have checked each
    /// vote's signature, that the sender is an active validator there, and that source and target are ancestors). A vote
    /// counts only for a target above the last final block and only if its sender was active in the target's parent state.
    /// </summary>
    public void AddVotes(ChainEntry block)
    {
        foreach (var tx in block.Block.Transactions)
        {
            if (tx.Payload is not Attestation vote || vote.BlockHeight <= LastFinal.Height)
            {
                continue;
            }

            var target = _tree.Get(vote.BlockHash);
            if (target?.Parent is null)
            {
                continue;
            }

            if (!_votes.TryGetValue(target.Hash, out var votes))
            {
                votes = new TargetVotes(target);
                _votes[target.Hash] = votes;
            }

            var sender = tx.SenderAddress;
            if (!votes.Validators.Contains(sender))
            {
                continue;
            }

            if (!votes.BySource.TryGetValue(vote.SourceHash, out var voters))
            {
                voters = [];
                votes.BySource[vote.SourceHash] = voters;
            }

            _dirty |= voters.Add(sender);
        }
    }

    /// <summary>
    /// Recomputes justification and finality after new votes. Returns the blocks that became final, oldest first, each
    /// with the validators whose votes justify it (empty when none); <see cref="LastFinal"/> and
    /// <see cref="HighestJustified"/> are updated.
    /// </summary>
    public IReadOnlyList<(ChainEntry Block, int Votes)> Update()
    {
        JustificationChanged = false;
        if (!_dirty)
        {
            return [];
        }

        _dirty = false;
        var targets = _votes.Values.OrderBy(t => t.Target.Height).ToList();

        // Sources are strictly lower than targets, so one pass in height order sees every source settled.
        foreach (var t in targets)
        {
            if (_justified.ContainsKey(t.Target.Hash))
            {
                continue;
            }

            // Votes from different justified sources count together: validators that saw the last justification at
            // different moments name different sources for the same target, and counting per source split a height's
            // votes like a sibling race (docs/consensus.md §5.3 gives why safety holds). Finality below still needs
            // one source's quorum.
            if (JustifiedVoters(t).Count >= t.Quorum)
            {
                _justified[t.Target.Hash] = t.Target;
                JustificationChanged = true;
                if (t.Target.Height > HighestJustified.Height)
                {
                    HighestJustified = t.Target;
                }
            }
        }

        ChainEntry? newFinal = null;
        foreach (var t in targets)
        {
            if (!_justified.ContainsKey(t.Target.Hash))
            {
                continue;
            }

            foreach (var (sourceHash, voters) in t.BySource)
            {
                if (voters.Count < t.Quorum || !_justified.TryGetValue(sourceHash, out var source) || source.Height <= LastFinal.Height)
                {
                    continue;
                }

                if ((newFinal is null || source.Height > newFinal.Height) && AllJustifiedBetween(source, t.Target))
                {
                    newFinal = source;
                }
            }
        }

        if (newFinal is null || !_tree.Descends(newFinal, LastFinal))
        {
            return [];
        }

        var newly = new List<(ChainEntry, int)>();
        for (var e = newFinal; e.Height > LastFinal.Height; e = e.Parent!)
        {
            newly.Add((e, JustifyingVotes(e.Hash)));
        }

        newly.Reverse();
        LastFinal = newFinal;
        JustificationChanged = true;
        Prune();
        return newly;
    }

    /// <summary>True when every block after <paramref name="source"/> up to and including <paramref name="target"/> is justified.</summary>
    private bool AllJustifiedBetween(ChainEntry source, ChainEntry target)
    {
        for (var e = target; e.Height > source.Height; e = e.Parent!)
        {
            if (!_justified.ContainsKey(e.Hash))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Drops votes that can no longer matter and justified blocks too old to serve as a source.</summary>
    private void Prune()
    {
        var final = LastFinal;
        foreach (var hash in _votes.Where(kv => kv.Value.Target.Height <= final.Height || !_tree.Descends(kv.Value.Target, final)).Select(kv => kv.Key).ToList())
        {
            _votes.Remove(hash);
        }

        var floor = final.Height > _retainedJustifiedDepth ? final.Height - _retainedJustifiedDepth : 0;
        foreach (var hash in _justified.Where(kv => kv.Value.Height < floor || (kv.Value.Height > final.Height && !_tree.Descends(kv.Value, final))).Select(kv => kv.Key).ToList())
        {
            _justified.Remove(hash);
        }

        _justified[final.Hash] = final;
        HighestJustified = _justified.Values.Where(j => _tree.Descends(j, final)).MaxBy(j => j.Height) ?? final;
    }

    /// <summary>
    /// The highest justified block that is <paramref name="leaf"/> or one of its ancestors, at or above the last final
    /// block (fork choice prefers the branch whose justified checkpoint is highest).
    /// </summary>
    public ChainEntry HighestJustifiedOn(ChainEntry leaf)
    {
        ChainEntry best = LastFinal;
        foreach (var j in _justified.Values)
        {
            if (j.Height > best.Height && j.Height <= leaf.Height && ReferenceEquals(_tree.AncestorOf(leaf, j.Height), j))
            {
                best = j;
            }
        }

        return best;
    }

    /// <summary>The votes for one target, by source; the validator set is the target's parent state's active validators.</summary>
    private sealed class TargetVotes
    {
        public TargetVotes(ChainEntry target)
        {
            Target = target;
            var state = target.Parent!.State;
            Validators = state.ActiveValidators.Select(v => v.Id).ToHashSet();
            Quorum = FinalityQuorum.Required(Validators.Count, target.Header.Threshold);
        }

        public ChainEntry Target { get; }

        public HashSet<Address> Validators { get; }

        public int Quorum { get; }

        public Dictionary<Hash256, HashSet<Address>> BySource { get; } = [];
    }
}

using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Network;

/// <summary>What a peer did wrong. Each offence adds a documented number of points to its score.</summary>
public enum PeerOffence
{
    /// <summary>A frame that does not frame or decode (the stream cannot be resynchronised): ban at once.</summary>
    MalformedFrame,

    /// <summary>
    /// A block refused for a reason fixed by its hashed content and checked before (or instead of) its proof of work:
    /// no work, wrong target, bad Merkle root, height, engine, unregistered miner, bad encoding, too large... Such a
    /// block costs the sender nothing to make, so one is enough to ban.
    /// </summary>
    WorklessBlock,

    /// <summary>
    /// A block whose seal (not part of the block hash) is junk: the sender pays for this message, but the hash itself
    /// is not condemned (an honest copy with a valid seal may follow).
    /// </summary>
    InvalidSeal,

    /// <summary>A block refused by a rule checked after its proof of work (state, evidence...): costly to make, so it scores less.</summary>
    InvalidBlock,

    /// <summary>A block dated beyond the allowed clock drift (may be clock skew): a small score.</summary>
    FutureBlock,

    /// <summary>A transaction that does not decode or whose signature does not verify.</summary>
    InvalidTransaction,

    /// <summary>Anything but a hello before the handshake completed (ignored).</summary>
    MessageBeforeHandshake,

    /// <summary>A second hello after the handshake.</summary>
    DuplicateHello,

    /// <summary>A block batch nobody asked for (dropped unprocessed).</summary>
    UnsolicitedBlocks,

    /// <summary>More new-block announcements than the per-peer budget allows in one window (dropped unprocessed).</summary>
    BlockFlood,

    /// <summary>More transactions than the per-peer budget allows in one window (dropped unprocessed).</summary>
    TransactionFlood,

    /// <summary>More block requests, or more response bytes, than the per-peer budget, after being told so once.</summary>
    RequestFlood,

    /// <summary>More pings, pongs and rejects than the per-peer budget allows in one window (dropped).</summary>
    ControlFlood,

    /// <summary>
    /// Headers that do not answer our request: more than asked for, not linked (each the child of the one before), or
    /// not following anything we know. Headers that fail the context-free checks score as the block would.
    /// </summary>
    InvalidHeaders,
}

/// <summary>One penalty given to a peer: the offence, the points, the ledger's rejection code when a block or transaction caused it.</summary>
/// <param name="Offence">What the peer did.</param>
/// <param name="Points">Points added to its score.</param>
/// <param name="Code">The ledger's rejection code (<see cref="RejectionCode.None"/> for protocol offences).</param>
/// <param name="Detail">A human-readable explanation with the numbers involved.</param>
public sealed record PeerPenalty(PeerOffence Offence, int Points, RejectionCode Code, string Detail);

/// <summary>
/// How much a block refusal costs the peer that sent it, by who controls the reason and what the block cost to make
/// (see docs/security.md, "Peers"). Refusals that say nothing about the sender's honesty cost nothing.
/// </summary>
public static class BlockPenaltyPolicy
{
    /// <summary>
    /// The offence and points for a block refused with <paramref name="code"/>, or <see langword="null"/> when an honest
    /// peer can send such a block: already known, parent unknown (a race; its parent is requested), below our
    /// finality (the peer was partitioned), or known invalid (the chain may have condemned the hash because of an
    /// earlier junk-seal copy; the flood is bounded by the message budgets instead).
    /// </summary>
    public static (PeerOffence Offence, int Points)? Classify(RejectionCode code, GossipOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return code switch
        {
            RejectionCode.None or RejectionCode.AlreadyKnown or RejectionCode.UnknownParent
                or RejectionCode.ConflictsWithFinalizedBlock or RejectionCode.KnownInvalid => null,
            RejectionCode.BadSealFields or RejectionCode.InvalidSealSignature => (PeerOffence.InvalidSeal, options.InvalidSealPenalty),
            RejectionCode.TimestampTooFarInFuture => (PeerOffence.FutureBlock, options.FutureBlockPenalty),
            RejectionCode.MalformedEncoding or RejectionCode.TooLarge or RejectionCode.UnsupportedVersion
                or RejectionCode.WrongChainId or RejectionCode.FieldOutOfRange or RejectionCode.TooManyTransactions
                or RejectionCode.DuplicateTransaction or RejectionCode.BadHeight or RejectionCode.InvalidSignature
                or RejectionCode.InvalidProofOfPossession or RejectionCode.BadMerkleRoot or RejectionCode.HeightMismatch
                or RejectionCode.ThresholdOutOfBounds or RejectionCode.WrongConsensusEngine or RejectionCode.WrongTarget
                or RejectionCode.InsufficientProofOfWork or RejectionCode.MinerNotRegistered
                => (PeerOffence.WorklessBlock, options.WorklessBlockPenalty),
            _ => (PeerOffence.InvalidBlock, options.InvalidBlockPenalty),
        };
    }

    /// <summary>Refuses a block to the peer that sent it (a typed reject) and scores the peer, when the refusal is an offence.</summary>
    internal static void Penalise(PeerSession from, ValidationResult refusal, Hash256 subject, GossipOptions options)
    {
        if (Classify(refusal.Code, options) is not { } penalty)
        {
            return;
        }

        from.Send(new RejectMessage((ushort)refusal.Code, subject, GossipNode.Truncate(refusal.ToString())));
        from.Penalise(penalty.Offence, penalty.Points, refusal.Code, refusal.ToString());
    }

    /// <summary>
    /// Decodes a block a peer sent, within the genesis byte limit; an oversized or malformed one penalises the peer and
    /// gives null. The hash covers the header only, so what the chain then says is the caller's to judge.
    /// </summary>
    internal static Block? Decode(PeerSession from, byte[] bytes, int limit, GossipOptions options)
    {
        if (bytes.Length > limit)
        {
            Penalise(from, ValidationResult.Reject(RejectionCode.TooLarge, $"block is {bytes.Length} bytes, limit {limit}", bytes.Length, limit), Hash256.Zero, options);
            return null;
        }

        try
        {
            return Block.Decode(bytes);
        }
        catch (LedgerFormatException ex)
        {
            Penalise(from, ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message), Hash256.Zero, options);
            return null;
        }
    }
}

namespace HealthLedger.Core.Validation;

/// <summary>
/// The catalogue of rejection reasons. Numbers are stable (they travel on the wire in reject messages);
/// every code is documented in docs/format.md and triggered by a test.
/// </summary>
public enum RejectionCode
{
    /// <summary>Valid.</summary>
    None = 0,

    // ---- Shape (1xx): cheap, state-independent ----

    /// <summary>The bytes do not decode, or do not re-encode to the same bytes.</summary>
    MalformedEncoding = 100,
    /// <summary>An encoded object is larger than allowed.</summary>
    TooLarge = 101,
    /// <summary>Unsupported header or transaction version.</summary>
    UnsupportedVersion = 102,
    /// <summary>The object names another chain id.</summary>
    WrongChainId = 103,
    /// <summary>A field is out of its allowed range (empty content address, zero key, unknown enum value...).</summary>
    FieldOutOfRange = 104,
    /// <summary>A block holds more transactions than allowed.</summary>
    TooManyTransactions = 105,
    /// <summary>The same transaction appears twice in one block.</summary>
    DuplicateTransaction = 106,
    /// <summary>A block without transactions where at least one is required, or a non-genesis block at height 0.</summary>
    BadHeight = 107,

    // ---- Signatures (2xx) ----

    /// <summary>A transaction signature does not verify.</summary>
    InvalidSignature = 200,
    /// <summary>A device's proof of possession does not verify.</summary>
    InvalidProofOfPossession = 201,
    /// <summary>The ePoW seal signature does not verify.</summary>
    InvalidSealSignature = 202,
    /// <summary>A piece of misbehaviour evidence does not prove misbehaviour.</summary>
    InvalidEvidence = 203,

    // ---- Block structure (3xx) ----

    /// <summary>The Merkle root in the header does not match the transactions.</summary>
    BadMerkleRoot = 300,
    /// <summary>Timestamp not after the median of the previous 11 blocks.</summary>
    TimestampTooOld = 301,
    /// <summary>Timestamp too far in the future.</summary>
    TimestampTooFarInFuture = 302,
    /// <summary>The parent block is unknown (held as an orphan).</summary>
    UnknownParent = 303,
    /// <summary>The block is already known.</summary>
    AlreadyKnown = 304,
    /// <summary>Height is not parent height + 1.</summary>
    HeightMismatch = 305,
    /// <summary>The fault-tolerance threshold is outside the genesis bounds.</summary>
    ThresholdOutOfBounds = 306,
    /// <summary>The block's engine is not the chain's engine.</summary>
    WrongConsensusEngine = 307,
    /// <summary>The header's target is not the retargeting rule's target.</summary>
    WrongTarget = 308,
    /// <summary>The header hash does not meet the (effective) target.</summary>
    InsufficientProofOfWork = 309,
    /// <summary>The miner is not a registered, active node (ePoW).</summary>
    MinerNotRegistered = 310,
    /// <summary>The block would reorganise away a final block.</summary>
    ConflictsWithFinalizedBlock = 311,
    /// <summary>The block is a known invalid block or descends from one.</summary>
    KnownInvalid = 312,
    /// <summary>The PoW seal carries a signature, or another engine-specific seal field is malformed.</summary>
    BadSealFields = 313,

    // ---- State (4xx) ----

    /// <summary>Sequence number is not the sender's next one.</summary>
    BadSequence = 400,
    /// <summary>The sender is not allowed to issue this transaction (not an authority, not a provider, not the patient...).</summary>
    NotAuthorized = 401,
    /// <summary>The entity is already registered.</summary>
    AlreadyRegistered = 402,
    /// <summary>A referenced patient, device, node or grant does not exist.</summary>
    UnknownEntity = 403,
    /// <summary>The referenced device was revoked.</summary>
    DeviceRevoked = 404,
    /// <summary>An attestation conflicts with one the node already gave at that height.</summary>
    ConflictingAttestation = 405,
    /// <summary>The attested block is not on this chain or not yet known.</summary>
    UnknownAttestedBlock = 406,
    /// <summary>The grant expired or its expiry is in the past.</summary>
    Expired = 407,
    /// <summary>The evidence was already used to penalise that node.</summary>
    DuplicateEvidence = 408,
    /// <summary>The node is revoked or penalised out.</summary>
    NodeRevoked = 409,

    // ---- Mempool policy (5xx) ----

    /// <summary>The transaction is already in the mempool or already mined.</summary>
    DuplicateInMempool = 500,
    /// <summary>The mempool is full and the transaction does not outrank the eviction candidate.</summary>
    MempoolFull = 501,
    /// <summary>Too many pending transactions from one sender, or the sequence gap is too large.</summary>
    SenderLimit = 502,
    /// <summary>A pluggable gate (for example the intrusion detector) refused the transaction.</summary>
    RefusedByGate = 503,
    /// <summary>The transaction's mempool priority class already holds its share of the pool (in transactions or bytes).</summary>
    PriorityClassFull = 504,

    // ---- Serving (6xx) ----

    /// <summary>The node pruned the block body asked for (it keeps every header but only recent bodies; HTTP 410).</summary>
    BlockPruned = 600,
}

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

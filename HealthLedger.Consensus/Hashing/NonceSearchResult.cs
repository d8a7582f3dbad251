namespace HealthLedger.Consensus.Hashing;

/// <summary>The outcome of a nonce search over one range.</summary>
/// <param name="Found">True when a nonce meeting the target was found.</param>
/// <param name="Nonce">The full 64-bit header nonce (extra nonce in the high 32 bits); 0 when not found.</param>
/// <param name="HashesDone">Nonces evaluated (double SHA-256 computed), including the one found.</param>
/// <param name="Cancelled">True when the search stopped because cancellation was requested.</param>
public readonly record struct NonceSearchResult(bool Found, ulong Nonce, ulong HashesDone, bool Cancelled)
{
    /// <summary>True when the whole range was searched without a hit.</summary>
    public bool Exhausted => !Found && !Cancelled;
}

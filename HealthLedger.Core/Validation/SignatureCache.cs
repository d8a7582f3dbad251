using System.Collections.Concurrent;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Validation;

/// <summary>
/// Remembers transaction ids whose signatures verified, so a transaction admitted to the mempool is not verified
/// again when its block arrives. A transaction id covers the signature, so a hit is sound. Bounded: when full,
/// it is cleared (a miss only costs a re-verification).
/// </summary>
/// <remarks>Thread safety: safe for concurrent use (a concurrent dictionary); the chain's <see cref="TransactionValidator"/>, which the mempool uses too, holds one.</remarks>
public sealed class SignatureCache
{
    private readonly ConcurrentDictionary<Hash256, byte> _verified = new();
    private readonly int _capacity;

    /// <summary>Creates a cache holding at most <paramref name="capacity"/> ids.</summary>
    public SignatureCache(int capacity = 200_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Number of cached ids.</summary>
    public int Count => _verified.Count;

    /// <summary>True when the id is known to carry valid signatures.</summary>
    public bool Contains(Hash256 id) => _verified.ContainsKey(id);

    /// <summary>Records a verified id.</summary>
    public void Add(Hash256 id)
    {
        if (_verified.Count >= _capacity)
        {
            _verified.Clear();
        }

        _verified.TryAdd(id, 0);
    }
}

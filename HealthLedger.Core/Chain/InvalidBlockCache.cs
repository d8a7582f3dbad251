using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>
/// Hashes known to be invalid, bounded (the oldest is forgotten first). Only failures that are a function of the
/// hashed content may be recorded here: a bad seal, a body that does not match its header, or anything else a
/// relaying peer can change without changing the hash must never be (docs/format.md, "Invalidity").
/// Not thread-safe: the chain serialises access.
/// </summary>
internal sealed class InvalidBlockCache(int capacity)
{
    private readonly HashSet<Hash256> _set = [];
    private readonly Queue<Hash256> _order = new();

    public bool Contains(Hash256 hash) => _set.Contains(hash);

    public void Add(Hash256 hash)
    {
        if (!_set.Add(hash))
        {
            return;
        }

        _order.Enqueue(hash);
        while (_order.Count > capacity && _order.TryDequeue(out var old))
        {
            _set.Remove(old);
        }
    }
}

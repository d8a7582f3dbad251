using HealthLedger.Core.Crypto;
using HealthLedger.Records;

namespace HealthLedger.Node.Records;

/// <summary>
/// Sealed records waiting for their device's signed anchor, in memory only (nothing is stored before the anchor
/// arrives, so a crash or an abandoned preparation leaves nothing behind). Bounded in count, bytes and count per device
/// (one registered device cannot fill it for the others); an entry
/// expires after its lifetime. Keyed by ciphertext hash.
/// </summary>
internal sealed class PreparedRecords(int maxCount, long maxBytes, int maxPerDevice, TimeSpan lifetime, TimeProvider time)
{
    private readonly Dictionary<Hash256, Entry> _entries = [];
    private readonly Lock _lock = new();
    private long _bytes;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Holds a sealed record; false (with the numbers) when the count or byte bound would be exceeded.</summary>
    public bool TryAdd(SealedRecord record, Address device, out long expiresAtMs, out (long Actual, long Limit) refusal)
    {
        var now = time.GetUtcNow();
        expiresAtMs = (now + lifetime).ToUnixTimeMilliseconds();
        lock (_lock)
        {
            Prune(now.ToUnixTimeMilliseconds());
            if (_entries.Count >= maxCount)
            {
                refusal = (_entries.Count + 1, maxCount);
                return false;
            }
            var ofDevice = _entries.Values.Count(e => e.Device == device);
            if (ofDevice >= maxPerDevice)
            {
                refusal = (ofDevice + 1, maxPerDevice);
                return false;
            }
            if (_bytes + record.Envelope.Length > maxBytes)
            {
                refusal = (_bytes + record.Envelope.Length, maxBytes);
                return false;
            }
            _entries[record.Record.CiphertextHash] = new Entry(record, device, expiresAtMs);
            _bytes += record.Envelope.Length;
            refusal = default;
            return true;
        }
    }

    /// <summary>Takes (removes) the unexpired record with this ciphertext hash.</summary>
    public (SealedRecord Record, Address Device)? Take(Hash256 ciphertextHash)
    {
        lock (_lock)
        {
            Prune(time.GetUtcNow().ToUnixTimeMilliseconds());
            if (!_entries.Remove(ciphertextHash, out var entry))
            {
                return null;
            }
            _bytes -= entry.Record.Envelope.Length;
            return (entry.Record, entry.Device);
        }
    }

    private void Prune(long nowMs)
    {
        foreach (var (hash, entry) in _entries.Where(e => e.Value.ExpiresAtMs <= nowMs).ToList())
        {
            _entries.Remove(hash);
            _bytes -= entry.Record.Envelope.Length;
        }
    }

    private sealed record Entry(SealedRecord Record, Address Device, long ExpiresAtMs);
}

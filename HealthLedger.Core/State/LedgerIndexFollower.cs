using HealthLedger.Core.Chain;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HealthLedger.Core.State;

/// <summary>
/// Keeps a <see cref="LedgerIndex"/> on a <see cref="Blockchain"/>'s best chain: subscribes to
/// <see cref="Blockchain.TipChanged"/> first, then synchronises, so no change falls in between (a change seen twice is
/// recognised and skipped). A failing write (a full disk) is logged and counted, never thrown into the chain's event
/// dispatch; the next change, or <see cref="LedgerIndex.Synchronize"/>, catches up from the index's last complete block.
/// Dispose to unsubscribe.
/// </summary>
/// <remarks>Thread safety: it runs on the chain's event dispatch; dispose from any thread to unsubscribe.</remarks>
public sealed class LedgerIndexFollower : IDisposable
{
    private readonly Blockchain _chain;
    private readonly LedgerIndex _index;
    private readonly ILogger _logger;
    private int _failures;

    /// <summary>Follows <paramref name="chain"/> with <paramref name="index"/> (opened on the same chain).</summary>
    public LedgerIndexFollower(Blockchain chain, LedgerIndex index, ILogger<LedgerIndexFollower>? logger = null)
    {
        _chain = chain ?? throw new ArgumentNullException(nameof(chain));
        _index = index ?? throw new ArgumentNullException(nameof(index));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _chain.TipChanged += OnTipChanged;
        Guard(() => _index.Synchronize());
    }

    /// <summary>How many chain updates failed to be indexed (each is retried with the next update).</summary>
    public int Failures => Volatile.Read(ref _failures);

    /// <summary>The last failure, or null.</summary>
    public Exception? LastFailure { get; private set; }

    /// <inheritdoc />
    public void Dispose() => _chain.TipChanged -= OnTipChanged;

    private void OnTipChanged(ChainUpdate update) => Guard(() => _index.Apply(update));

    private void Guard(Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is IOException or LedgerIndexCorruptedException or InvalidOperationException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _failures);
            LastFailure = ex;
            _logger.LogError(ex, "Ledger index update failed at {Tip}; it will catch up with the next chain update", _index.Tip);
        }
    }
}

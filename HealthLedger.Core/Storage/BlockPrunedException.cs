using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// A block body (or a run of blocks) was asked for that this node pruned: it keeps every header but only the bodies of
/// recent blocks (docs/storage.md, "Pruning"). Not damage, and not the asker's fault: callers answer with a typed
/// "pruned" reply (HTTP 410 with code <c>block_pruned</c>, a sync peer is told and not penalised).
/// </summary>
public sealed class BlockPrunedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BlockPrunedException()
        : base("The block was pruned.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public BlockPrunedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and cause.</summary>
    public BlockPrunedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for one block (or a run of blocks when <paramref name="hash"/> is null).</summary>
    public BlockPrunedException(Hash256? hash, string message)
        : base(message)
    {
        Hash = hash;
    }

    /// <summary>The pruned block, when one was asked for by hash.</summary>
    public Hash256? Hash { get; }
}

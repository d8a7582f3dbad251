using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Storage;

/// <summary>
/// An append-only store of encoded blocks. Every block the node ever accepted (on any branch) is appended
/// once, parent before child; the chain index and state are rebuilt by replaying the store on open.
/// </summary>
/// <remarks>Thread safety: implementations allow one writer and any number of concurrent readers (both shipped stores do).</remarks>
public interface IBlockStore : IDisposable
{
    /// <summary>Number of blocks stored.</summary>
    long Count { get; }

    /// <summary>The genesis hash the store records it belongs to, or null when it records none.</summary>
    Hash256? GenesisHash { get; }

    /// <summary>
    /// Appends one encoded block. When this returns, the block is durable according to the store's
    /// durability policy (the file store fsyncs before returning unless configured otherwise).
    /// </summary>
    /// <param name="hash">The block hash (recorded so replay can check it without re-hashing everything).</param>
    /// <param name="encodedBlock">The canonical MessagePack encoding of the block.</param>
    /// <exception cref="InvalidOperationException">A block with this hash is already stored (blocks are appended once).</exception>
    void Append(Hash256 hash, ReadOnlySpan<byte> encodedBlock);

    /// <summary>Returns the encoded block with this hash, or null.</summary>
    byte[]? TryGet(Hash256 hash);

    /// <summary>True if a block with this hash is stored.</summary>
    bool Contains(Hash256 hash);

    /// <summary>Enumerates every stored block in append order.</summary>
    IEnumerable<StoredBlock> ReadAll();

    /// <summary>The zero-based append position of the block with this hash, or null (used to replay only what follows a block).</summary>
    /// <remarks>The default scans <see cref="ReadAll"/>; both stores in the box answer from their in-memory index.</remarks>
    long? GetSequence(Hash256 hash)
    {
        foreach (var stored in ReadAll())
        {
            if (stored.Hash == hash)
            {
                return stored.Sequence;
            }
        }

        return null;
    }

    /// <summary>Enumerates the stored blocks from append position <paramref name="sequence"/> on, in append order.</summary>
    /// <remarks>The default skips through <see cref="ReadAll"/>; both stores in the box seek directly.</remarks>
    IEnumerable<StoredBlock> ReadFrom(long sequence) => ReadAll().Where(s => s.Sequence >= sequence);

    /// <summary>
    /// The append position of the first block still stored: 0 unless blocks were pruned (<see cref="PruneBefore"/>).
    /// Positions below it are gone: <see cref="ReadFrom"/> below it throws <see cref="BlockPrunedException"/>.
    /// </summary>
    long FirstRetainedSequence => 0;

    /// <summary>
    /// Lets the store delete blocks appended before position <paramref name="sequence"/> (whole files at a time: it may
    /// keep more, never less). Returns how many files were deleted; the default (a store that never prunes) returns 0.
    /// </summary>
    int PruneBefore(long sequence) => 0;

    /// <summary>Forces everything appended so far to stable storage.</summary>
    void Flush();
}

/// <summary>One stored block: its hash and encoded bytes, in append order.</summary>
/// <param name="Sequence">Zero-based position in the store.</param>
/// <param name="Hash">The block hash recorded at append time.</param>
/// <param name="Encoded">The encoded block.</param>
public sealed record StoredBlock(long Sequence, Hash256 Hash, ReadOnlyMemory<byte> Encoded);

using HealthLedger.Records.Content;

namespace HealthLedger.Records.Storage;

/// <summary>
/// Content-addressed storage for ciphertexts. Every implementation names content by the CID <see cref="UnixFsDag"/>
/// computes (so a local store and IPFS agree), checks bytes against their CID on every read, and refuses content
/// above <see cref="MaxContentBytes"/>. Content that is put but not pinned may be discarded by the store; a caller
/// that gives up on content removes it.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use.</remarks>
public interface IContentStore
{
    /// <summary>The largest content this store accepts or returns, in bytes.</summary>
    long MaxContentBytes { get; }

    /// <summary>Stores content (not yet pinned) and returns its CID, checked against the store's answer.</summary>
    Task<RecordResult<Cid>> PutAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    /// <summary>Returns the content under <paramref name="cid"/>, refused with <see cref="RecordErrorCode.CidMismatch"/> when its bytes do not hash to it.</summary>
    Task<RecordResult<byte[]>> GetAsync(Cid cid, CancellationToken cancellationToken);

    /// <summary>Keeps the content: a pinned CID is retained until removed.</summary>
    Task<RecordResult> PinAsync(Cid cid, CancellationToken cancellationToken);

    /// <summary>True when the store holds and retains (has pinned) the content.</summary>
    Task<RecordResult<bool>> HasAsync(Cid cid, CancellationToken cancellationToken);

    /// <summary>Unpins and discards the content; removing absent content succeeds.</summary>
    Task<RecordResult> RemoveAsync(Cid cid, CancellationToken cancellationToken);
}

namespace HealthLedger.Core.Storage;

/// <summary>When the file block store forces appended records to stable storage.</summary>
public enum FsyncPolicy
{
    /// <summary>
    /// Default. Every <see cref="IBlockStore.Append"/> fsyncs the segment file before it returns, so a block
    /// is durable (survives a process kill and a power loss) as soon as <c>Append</c> returns.
    /// </summary>
    EveryAppend = 0,

    /// <summary>
    /// <c>Append</c> only writes to the operating system's page cache; data is forced to disk by
    /// <see cref="IBlockStore.Flush"/>, when a segment is rolled over, and on dispose. Appends survive a
    /// process kill (the kernel still holds them) but the ones after the last flush may be lost on power loss.
    /// </summary>
    Batched = 1,
}

/// <summary>Settings of a <see cref="FileBlockStore"/>.</summary>
public sealed record FileBlockStoreOptions
{
    /// <summary>The default largest payload (16 MiB).</summary>
    public const int DefaultMaxRecordSize = 16 * 1024 * 1024;

    /// <summary>The default segment size at which a new segment file is started (64 MiB).</summary>
    public const long DefaultSegmentSizeLimit = 64L * 1024 * 1024;

    /// <summary>The largest value accepted for <see cref="MaxRecordSize"/> (1 GiB).</summary>
    public const int MaxRecordSizeUpperBound = 1024 * 1024 * 1024;

    /// <summary>The smallest value accepted for <see cref="SegmentSizeLimit"/> (1 KiB).</summary>
    public const long MinSegmentSizeLimit = 1024;

    /// <summary>When appends are forced to stable storage. Default <see cref="FsyncPolicy.EveryAppend"/>.</summary>
    public FsyncPolicy Fsync { get; init; } = FsyncPolicy.EveryAppend;

    /// <summary>
    /// The largest payload accepted by <c>Append</c> and the largest length field trusted on open (a longer
    /// one is never allocated for; it is treated as damage). Default 16 MiB, at most 1 GiB.
    /// </summary>
    public int MaxRecordSize { get; init; } = DefaultMaxRecordSize;

    /// <summary>
    /// A segment that has at least one record and would grow beyond this many bytes is closed and the next
    /// record starts a new segment (a single record larger than the limit gets a segment of its own).
    /// Default 64 MiB, at least 1 KiB.
    /// </summary>
    public long SegmentSizeLimit { get; init; } = DefaultSegmentSizeLimit;

    /// <summary>
    /// The genesis hash (<c>Blockchain.GenesisHash(genesis)</c>) of the chain the caller runs. When set, <c>Open</c>
    /// refuses a store whose <c>MANIFEST</c> names another one, or that holds blocks but has no manifest, with
    /// <see cref="BlockStoreGenesisMismatchException"/>; an empty store gets a manifest naming this hash. When null
    /// (the default) no manifest is written or required, and one that exists is only reported
    /// (<see cref="FileBlockStore.GenesisHash"/>).
    /// </summary>
    public Crypto.Hash256? ExpectedGenesisHash { get; init; }

    /// <summary>
    /// With <see cref="ExpectedGenesisHash"/>: adopt a store that holds blocks but has no manifest (one written before
    /// manifests existed) by writing a manifest naming the expected hash. Default false: such a store is refused,
    /// because nothing in it shows which chain wrote it. Set it once, for the first open after an upgrade.
    /// </summary>
    public bool AdoptStoreWithoutManifest { get; init; }

    /// <summary>
    /// How many sealed segments' index files are held in memory at once (least recently used first out; each is about
    /// 100 bytes per block of the segment, ≈ 0.5 MB for a 64 MiB segment of 12 KB blocks). Default 8, at least 1.
    /// </summary>
    public int IndexCacheSegments { get; init; } = 8;

    /// <summary>The defaults: fsync on every append, 16 MiB records, 64 MiB segments.</summary>
    public static FileBlockStoreOptions Default { get; } = new();

    internal void Validate()
    {
        if (!Enum.IsDefined(Fsync))
        {
            throw new ArgumentOutOfRangeException(nameof(Fsync), Fsync, "Unknown fsync policy.");
        }

        if (MaxRecordSize < 1 || MaxRecordSize > MaxRecordSizeUpperBound)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxRecordSize), MaxRecordSize, $"Must be between 1 and {MaxRecordSizeUpperBound}.");
        }

        if (IndexCacheSegments < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(IndexCacheSegments), IndexCacheSegments, "Must be at least 1.");
        }

        if (SegmentSizeLimit < MinSegmentSizeLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(SegmentSizeLimit), SegmentSizeLimit, $"Must be at least {MinSegmentSizeLimit}.");
        }
    }
}

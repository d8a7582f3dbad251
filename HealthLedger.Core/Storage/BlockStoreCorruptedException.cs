namespace HealthLedger.Core.Storage;

/// <summary>
/// A block store file is damaged in a way that cannot be repaired without losing data that was valid
/// (corruption in the middle of the store, a wrong magic number, an unsupported version, a missing segment,
/// an oversized record). The store refuses to open rather than skip anything.
/// </summary>
public sealed class BlockStoreCorruptedException : Exception
{
    /// <summary>Creates an exception without details.</summary>
    public BlockStoreCorruptedException()
        : this("The block store is corrupted.")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public BlockStoreCorruptedException(string message)
        : base(message)
    {
        SegmentPath = string.Empty;
        Segment = -1;
        Offset = -1;
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public BlockStoreCorruptedException(string message, Exception innerException)
        : base(message, innerException)
    {
        SegmentPath = string.Empty;
        Segment = -1;
        Offset = -1;
    }

    /// <summary>Creates an exception describing damage at a position.</summary>
    /// <param name="segmentPath">The segment file.</param>
    /// <param name="segment">The segment number.</param>
    /// <param name="offset">The byte offset of the damaged record or header.</param>
    /// <param name="damage">What is wrong.</param>
    /// <param name="detail">A human-readable explanation.</param>
    public BlockStoreCorruptedException(string segmentPath, int segment, long offset, BlockStoreDamage damage, string detail)
        : base($"Block store segment {segment} ({segmentPath}) is corrupted at offset {offset}: {damage}. {detail}")
    {
        SegmentPath = segmentPath;
        Segment = segment;
        Offset = offset;
        Damage = damage;
    }

    /// <summary>Creates an exception about a store file that is not a segment (the directory, <c>LOCK</c>, <c>MANIFEST</c>).</summary>
    /// <param name="path">The file or directory.</param>
    /// <param name="damage">What is wrong.</param>
    /// <param name="detail">A human-readable explanation.</param>
    public BlockStoreCorruptedException(string path, BlockStoreDamage damage, string detail)
        : base($"Block store file {path} is not usable: {damage}. {detail}")
    {
        SegmentPath = path;
        Segment = -1;
        Offset = -1;
        Damage = damage;
    }

    /// <summary>The damaged segment file ("" when unknown; the file's path for damage outside segments).</summary>
    public string SegmentPath { get; }

    /// <summary>The damaged segment number (-1 when unknown).</summary>
    public int Segment { get; }

    /// <summary>The byte offset of the damage in the segment (-1 when unknown).</summary>
    public long Offset { get; }

    /// <summary>What is wrong.</summary>
    public BlockStoreDamage Damage { get; }
}

/// <summary>The block store directory is already open for writing (by this or another process).</summary>
public sealed class BlockStoreLockedException : IOException
{
    /// <summary>Creates an exception without details.</summary>
    public BlockStoreLockedException()
        : base("The block store directory is locked by another writer.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    public BlockStoreLockedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying I/O error.</summary>
    public BlockStoreLockedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace HealthLedger.Core.Storage;

/// <summary>What was wrong with a segment file. Used by <see cref="BlockStoreOpenReport"/> (repaired tail
/// damage) and <see cref="BlockStoreCorruptedException"/> (damage that cannot be repaired safely).</summary>
public enum BlockStoreDamage
{
    /// <summary>Nothing was wrong.</summary>
    None = 0,

    /// <summary>The file is shorter than the 16-byte segment header (for example empty): an interrupted
    /// segment creation. Repaired in the last segment, an error in any other.</summary>
    IncompleteSegmentHeader,

    /// <summary>The segment header does not start with the magic bytes <c>HLBLKSEG</c>. Always an error.</summary>
    BadMagic,

    /// <summary>The segment header names a format version this build cannot read. Always an error.</summary>
    UnsupportedVersion,

    /// <summary>The segment number in the header is not the one in the file name. Always an error.</summary>
    SegmentNumberMismatch,

    /// <summary>A segment file is missing from the numbered sequence. Always an error.</summary>
    MissingSegment,

    /// <summary>The file ends inside a record (a torn write). Repaired in the last segment, an error in any other.</summary>
    IncompleteRecord,

    /// <summary>A record header (length and hash) fails its checksum. Repaired in the last segment when no
    /// valid record follows it, an error otherwise.</summary>
    BadHeaderChecksum,

    /// <summary>A record fails its checksum. Repaired in the last segment when no valid record follows it,
    /// an error otherwise.</summary>
    BadRecordChecksum,

    /// <summary>A record header with a valid checksum declares a payload larger than the configured maximum
    /// record size. Always an error (never allocated for, never truncated).</summary>
    RecordTooLarge,

    /// <summary>A valid record carries a sequence number other than its position in the store (records were
    /// removed, reordered or copied). Always an error.</summary>
    SequenceMismatch,

    /// <summary>The same block hash is stored twice. Always an error.</summary>
    DuplicateHash,

    /// <summary>A record read after open does not match its checksum or its index: the file changed underneath, or a
    /// sealed segment (which open does not read; its index file says where its records are) is damaged.</summary>
    ChangedAfterOpen,

    /// <summary>The store directory, a segment, <c>LOCK</c> or <c>MANIFEST</c> is a symbolic link. Always an error:
    /// the store never follows links, so it never reads or writes a file outside its directory.</summary>
    SymbolicLink,

    /// <summary>The <c>MANIFEST</c> file has the wrong size, magic, version or checksum. Always an error.</summary>
    BadManifest,

    /// <summary>A sealed segment's index file (<c>blocks-NNNNNN.idx</c>) or the <c>SEGMENTS</c> checkpoint is damaged, or
    /// disagrees with the segment it describes (length, sequence numbers, checksum). Always an error.</summary>
    BadIndex,
}

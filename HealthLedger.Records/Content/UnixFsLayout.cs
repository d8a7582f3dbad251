namespace HealthLedger.Records.Content;

/// <summary>How leaves are encoded in a UnixFS file DAG.</summary>
public enum LeafEncoding
{
    /// <summary>Chunks are raw blocks (<c>--raw-leaves</c>, the CIDv1 default of IPFS). What the stores use.</summary>
    Raw,

    /// <summary>Chunks are wrapped in UnixFS/DAG-PB nodes (the CIDv0-era layout); kept for cross-checks with other tools.</summary>
    UnixFs,
}

/// <summary>
/// Parameters of the UnixFS file layout: fixed-size chunks and a balanced tree, as <c>ipfs add</c> builds by default.
/// </summary>
/// <param name="ChunkSize">Bytes per chunk (IPFS default 262,144).</param>
/// <param name="MaxLinksPerNode">Children per interior node (IPFS default 174).</param>
/// <param name="Leaves">Leaf encoding.</param>
public sealed record UnixFsLayout(int ChunkSize, int MaxLinksPerNode, LeafEncoding Leaves)
{
    /// <summary>256 KiB chunks, 174 links per node, raw leaves: <c>ipfs add --cid-version=1 --raw-leaves</c>.</summary>
    public static UnixFsLayout Default { get; } = new(262_144, 174, LeafEncoding.Raw);
}

using System.Security.Cryptography;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Records.Content;

/// <summary>
/// Computes the CID IPFS gives a file: the payload is cut into fixed-size chunks, the chunks become leaves, and
/// leaves are grouped into DAG-PB/UnixFS "file" nodes of at most <see cref="UnixFsLayout.MaxLinksPerNode"/> links,
/// level by level (the balanced layout), until one root remains. A payload of one chunk is its own root (with raw
/// leaves: a raw CID of its SHA-256). Only hashes are computed; no block is kept, so memory is one interior node.
/// </summary>
/// <remarks>
/// Encodings, byte for byte as go-unixfs and js-ipfs-unixfs-importer write them:
/// a DAG-PB node is its links (field 2: <c>Hash</c> = binary CID, <c>Name</c> = "", <c>Tsize</c> = the child's
/// cumulative size) followed by <c>Data</c> (field 1); UnixFS <c>Data</c> is <c>Type = File (2)</c>, the chunk bytes
/// (UnixFS leaves only, omitted when empty), <c>filesize</c>, and one <c>blocksizes</c> entry per child.
/// </remarks>
public static class UnixFsDag
{
    private readonly record struct Node(Cid Cid, ulong FileSize, ulong TotalSize);

    /// <summary>The CID of <paramref name="payload"/> under <paramref name="layout"/> (default: raw leaves, 256 KiB).</summary>
    public static Cid ComputeCid(ReadOnlySpan<byte> payload, UnixFsLayout? layout = null)
    {
        layout ??= UnixFsLayout.Default;
        if (layout.ChunkSize <= 0 || layout.MaxLinksPerNode < 2)
        {
            throw new ArgumentException("A layout needs a positive chunk size and at least two links per node.", nameof(layout));
        }
        if (payload.Length <= layout.ChunkSize)
        {
            return Leaf(payload, layout.Leaves).Cid;
        }
        var level = new List<Node>((payload.Length + layout.ChunkSize - 1) / layout.ChunkSize);
        for (int offset = 0; offset < payload.Length; offset += layout.ChunkSize)
        {
            level.Add(Leaf(payload.Slice(offset, Math.Min(layout.ChunkSize, payload.Length - offset)), layout.Leaves));
        }
        var writer = new ProtoWriter(layout.MaxLinksPerNode * 48 + 64);
        while (level.Count > 1)
        {
            var parents = new List<Node>((level.Count + layout.MaxLinksPerNode - 1) / layout.MaxLinksPerNode);
            for (int i = 0; i < level.Count; i += layout.MaxLinksPerNode)
            {
                parents.Add(Interior(level.GetRange(i, Math.Min(layout.MaxLinksPerNode, level.Count - i)), writer));
            }
            level = parents;
        }
        return level[0].Cid;
    }

    private static Node Leaf(ReadOnlySpan<byte> chunk, LeafEncoding encoding)
    {
        if (encoding == LeafEncoding.Raw)
        {
            return new Node(Cid.ForRawBlock(chunk), (ulong)chunk.Length, (ulong)chunk.Length);
        }
        var unixfs = new ProtoWriter(chunk.Length + 16);
        unixfs.VarintField(1, 2);
        if (!chunk.IsEmpty)
        {
            unixfs.BytesField(2, chunk);
        }
        unixfs.VarintField(3, (ulong)chunk.Length);
        var node = new ProtoWriter(unixfs.Length + 8);
        node.BytesField(1, unixfs.Written);
        return new Node(DagPbCid(node.Written), (ulong)chunk.Length, (ulong)node.Length);
    }

    private static Node Interior(List<Node> children, ProtoWriter node)
    {
        var unixfs = new ProtoWriter(children.Count * 5 + 16);
        ulong fileSize = 0;
        foreach (var child in children)
        {
            fileSize += child.FileSize;
        }
        unixfs.VarintField(1, 2);
        unixfs.VarintField(3, fileSize);
        foreach (var child in children)
        {
            unixfs.VarintField(4, child.FileSize);
        }

        node.Length0();
        Span<byte> cidBytes = stackalloc byte[Cid.ByteLength];
        var link = new ProtoWriter(48);
        ulong total = 0;
        foreach (var child in children)
        {
            link.Length0();
            child.Cid.WriteTo(cidBytes);
            link.BytesField(1, cidBytes);
            link.BytesField(2, []);
            link.VarintField(3, child.TotalSize);
            node.BytesField(2, link.Written);
            total += child.TotalSize;
        }
        node.BytesField(1, unixfs.Written);
        return new Node(DagPbCid(node.Written), fileSize, total + (ulong)node.Length);
    }

    private static Cid DagPbCid(ReadOnlySpan<byte> block)
    {
        Span<byte> digest = stackalloc byte[Hash256.Length];
        SHA256.HashData(block, digest);
        return new Cid(CidCodec.DagPb, new Hash256(digest));
    }
}

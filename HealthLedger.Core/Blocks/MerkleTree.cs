using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Blocks;

/// <summary>
/// The transaction Merkle tree, RFC 6962 style: leaves are SHA-256(0x00 || id), inner nodes SHA-256(0x01 || left || right),
/// and a tree of n leaves splits at the largest power of two below n. No leaf is ever duplicated, so the
/// duplicate-last-leaf trick (CVE-2012-2459: two different transaction lists with one root) cannot work, and a
/// leaf can never pass for an inner node. The root of zero leaves is SHA-256 of the empty string.
/// </summary>
public static class MerkleTree
{
    /// <summary>The root of the given leaf ids.</summary>
    public static Hash256 ComputeRoot(IReadOnlyList<Hash256> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0)
        {
            return Hash256.Sha256([]);
        }

        var level = new Hash256[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            level[i] = HashLeaf(ids[i]);
        }

        return Subtree(level, 0, level.Length);
    }

    /// <summary>The inclusion proof (audit path) of leaf <paramref name="index"/>, siblings from the bottom up.</summary>
    public static MerkleProof CreateProof(IReadOnlyList<Hash256> ids, int index)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, ids.Count);
        var leaves = new Hash256[ids.Count];
        for (var i = 0; i < ids.Count; i++)
        {
            leaves[i] = HashLeaf(ids[i]);
        }

        var path = new List<Hash256>();
        Path(leaves, index, 0, leaves.Length, path);
        return new MerkleProof(ids[index], index, ids.Count, [.. path]);
    }

    /// <summary>Verifies an inclusion proof against a root (taken from a header alone).</summary>
    public static bool Verify(MerkleProof proof, Hash256 root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (proof.LeafIndex < 0 || proof.LeafIndex >= proof.TreeSize)
        {
            return false;
        }

        // RFC 9162 section 2.1.3.2 verification algorithm.
        long fn = proof.LeafIndex;
        long sn = proof.TreeSize - 1;
        var r = HashLeaf(proof.LeafId);
        foreach (var p in proof.Path)
        {
            if (sn == 0)
            {
                return false;
            }

            if ((fn & 1) == 1 || fn == sn)
            {
                r = HashNode(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = HashNode(r, p);
            }

            fn >>= 1;
            sn >>= 1;
        }

        return sn == 0 && r == root;
    }

    internal static Hash256 HashLeaf(Hash256 id)
    {
        Span<byte> buffer = stackalloc byte[1 + Hash256.Length];
        buffer[0] = 0x00;
        id.WriteTo(buffer[1..]);
        return Hash256.Sha256(buffer);
    }

    internal static Hash256 HashNode(Hash256 left, Hash256 right)
    {
        Span<byte> buffer = stackalloc byte[1 + (2 * Hash256.Length)];
        buffer[0] = 0x01;
        left.WriteTo(buffer[1..]);
        right.WriteTo(buffer[(1 + Hash256.Length)..]);
        return Hash256.Sha256(buffer);
    }

    private static int SplitPoint(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return k;
    }

    private static Hash256 Subtree(Hash256[] leaves, int start, int count)
    {
        if (count == 1)
        {
            return leaves[start];
        }

        var k = SplitPoint(count);
        return HashNode(Subtree(leaves, start, k), Subtree(leaves, start + k, count - k));
    }

    private static void Path(Hash256[] leaves, int index, int start, int count, List<Hash256> path)
    {
        if (count == 1)
        {
            return;
        }

        var k = SplitPoint(count);
        if (index < k)
        {
            Path(leaves, index, start, k, path);
            path.Add(Subtree(leaves, start + k, count - k));
        }
        else
        {
            Path(leaves, index - k, start + k, count - k, path);
            path.Add(Subtree(leaves, start, k));
        }
    }
}

/// <summary>An inclusion proof: a transaction id, its position, the tree size and the sibling hashes from the bottom up.</summary>
/// <param name="LeafId">The transaction id.</param>
/// <param name="LeafIndex">Its index in the block.</param>
/// <param name="TreeSize">Number of transactions in the block.</param>
/// <param name="Path">Sibling hashes, bottom up.</param>
public sealed record MerkleProof(Hash256 LeafId, int LeafIndex, int TreeSize, IReadOnlyList<Hash256> Path);

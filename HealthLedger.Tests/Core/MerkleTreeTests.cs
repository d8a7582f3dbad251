using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class MerkleTreeTests
{
    private static Hash256[] Ids(int n) => [.. Enumerable.Range(0, n).Select(i => Hash256.Sha256(BitConverter.GetBytes(i)))];

    [Test]
    public void Every_leaf_of_trees_of_1_to_70_leaves_has_a_verifying_proof()
    {
        for (var n = 1; n <= 70; n++)
        {
            var ids = Ids(n);
            var root = MerkleTree.ComputeRoot(ids);
            for (var i = 0; i < n; i++)
            {
                var proof = MerkleTree.CreateProof(ids, i);
                Assert.That(MerkleTree.Verify(proof, root), Is.True, $"n={n} i={i}");
            }
        }
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(7)]
    [TestCase(33)]
    public void A_proof_fails_for_another_leaf_index_size_or_root(int n)
    {
        var ids = Ids(n);
        var root = MerkleTree.ComputeRoot(ids);
        var proof = MerkleTree.CreateProof(ids, n - 1);

        Assert.That(MerkleTree.Verify(proof with { LeafId = Hash256.Sha256("x"u8) }, root), Is.False);
        Assert.That(MerkleTree.Verify(proof with { TreeSize = n + 1 }, root), Is.False);
        Assert.That(MerkleTree.Verify(proof, Hash256.Sha256("other root"u8)), Is.False);
        if (n > 1)
        {
            Assert.That(MerkleTree.Verify(proof with { LeafIndex = 0 }, root), Is.False);
            var tampered = proof.Path.ToArray();
            tampered[0] = Hash256.Sha256("tampered"u8);
            Assert.That(MerkleTree.Verify(proof with { Path = tampered }, root), Is.False);
        }
    }

    [TestCase(3)]
    [TestCase(5)]
    [TestCase(6)]
    [TestCase(11)]
    public void Duplicating_the_last_leaf_changes_the_root_CVE_2012_2459(int n)
    {
        var ids = Ids(n);
        var duplicated = ids.Append(ids[^1]).ToArray();

        Assert.That(MerkleTree.ComputeRoot(duplicated), Is.Not.EqualTo(MerkleTree.ComputeRoot(ids)));
    }

    [Test]
    public void An_inner_node_cannot_pass_as_a_leaf()
    {
        var ids = Ids(4);
        var root = MerkleTree.ComputeRoot(ids);
        var left = MerkleTree.HashNode(MerkleTree.HashLeaf(ids[0]), MerkleTree.HashLeaf(ids[1]));
        var right = MerkleTree.HashNode(MerkleTree.HashLeaf(ids[2]), MerkleTree.HashLeaf(ids[3]));

        Assert.That(MerkleTree.ComputeRoot([left, right]), Is.Not.EqualTo(root));
    }

    [Test]
    public void Empty_tree_root_is_sha256_of_nothing() =>
        Assert.That(MerkleTree.ComputeRoot([]).ToString(), Is.EqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

using HealthLedger.Consensus.Finality;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Finality;

[TestFixture]
public sealed class SealEquivocationTests
{
    private static KeyPair Miner => TestKeys.Get("equivocator");

    private static ChainBuilder Chain() => new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).WithNode(Miner.PublicKey).AddBlocks(3, Miner.PublicKey);

    private static BlockHeader Sealed(BlockHeader template, KeyPair key) => Mining.Signed(template, key);

    [Test]
    public void Two_signed_headers_on_one_parent_prove_equivocation()
    {
        var chain = Chain();
        var first = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 1), Miner);
        var second = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 2), Miner);

        Assert.That(SealEquivocation.Verify(first, second, chain.Genesis.ChainId), Is.EqualTo(ValidationResult.Ok));
    }

    [Test]
    public void Same_height_on_different_parents_is_not_equivocation()
    {
        var chain = Chain();
        var first = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits), Miner);
        var reorgParent = chain.Header(3, 99, Hash256.Sha256([9]), ChainBuilder.EasyBits, Miner.PublicKey, ConsensusEngineId.EnhancedProofOfWork);
        var second = Sealed(chain.Header(4, 100, reorgParent.Hash, ChainBuilder.EasyBits, Miner.PublicKey, ConsensusEngineId.EnhancedProofOfWork), Miner);

        Assert.That(SealEquivocation.Verify(first, second, chain.Genesis.ChainId).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }

    [Test]
    public void The_same_block_twice_is_not_evidence()
    {
        var chain = Chain();
        var header = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits), Miner);

        Assert.That(SealEquivocation.Verify(header, header, chain.Genesis.ChainId).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }

    [Test]
    public void Headers_of_two_miners_are_not_evidence()
    {
        var chain = Chain();
        var other = TestKeys.Get("equivocation-other");
        var first = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits), Miner);
        var second = Sealed(chain.ChildTemplate(other.PublicKey, ChainBuilder.EasyBits), other);

        Assert.That(SealEquivocation.Verify(first, second, chain.Genesis.ChainId).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }

    [Test]
    public void A_header_not_signed_by_its_miner_cannot_frame_it()
    {
        var chain = Chain();
        var framer = TestKeys.Get("framer");
        var first = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 1), Miner);
        var forged = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 2), framer);

        Assert.That(SealEquivocation.Verify(first, forged, chain.Genesis.ChainId).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }

    [Test]
    public void Evidence_from_another_chain_is_refused()
    {
        var chain = Chain();
        var first = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 1), Miner);
        var second = Sealed(chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 2), Miner);

        Assert.That(SealEquivocation.Verify(first, second, chain.Genesis.ChainId + 1).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }

    [Test]
    public void Proof_of_work_headers_carry_no_identity_and_prove_nothing()
    {
        var chain = Chain();
        var first = chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 1, engine: ConsensusEngineId.ProofOfWork);
        var second = chain.ChildTemplate(Miner.PublicKey, ChainBuilder.EasyBits, timestampMs: 2, engine: ConsensusEngineId.ProofOfWork);

        Assert.That(SealEquivocation.Verify(first, second, chain.Genesis.ChainId).Code, Is.EqualTo(RejectionCode.InvalidEvidence));
    }
}

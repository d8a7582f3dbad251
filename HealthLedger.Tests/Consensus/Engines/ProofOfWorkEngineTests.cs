using System.Numerics;
using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

[TestFixture]
public sealed class ProofOfWorkEngineTests
{
    private static KeyPair MinerKey => TestKeys.Get("pow-miner");
    private static readonly ProofOfWorkEngine Engine = ProofOfWorkEngine.Instance;

    private static ChainBuilder Chain(ConsensusParameters? parameters = null) =>
        new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(3, MinerKey.PublicKey);

    [Test]
    public void Sealed_block_at_the_next_target_is_valid()
    {
        var chain = Chain();
        var view = chain.View();
        var template = chain.ChildTemplate(MinerKey.PublicKey, Engine.GetNextTargetBits(view));
        var sealedHeader = Engine.CreateSealer().Seal(template, Engine.GetEffectiveTarget(MinerKey.PublicKey, view), null).Header!;

        Assert.That(Engine.ValidateSeal(sealedHeader, view).IsValid, Is.True);
    }

    [Test]
    public void Any_miner_key_may_seal_a_proof_of_work_block()
    {
        var chain = Chain();
        var view = chain.View();
        var stranger = TestKeys.Get("unregistered").PublicKey;
        var header = Mining.WithHashIn(chain.ChildTemplate(stranger, ChainBuilder.EasyBits), BigInteger.MinusOne, Mining.Target(ChainBuilder.EasyBits));

        Assert.That(Engine.ValidateSeal(header, view).IsValid, Is.True);
    }

    [Test]
    public void Hash_above_the_target_is_insufficient_proof_of_work()
    {
        var chain = Chain();
        var header = Mining.WithHashIn(chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits), Mining.Target(ChainBuilder.EasyBits), CompactTarget.MaxTarget);

        Assert.That(Engine.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
    }

    [Test]
    public void Hash_equal_to_the_target_boundary_is_accepted_and_one_above_is_not()
    {
        var chain = Chain();
        var view = chain.View();
        var header = Mining.WithHashIn(chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits), BigInteger.MinusOne, Mining.Target(ChainBuilder.EasyBits));
        var hash = new BigInteger(Hash256.AsSpan(header.Hash), isUnsigned: true, isBigEndian: true);

        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Meets(header.Hash, hash), Is.True);
            Assert.That(CompactTarget.Meets(header.Hash, hash - 1), Is.False);
            Assert.That(Engine.ValidateSeal(header, view).IsValid, Is.True);
        });
    }

    [Test]
    public void Target_bits_other_than_the_retargeting_rule_are_rejected()
    {
        var chain = Chain();
        const uint harder = ChainBuilder.EasyBits - 1;
        var header = Mining.WithHashIn(chain.ChildTemplate(MinerKey.PublicKey, harder), BigInteger.MinusOne, Mining.Target(harder));

        var result = Engine.ValidateSeal(header, chain.View());

        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(RejectionCode.WrongTarget));
            Assert.That(result.Actual, Is.EqualTo(harder));
            Assert.That(result.Limit, Is.EqualTo(ChainBuilder.EasyBits));
        });
    }

    [Test]
    public void Seal_signature_on_a_proof_of_work_block_is_a_bad_seal_field()
    {
        var chain = Chain();
        var header = Mining.WithHashIn(chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits), BigInteger.MinusOne, Mining.Target(ChainBuilder.EasyBits));

        Assert.That(Engine.ValidateSeal(Mining.Signed(header, MinerKey), chain.View()).Code, Is.EqualTo(RejectionCode.BadSealFields));
    }

    [Test]
    public void Header_naming_the_other_engine_is_rejected()
    {
        var chain = Chain();
        var template = chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits, engine: ConsensusEngineId.EnhancedProofOfWork);
        var header = Mining.Signed(Mining.WithHashIn(template, BigInteger.MinusOne, Mining.Target(ChainBuilder.EasyBits)), MinerKey);

        Assert.That(Engine.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.WrongConsensusEngine));
    }

    [Test]
    public void Proof_of_work_engine_refuses_to_validate_on_an_ePoW_chain()
    {
        var chain = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).AddBlocks(2, MinerKey.PublicKey);
        var template = chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits, engine: ConsensusEngineId.ProofOfWork);
        var header = Mining.WithHashIn(template, BigInteger.MinusOne, Mining.Target(ChainBuilder.EasyBits));

        Assert.That(Engine.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.WrongConsensusEngine));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(6)]
    public void Work_of_difficulty_level_d_is_sixteen_to_the_d_hashes_within_compact_rounding(int level)
    {
        var chain = Chain(new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(level), FixedDifficulty = true });
        var header = chain.ChildTemplate(MinerKey.PublicKey, CompactTarget.FromDifficultyLevel(level));

        var work = Engine.GetWork(header, chain.View());
        var ideal = BigInteger.Pow(16, level);

        // Compact bits keep 20 to 23 significant bits, so the target is 2^(256-4d) minus a little: work is a hair above 16^d.
        Assert.That(work, Is.GreaterThanOrEqualTo(ideal).And.LessThanOrEqualTo(ideal + (ideal >> 16)));
    }

    [Test]
    public void Work_of_invalid_bits_is_zero()
    {
        var chain = Chain();
        var header = chain.ChildTemplate(MinerKey.PublicKey, 0x00800001);

        Assert.That(Engine.GetWork(header, chain.View()), Is.EqualTo(BigInteger.Zero));
    }

    [Test]
    public void Fixed_difficulty_chain_always_asks_for_the_initial_target()
    {
        var bits = CompactTarget.FromDifficultyLevel(2);
        var chain = new ChainBuilder(ConsensusEngineId.ProofOfWork, new ConsensusParameters { InitialTargetBits = bits, FixedDifficulty = true })
            .AddBlocks(20, MinerKey.PublicKey, intervalMs: 600_000);

        Assert.That(Engine.GetNextTargetBits(chain.View()), Is.EqualTo(bits));
    }

    [Test]
    public void Sealer_output_depends_on_the_searcher_only_through_the_nonce()
    {
        var chain = Chain();
        var view = chain.View();
        var template = chain.ChildTemplate(MinerKey.PublicKey, ChainBuilder.EasyBits, nonce: 1_000);
        var result = new ProofOfWorkSealer(ScalarNonceSearcher.Instance).Seal(template, Mining.Target(ChainBuilder.EasyBits), null);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsSealed, Is.True);
            Assert.That(result.Header!.Nonce, Is.GreaterThanOrEqualTo(1_000UL));
            Assert.That(result.Header.Seal.IsEmpty, Is.True);
            Assert.That(Engine.ValidateSeal(result.Header, view).IsValid, Is.True);
        });
    }
}

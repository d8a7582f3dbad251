using System.Numerics;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

[TestFixture]
public sealed class EnhancedProofOfWorkEngineTests
{
    private static readonly EnhancedProofOfWorkEngine Engine = EnhancedProofOfWorkEngine.Instance;

    /// <summary>A base target with room above (×16) and below (÷256) inside 2^256.</summary>
    private const uint BaseBits = 0x1f7fffff;

    private static KeyPair A => TestKeys.Get("epow-a");

    private static KeyPair B => TestKeys.Get("epow-b");

    private static KeyPair C => TestKeys.Get("epow-c");

    private static BigInteger BaseTarget => CompactTarget.Decode(BaseBits);

    /// <summary>
    /// Three validators; blocks 1..12 mined in rotation B, C, A. Depending on <paramref name="profile"/>, every validator
    /// attests every block (a finality quorum endorses all; A's credit +4), A has fresh evidence against it (credit −4),
    /// or A has no activity (0).
    /// </summary>
    private static ChainBuilder Chain(string profile = "neutral")
    {
        var chain = new ChainBuilder(
                ConsensusEngineId.EnhancedProofOfWork,
                new ConsensusParameters { InitialTargetBits = BaseBits, PowLimitBits = BaseBits, FixedDifficulty = true })
            .WithNode(A.PublicKey).WithNode(B.PublicKey).WithNode(C.PublicKey);
        for (var i = 0; i < 4; i++)
        {
            chain.AddBlocks(1, B.PublicKey).AddBlocks(1, C.PublicKey).AddBlocks(1, A.PublicKey);
        }

        switch (profile)
        {
            case "high":
                var all = Enumerable.Range(1, (int)chain.TipHeight).Select(h => (ulong)h).ToList();
                chain.WithActivity(A.PublicKey, mined: chain.HeightsMinedBy(A.PublicKey), attested: all);
                chain.WithActivity(B.PublicKey, mined: chain.HeightsMinedBy(B.PublicKey), attested: all);
                chain.WithActivity(C.PublicKey, mined: chain.HeightsMinedBy(C.PublicKey), attested: all);
                break;
            case "penalised":
                chain.WithActivity(A.PublicKey, penalties: [chain.TipHeight]);
                break;
        }

        return chain;
    }

    private static BlockHeader Sealed(ChainBuilder chain, KeyPair key, BigInteger above, BigInteger atMost, uint bits = BaseBits) =>
        Mining.Signed(Mining.WithHashIn(chain.ChildTemplate(key.PublicKey, bits), above, atMost), key);

    [Test]
    public void Block_sealed_by_a_registered_validator_is_valid()
    {
        var chain = Chain();
        var view = chain.View();
        var template = chain.ChildTemplate(A.PublicKey, Engine.GetNextTargetBits(view));
        var result = Engine.CreateSealer().Seal(template, Engine.GetEffectiveTarget(A.PublicKey, view), A);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsSealed, Is.True);
            Assert.That(Engine.ValidateSeal(result.Header!, view), Is.EqualTo(ValidationResult.Ok));
        });
    }

    [Test]
    public void Miner_that_is_not_registered_is_rejected()
    {
        var stranger = TestKeys.Get("epow-stranger");
        var chain = Chain();

        Assert.That(Engine.ValidateSeal(Sealed(chain, stranger, BigInteger.MinusOne, BaseTarget), chain.View()).Code, Is.EqualTo(RejectionCode.MinerNotRegistered));
    }

    [Test]
    public void Registered_node_without_the_validator_role_is_not_a_miner()
    {
        var provider = TestKeys.Get("epow-provider");
        var chain = Chain().WithNode(provider.PublicKey, NodeRoles.Provider | NodeRoles.Gateway);

        Assert.That(Engine.ValidateSeal(Sealed(chain, provider, BigInteger.MinusOne, BaseTarget), chain.View()).Code, Is.EqualTo(RejectionCode.MinerNotRegistered));
    }

    [Test]
    public void Revoked_validator_is_rejected()
    {
        var chain = Chain().WithNode(A.PublicKey, revoked: true);

        Assert.That(Engine.ValidateSeal(Sealed(chain, A, BigInteger.MinusOne, BaseTarget), chain.View()).Code, Is.EqualTo(RejectionCode.NodeRevoked));
    }

    [Test]
    public void Seal_signed_by_another_key_is_an_invalid_seal_signature()
    {
        var chain = Chain();
        var header = Mining.WithHashIn(chain.ChildTemplate(A.PublicKey, BaseBits), BigInteger.MinusOne, BaseTarget);

        Assert.That(Engine.ValidateSeal(Mining.Signed(header, B), chain.View()).Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
    }

    [Test]
    public void Missing_seal_is_an_invalid_seal_signature()
    {
        var chain = Chain();
        var header = Mining.WithHashIn(chain.ChildTemplate(A.PublicKey, BaseBits), BigInteger.MinusOne, BaseTarget);

        Assert.That(Engine.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
    }

    [Test]
    public void Seal_of_another_chain_does_not_verify()
    {
        var chain = Chain();
        var header = Mining.WithHashIn(chain.ChildTemplate(A.PublicKey, BaseBits), BigInteger.MinusOne, BaseTarget);
        var foreign = new BlockHeader(header.Version, header.ChainId + 1, header.Height, header.TimestampMs, header.PreviousHash, header.MerkleRoot, header.TargetBits, header.Threshold, header.Engine, header.Miner, header.Nonce, Signature.Empty);
        var foreignSeal = A.Sign(foreign.GetSealMessage());

        Assert.That(Engine.ValidateSeal(header.WithSeal(foreignSeal), chain.View()).Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
    }

    [Test]
    public void Proof_of_work_header_on_an_ePoW_chain_is_the_wrong_engine()
    {
        var chain = Chain();
        var template = chain.ChildTemplate(A.PublicKey, BaseBits, engine: ConsensusEngineId.ProofOfWork);
        var header = Mining.WithHashIn(template, BigInteger.MinusOne, BaseTarget);

        Assert.That(Engine.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.WrongConsensusEngine));
    }

    [Test]
    public void Target_bits_other_than_the_retargeting_rule_are_rejected_before_credit_is_considered()
    {
        var chain = Chain("high");
        const uint easier = 0x2000ffff;

        Assert.That(Engine.ValidateSeal(Sealed(chain, A, BigInteger.MinusOne, BaseTarget, easier), chain.View()).Code, Is.EqualTo(RejectionCode.WrongTarget));
    }

    [TestCase("neutral", 0)]
    [TestCase("high", 4)]
    [TestCase("penalised", -4)]
    public void Credit_profile_sets_the_exponent_of_the_effective_target(string profile, int expectedLevels)
    {
        var view = Chain(profile).View();

        Assert.Multiple(() =>
        {
            Assert.That(EnhancedProofOfWorkEngine.GetCredit(A.PublicKey, view).Levels, Is.EqualTo(expectedLevels));
            Assert.That(Engine.GetEffectiveTarget(A.PublicKey, view), Is.EqualTo(CreditFunction.EffectiveTarget(BaseTarget, expectedLevels)));
        });
    }

    [Test]
    public void High_credit_miner_may_seal_above_the_base_target_but_a_neutral_miner_may_not()
    {
        var high = Chain("high");
        var neutral = Chain();
        var eased = BaseTarget << 4;
        var headerHigh = Sealed(high, A, BaseTarget, eased);
        var headerNeutral = Sealed(neutral, A, BaseTarget, eased);

        Assert.Multiple(() =>
        {
            Assert.That(Engine.ValidateSeal(headerHigh, high.View()).IsValid, Is.True);
            Assert.That(Engine.ValidateSeal(headerNeutral, neutral.View()).Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
        });
    }

    [Test]
    public void High_credit_miner_still_cannot_exceed_sixteen_times_the_base_target()
    {
        var high = Chain("high");
        var header = Sealed(high, A, BaseTarget << 4, CompactTarget.MaxTarget);

        Assert.That(Engine.ValidateSeal(header, high.View()).Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
    }

    [Test]
    public void Penalised_miner_must_meet_a_sixteen_times_harder_target()
    {
        var penalised = Chain("penalised");
        var neutral = Chain();
        var between = Sealed(penalised, A, BaseTarget >> 4, BaseTarget);
        var within = Sealed(penalised, A, BigInteger.MinusOne, BaseTarget >> 4);

        Assert.Multiple(() =>
        {
            Assert.That(Engine.ValidateSeal(between, penalised.View()).Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
            Assert.That(Engine.ValidateSeal(between, neutral.View()).IsValid, Is.True);
            Assert.That(Engine.ValidateSeal(within, penalised.View()).IsValid, Is.True);
        });
    }

    [Test]
    public void Fork_choice_weight_is_the_base_work_whatever_the_credit()
    {
        var high = Chain("high");
        var penalised = Chain("penalised");
        var header = high.ChildTemplate(A.PublicKey, BaseBits);

        Assert.Multiple(() =>
        {
            Assert.That(Engine.GetWork(header, high.View()), Is.EqualTo(CompactTarget.Work(BaseTarget)));
            Assert.That(Engine.GetWork(header, penalised.View()), Is.EqualTo(CompactTarget.Work(BaseTarget)));
            Assert.That(Engine.GetWork(header, high.View()), Is.EqualTo(ProofOfWorkEngine.Instance.GetWork(header, high.View())));
        });
    }

    [Test]
    public void Tampering_with_a_sealed_header_breaks_its_seal()
    {
        var chain = Chain();
        var view = chain.View();
        var header = Sealed(chain, A, BigInteger.MinusOne, BaseTarget);
        var tampered = Mining.WithHashIn(
            new BlockHeader(header.Version, header.ChainId, header.Height, header.TimestampMs + 1, header.PreviousHash, header.MerkleRoot, header.TargetBits, header.Threshold, header.Engine, header.Miner, 0, Signature.Empty),
            BigInteger.MinusOne,
            BaseTarget).WithSeal(header.Seal);

        Assert.Multiple(() =>
        {
            Assert.That(Engine.ValidateSeal(header, view).IsValid, Is.True);
            Assert.That(Engine.ValidateSeal(tampered, view).Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
        });
    }

    [Test]
    public void Sealer_refuses_a_key_that_is_not_the_templates_miner()
    {
        var chain = Chain();
        var template = chain.ChildTemplate(A.PublicKey, BaseBits);

        Assert.Throws<ArgumentException>(() => Engine.CreateSealer().Seal(template, BaseTarget, B));
    }
}

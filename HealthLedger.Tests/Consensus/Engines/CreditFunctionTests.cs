using System.Numerics;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

[TestFixture]
public sealed class CreditFunctionTests
{
    private static readonly CreditParameters Defaults = CreditParameters.Default;

    // window |H|, others O, attested A, endorsed mined M, validators N → bonus. Default quotas: Qa = ⌈3O/4⌉, Qm = ⌊|H|/2N⌋.
    [TestCase(0, 0, 0, 0, 1, 0, TestName = "Bonus: no blocks in the window (child of genesis) is neutral")]
    [TestCase(256, 224, 0, 0, 8, 0, TestName = "Bonus: no activity is neutral")]
    [TestCase(256, 224, 168, 16, 8, 4, TestName = "Bonus: full attestation quota and mining quota give the +4 cap")]
    [TestCase(256, 224, 224, 32, 8, 4, TestName = "Bonus: exceeding both quotas stays at +4")]
    [TestCase(256, 224, 167, 16, 8, 3, TestName = "Bonus: one attestation short of the quota rounds down to +3")]
    [TestCase(256, 224, 168, 1, 8, 4, TestName = "Bonus: one endorsed block in the window earns the mining half")]
    [TestCase(256, 224, 168, 0, 8, 2, TestName = "Bonus: attesting alone earns at most +2")]
    [TestCase(256, 224, 0, 1000, 8, 2, TestName = "Bonus: mining alone earns at most +2 however many blocks")]
    [TestCase(256, 224, 84, 0, 8, 1, TestName = "Bonus: half the attestation quota earns +1")]
    [TestCase(256, 224, 83, 0, 8, 0, TestName = "Bonus: just under half the attestation quota earns nothing")]
    [TestCase(256, 224, 84, 8, 8, 3, TestName = "Bonus: half the attestation quota and a mined block earn +3")]
    [TestCase(256, 0, 50, 128, 1, 2, TestName = "Bonus: attestations do not count when nobody else mined")]
    [TestCase(10, 8, 6, 1, 8, 4, TestName = "Bonus: short window with many validators needs one endorsed block")]
    [TestCase(256, 224, -5, -5, 0, 0, TestName = "Bonus: nonsensical negative counts are treated as zero")]
    public void Bonus_table(int window, int others, int attested, int mined, int validators, int expected) =>
        Assert.That(CreditFunction.Bonus(new CreditInputs(window, others, attested, mined, validators, [])), Is.EqualTo(expected));

    // ages of each piece of evidence (blocks), decay D, levels L → penalty
    [TestCase(new ulong[0], 2048, 4, 0, TestName = "Penalty: no evidence costs nothing")]
    [TestCase(new ulong[] { 0 }, 2048, 4, 4, TestName = "Penalty: fresh evidence costs L = 4 doublings")]
    [TestCase(new ulong[] { 0, 0 }, 2048, 4, 8, TestName = "Penalty: two fresh pieces reach the −8 floor")]
    [TestCase(new ulong[] { 0, 0, 0 }, 2048, 4, 8, TestName = "Penalty: more evidence stays at the −8 floor")]
    [TestCase(new ulong[] { 1024 }, 2048, 4, 2, TestName = "Penalty: half decayed costs half")]
    [TestCase(new ulong[] { 1025 }, 2048, 4, 2, TestName = "Penalty: decay rounds up in the node's disfavour")]
    [TestCase(new ulong[] { 2047 }, 2048, 4, 1, TestName = "Penalty: the last block of the decay still costs one doubling")]
    [TestCase(new ulong[] { 2048 }, 2048, 4, 0, TestName = "Penalty: evidence D blocks old is forgotten")]
    [TestCase(new ulong[] { 1_000_000 }, 2048, 4, 0, TestName = "Penalty: ancient evidence is forgotten")]
    [TestCase(new ulong[] { 0, 2047 }, 2048, 4, 5, TestName = "Penalty: pieces of evidence add up")]
    [TestCase(new ulong[] { 0 }, 2048, 0, 0, TestName = "Penalty: L = 0 disables penalties")]
    [TestCase(new ulong[] { 0 }, 2048, 8, 8, TestName = "Penalty: L = 8 reaches the floor with one piece")]
    [TestCase(new ulong[] { 0 }, 1, 4, 4, TestName = "Penalty: D = 1 costs only in the block right after inclusion")]
    [TestCase(new ulong[] { 1 }, 1, 4, 0, TestName = "Penalty: D = 1 is forgotten one block later")]
    public void Penalty_table(ulong[] ages, int decay, int levels, int expected) =>
        Assert.That(CreditFunction.Penalty(ages, new CreditParameters(256, decay, levels)), Is.EqualTo(expected));

    [TestCase(new ulong[0], 4, 4, 0, TestName = "Credit: no penalty keeps the bonus")]
    [TestCase(new ulong[] { 2047 }, -1, 4, 1, TestName = "Credit: any remaining penalty voids the bonus")]
    [TestCase(new ulong[] { 0 }, -4, 4, 4, TestName = "Credit: fresh evidence against a +4 miner gives −4, not 0")]
    [TestCase(new ulong[] { 2048 }, 4, 4, 0, TestName = "Credit: the bonus returns once evidence has decayed")]
    public void Credit_combines_bonus_and_penalty(ulong[] ages, int levels, int bonus, int penalty)
    {
        var full = new CreditInputs(256, 224, 168, 16, 8, ages);

        Assert.That(CreditFunction.Compute(full, Defaults), Is.EqualTo(new CreditScore(levels, bonus, penalty)));
    }

    [TestCase(4, 16)]
    [TestCase(1, 2)]
    [TestCase(0, 1)]
    [TestCase(-1, 0.5)]
    [TestCase(-8, 1.0 / 256)]
    public void Effective_target_is_the_base_times_two_to_the_credit(int levels, double factor)
    {
        var baseTarget = BigInteger.One << 200;
        var expected = levels >= 0 ? baseTarget * (BigInteger)factor : baseTarget / (BigInteger)(1 / factor);

        Assert.That(CreditFunction.EffectiveTarget(baseTarget, levels), Is.EqualTo(expected));
    }

    [Test]
    public void Effective_target_is_clamped_to_two_to_the_256_minus_one() =>
        Assert.That(CreditFunction.EffectiveTarget(BigInteger.One << 254, 4), Is.EqualTo(CompactTarget.MaxTarget));

    [Test]
    public void Effective_target_never_reaches_zero() =>
        Assert.That(CreditFunction.EffectiveTarget(new BigInteger(100), -8), Is.EqualTo(BigInteger.One));

#pragma warning disable NUnit1027 // FsCheck supplies the arguments
    [FsCheck.NUnit.Property(MaxTest = 500)]
    public bool Credit_is_always_between_minus_eight_and_plus_four(int window, int others, int attested, int mined, int validators, ulong[] ages, byte levels)
    {
        var parameters = new CreditParameters(256, 2048, levels % 9);
        var score = CreditFunction.Compute(new CreditInputs(window, others, attested, mined, validators, ages ?? []), parameters);
        return score.Levels is >= -8 and <= 4 && score.BonusLevels is >= 0 and <= 4 && score.PenaltyLevels is >= 0 and <= 8;
    }
#pragma warning restore NUnit1027

    [TestCase(0, 2048, 4)]
    [TestCase(513, 2048, 4)]
    [TestCase(256, 0, 4)]
    [TestCase(256, 2048, -1)]
    [TestCase(256, 2048, 9)]
    public void Out_of_range_parameters_are_refused(int window, int decay, int levels) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new CreditParameters(window, decay, levels));
}

using System.Numerics;
using HealthLedger.Consensus.Retargeting;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Retargeting;

[TestFixture]
public sealed class AsertRetargetingTests
{
    private const long Interval = 5_000;
    private const long HalfLife = 60_000;
    private static readonly BigInteger Anchor = BigInteger.One << 220;
    private static readonly BigInteger Limit = BigInteger.One << 250;

    private static BigInteger Next(long timeDeltaMs, ulong heightDelta, BigInteger? powLimit = null) =>
        AsertRetargeting.NextTarget(Anchor, timeDeltaMs, heightDelta, Interval, HalfLife, powLimit ?? Limit);

    [TestCase(-3, 0.125)]
    [TestCase(-1, 0.5)]
    [TestCase(0, 1.0)]
    [TestCase(1, 2.0)]
    [TestCase(4, 16.0)]
    public void Each_whole_half_life_behind_schedule_doubles_the_target(int halfLives, double factor)
    {
        const ulong heightDelta = 100;
        var timeDelta = (Interval * (long)heightDelta) + (halfLives * HalfLife);
        var expected = halfLives >= 0 ? Anchor << halfLives : Anchor >> -halfLives;

        Assert.That(Next(timeDelta, heightDelta), Is.EqualTo(expected), $"factor {factor}");
    }

    [TestCase(0.25)]
    [TestCase(0.5)]
    [TestCase(0.75)]
    [TestCase(-0.5)]
    [TestCase(2.3)]
    public void Fractional_half_lives_follow_two_to_the_x_within_the_cubic_error(double halfLives)
    {
        var timeDelta = (long)(halfLives * HalfLife);
        var ratio = (double)Next(timeDelta, 0) / (double)Anchor;

        Assert.That(ratio, Is.EqualTo(Math.Pow(2, halfLives)).Within(0.02).Percent);
    }

    [Test]
    public void One_millisecond_ahead_of_schedule_makes_the_target_harder_not_equal()
    {
        // Floor division of a negative exponent: a truncating division would round −1 ms to "on schedule".
        Assert.That(Next(-1, 0), Is.LessThan(Anchor));
    }

    [Test]
    public void One_millisecond_behind_schedule_eases_by_at_most_one_part_in_65536() =>
        Assert.That(Next(1, 0), Is.InRange(Anchor, Anchor + (Anchor >> 16)));

    [Test]
    public void Target_never_exceeds_the_pow_limit() =>
        Assert.That(Next(1_000 * HalfLife, 0), Is.EqualTo(Limit));

    [Test]
    public void Target_never_reaches_zero() =>
        Assert.That(Next(-1_000 * HalfLife, 0), Is.EqualTo(BigInteger.One));

    [Test]
    public void Absurd_heights_and_times_do_not_overflow()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Next(long.MinValue, ulong.MaxValue), Is.EqualTo(BigInteger.One));
            Assert.That(Next(long.MaxValue, 0), Is.EqualTo(Limit));
        });
    }

    [Test]
    public void Children_of_genesis_and_of_block_one_carry_the_initial_target()
    {
        var parameters = new ConsensusParameters { InitialTargetBits = 0x1f0fffff, PowLimitBits = 0x2000ffff };
        var chain = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters);
        var miner = TestKeys.Get("asert-miner").PublicKey;
        var atGenesis = AsertRetargeting.NextTargetBits(chain.View());
        chain.AddBlock(chain.Genesis.TimestampMs + 3_600_000, parameters.InitialTargetBits, miner); // launched an hour late

        Assert.Multiple(() =>
        {
            Assert.That(atGenesis, Is.EqualTo(parameters.InitialTargetBits));
            Assert.That(AsertRetargeting.NextTargetBits(chain.View()), Is.EqualTo(parameters.InitialTargetBits), "anchored at block 1, the launch delay is not counted");
        });
    }

    [Test]
    public void Target_depends_only_on_the_parents_height_and_time_not_on_the_path()
    {
        var parameters = new ConsensusParameters { InitialTargetBits = 0x1f0fffff, PowLimitBits = 0x2000ffff };
        var miner = TestKeys.Get("asert-miner").PublicKey;
        var steady = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(30, miner, Interval + 1_000);
        var bursty = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(1, miner, Interval + 1_000);
        var t1 = bursty.View().Tip.TimestampMs;
        for (var i = 2; i <= 29; i++)
        {
            bursty.AddBlock(t1 + (i % 2 == 0 ? 100 : 50_000) + (i * 10), parameters.InitialTargetBits, miner);
        }

        bursty.AddBlock(steady.View().Tip.TimestampMs, parameters.InitialTargetBits, miner);

        Assert.That(AsertRetargeting.NextTargetBits(bursty.View()), Is.EqualTo(AsertRetargeting.NextTargetBits(steady.View())));
    }

    [Test]
    public void Fixed_difficulty_ignores_the_schedule()
    {
        var parameters = new ConsensusParameters { InitialTargetBits = 0x1f0fffff, PowLimitBits = 0x2000ffff, FixedDifficulty = true };
        var chain = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(50, TestKeys.Get("asert-miner").PublicKey, 10 * Interval);

        Assert.That(AsertRetargeting.NextTargetBits(chain.View()), Is.EqualTo(parameters.InitialTargetBits));
    }

    [Test]
    public void Slow_blocks_ease_and_fast_blocks_harden_the_next_target()
    {
        var parameters = new ConsensusParameters { InitialTargetBits = 0x1f0fffff, PowLimitBits = 0x2000ffff };
        var miner = TestKeys.Get("asert-miner").PublicKey;
        var slow = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(20, miner, 2 * Interval);
        var fast = new ChainBuilder(ConsensusEngineId.ProofOfWork, parameters).AddBlocks(20, miner, Interval / 2);
        var initial = CompactTarget.Decode(parameters.InitialTargetBits);

        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Decode(AsertRetargeting.NextTargetBits(slow.View())), Is.GreaterThan(initial));
            Assert.That(CompactTarget.Decode(AsertRetargeting.NextTargetBits(fast.View())), Is.LessThan(initial));
        });
    }
}

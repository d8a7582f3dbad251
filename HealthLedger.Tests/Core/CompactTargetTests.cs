using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class CompactTargetTests
{
    [TestCase(0x1d00ffffu)]
    [TestCase(0x1f0fffffu)]
    [TestCase(0x2000ffffu)]
    [TestCase(0x03123456u)]
    public void Canonical_bits_round_trip(uint bits) =>
        Assert.That(CompactTarget.Encode(CompactTarget.Decode(bits)), Is.EqualTo(bits));

    [TestCase(0x1d80ffffu, TestName = "Negative_bit_is_refused")]
    [TestCase(0x1d000000u, TestName = "Zero_mantissa_is_refused")]
    [TestCase(0x04000001u, TestName = "Non_canonical_exponent_is_refused")]
    [TestCase(0x2200ffffu, TestName = "Overflow_is_refused")]
    public void Invalid_bits_are_refused(uint bits) =>
        Assert.That(CompactTarget.TryDecode(bits, out _), Is.False);

    [TestCase(1)]
    [TestCase(4)]
    [TestCase(6)]
    public void Difficulty_level_d_needs_d_leading_zero_hex_digits(int level)
    {
        var target = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(level));
        var justBelow = CompactTarget.ToHash(target);
        var justAbove = CompactTarget.ToHash(BigInteger.One << (256 - (4 * level)));

        Assert.That(CompactTarget.Meets(justBelow, target), Is.True);
        Assert.That(CompactTarget.Meets(justAbove, target), Is.False);
        Assert.That(justAbove.ToString()[..level], Is.Not.EqualTo(new string('0', level)));
        Assert.That(justBelow.ToString()[..level], Is.EqualTo(new string('0', level)));
    }

    [Test]
    public void Work_doubles_when_the_target_halves()
    {
        var t = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(3));
        Assert.That(CompactTarget.Work(t / 2) / CompactTarget.Work(t), Is.EqualTo(new BigInteger(2)));
    }
}

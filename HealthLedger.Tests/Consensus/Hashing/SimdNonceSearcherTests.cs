using HealthLedger.Consensus.Hashing;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.Hashing;

[TestFixture]
public sealed class SimdNonceSearcherTests
{
    [TestCase(0UL, 500UL)]
    [TestCase(0xFFFF_FFFFUL - 100, 300UL)] // crosses into the next extra nonce
    [TestCase(ulong.MaxValue - 50, 200UL)] // wraps around 2^64
    [TestCase(0x1234_5678_9ABC_DEF0UL, 1000UL)]
    public void Finds_the_same_nonce_and_attempts_as_the_scalar_searcher(ulong start, ulong count)
    {
        var random = new Random((int)(start % 1000) + (int)count);
        var target = HashingTestData.TargetWithLeadingZeroBits(7);
        var searcher = new SimdNonceSearcher();
        for (var round = 0; round < 10; round++)
        {
            var input = HashingTestData.RandomInput(random);

            var expected = ScalarNonceSearcher.Instance.Search(input, target, start, count, CancellationToken.None);
            var actual = searcher.Search(input, target, start, count, CancellationToken.None);

            Assert.That(actual, Is.EqualTo(expected), $"round {round}");
        }
    }

    [Test]
    public void Unreachable_target_tries_every_nonce_across_extra_nonce_boundaries()
    {
        var input = HashingTestData.RandomInput(new Random(7));

        var result = SimdNonceSearcher.Instance.Search(input, Hash256.Zero, 0xFFFF_FFF0UL, 64, CancellationToken.None);

        Assert.That(result, Is.EqualTo(new HealthLedger.Consensus.Sealing.NonceSearchResult(false, 0, 64)));
    }

    [Test]
    public void Cancelled_search_returns_not_found()
    {
        var input = HashingTestData.RandomInput(new Random(8));
        using var source = new CancellationTokenSource();
        source.Cancel();

        var result = SimdNonceSearcher.Instance.Search(input, Hash256.Zero, 0, ulong.MaxValue, source.Token);

        Assert.That(result.Found, Is.False);
    }

    [Test]
    public void Sealer_with_the_simd_searcher_seals_like_the_scalar_one()
    {
        var random = new Random(9);
        var template = HashingTestData.RandomHeader(random);
        var target = System.Numerics.BigInteger.One << 248;

        var fast = new ProofOfWorkSealer(SimdNonceSearcher.Instance).Seal(template, target, null);
        var slow = new ProofOfWorkSealer().Seal(template, target, null);

        Assert.That(fast, Is.EqualTo(slow));
    }
}

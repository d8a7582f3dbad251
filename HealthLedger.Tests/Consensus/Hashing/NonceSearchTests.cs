using System.Numerics;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.Hashing;

[TestFixture]
public sealed class NonceSearchTests
{
    private static IEnumerable<HashKernel> Kernels => HashingTestData.AllKernels;

    [TestCaseSource(nameof(Kernels))]
    public void Search_returns_the_same_first_nonce_and_hash_count_as_a_brute_force_search(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var random = new Random(100 + (int)kernel);
        var target = HashingTestData.TargetWithLeadingZeroBits(6);
        for (var round = 0; round < 20; round++)
        {
            var input = HashingTestData.RandomInput(random);
            var extra = (uint)random.NextInt64(0, 1L << 32);
            var first = (uint)random.NextInt64(0, (1L << 32) - 1000);
            var count = (uint)random.Next(1, 300);

            var expected = HashingTestData.BruteForce(input, target, extra, first, count);
            var result = NonceSearch.Search(input, target, extra, first, count, kernel);

            Assert.Multiple(() =>
            {
                Assert.That(result.Found, Is.EqualTo(expected.Nonce.HasValue), $"round {round}");
                Assert.That(result.Nonce, Is.EqualTo(expected.Nonce ?? 0), $"round {round}");
                Assert.That(result.HashesDone, Is.EqualTo(expected.Hashes), $"round {round}");
                Assert.That(result.Cancelled, Is.False);
            });
        }
    }

    [TestCaseSource(nameof(Kernels))]
    public void Found_nonce_meets_the_target_when_put_in_the_header(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var random = new Random(200 + (int)kernel);
        var template = HashingTestData.RandomHeader(random);
        var target = (BigInteger.One << 246) - 1;

        var result = NonceSearch.Search(template, target, extraNonce: 3, firstNonce: 0, count: 1 << 16, kernel);

        Assert.That(result.Found, Is.True);
        var sealedHeader = template.WithNonce(result.Nonce, template.TimestampMs);
        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Meets(sealedHeader.Hash, target), Is.True);
            Assert.That(result.Nonce >> 32, Is.EqualTo(3UL));
        });
    }

    [TestCaseSource(nameof(Kernels))]
    public void Target_equal_to_a_hash_is_met_and_one_below_is_not(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var random = new Random(300 + (int)kernel);
        var input = HashingTestData.RandomInput(random);
        const uint Extra = 9;
        const uint First = 1000;

        // The target is exactly the smallest hash of the range: its nonce meets it, and nothing meets one less.
        var hashes = Enumerable.Range(0, 32).Select(i => HashingTestData.ReferenceHash(input, ((ulong)Extra << 32) | (First + (uint)i))).ToArray();
        var exact = hashes.Min();
        var chosen = First + (uint)Array.IndexOf(hashes, exact);
        Assert.That(hashes.Count(h => h <= exact), Is.EqualTo(1), "the range has one smallest hash");
        var value = new BigInteger(exact.ToArray(), isUnsigned: true, isBigEndian: true);

        var atTarget = NonceSearch.Search(input, exact, Extra, First, 32, kernel);
        var belowTarget = NonceSearch.Search(input, NonceSearch.ToTargetHash(value - 1), Extra, First, 32, kernel);

        Assert.Multiple(() =>
        {
            Assert.That(atTarget.Found, Is.True);
            Assert.That(atTarget.Nonce, Is.EqualTo(((ulong)Extra << 32) | chosen));
            Assert.That(belowTarget.Found, Is.False);
            Assert.That(belowTarget.HashesDone, Is.EqualTo(32UL));
        });
    }

    [TestCaseSource(nameof(Kernels))]
    public void Range_ending_at_the_top_of_the_lane_nonce_space_is_searched_exactly(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var random = new Random(400 + (int)kernel);
        var input = HashingTestData.RandomInput(random);
        const uint Count = 37;
        const uint First = uint.MaxValue - Count + 1;

        var none = NonceSearch.Search(input, Hash256.Zero, 1, First, Count, kernel);
        var all = NonceSearch.Search(input, NonceSearch.ToTargetHash(CompactTarget.MaxTarget), 1, uint.MaxValue, 1, kernel);

        Assert.Multiple(() =>
        {
            Assert.That(none.Exhausted, Is.True);
            Assert.That(none.HashesDone, Is.EqualTo((ulong)Count));
            Assert.That(all.Found, Is.True);
            Assert.That(all.Nonce, Is.EqualTo((1UL << 32) | uint.MaxValue));
        });
    }

    [TestCaseSource(nameof(Kernels))]
    public void Cancelled_search_stops_without_a_result(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var input = HashingTestData.RandomInput(new Random(500));
        using var source = new CancellationTokenSource();
        source.Cancel();

        var result = NonceSearch.Search(input, Hash256.Zero, 0, 0, NonceSearch.NoncesPerExtraNonce, kernel, source.Token);

        Assert.Multiple(() =>
        {
            Assert.That(result.Cancelled, Is.True);
            Assert.That(result.Found, Is.False);
            Assert.That(result.HashesDone, Is.Zero);
        });
    }

    [Test]
    public void ShaNi_search_agrees_with_brute_force_on_many_random_headers_and_ranges()
    {
        HashingTestData.AssumeRunnable(HashKernel.ShaNi);
        var random = new Random(600);
        var target = HashingTestData.TargetWithLeadingZeroBits(3);
        for (var round = 0; round < 300; round++)
        {
            var input = HashingTestData.RandomInput(random);
            var extra = (uint)random.NextInt64(0, 1L << 32);
            var first = (uint)random.NextInt64(0, 1L << 32);
            var count = (uint)Math.Min((ulong)random.Next(1, 40), uint.MaxValue - first + 1UL);

            var expected = HashingTestData.BruteForce(input, target, extra, first, count);
            var result = NonceSearch.Search(input, target, extra, first, count, HashKernel.ShaNi);

            Assert.That((result.Found ? result.Nonce : (ulong?)null, result.HashesDone), Is.EqualTo(expected), $"round {round}");
        }
    }

    [Test]
    public void Range_past_the_lane_nonce_space_is_rejected()
    {
        var input = new byte[BlockHeader.HashInputSize];
        Assert.Throws<ArgumentOutOfRangeException>(() => NonceSearch.Search(input, Hash256.Zero, 0, 10, NonceSearch.NoncesPerExtraNonce - 9));
    }

    [TestCase(0)]
    [TestCase(135)]
    [TestCase(137)]
    public void Hash_input_of_the_wrong_size_is_rejected(int length)
    {
        var input = new byte[length];
        Assert.Throws<ArgumentException>(() => NonceSearch.Search(input, Hash256.Zero, 0, 0, 1));
    }

    [Test]
    public void Auto_resolves_to_an_accelerated_kernel()
    {
        var best = NonceSearch.Resolve(HashKernel.Auto);
        Assert.Multiple(() =>
        {
            Assert.That(best, Is.EqualTo(NonceSearch.BestKernel));
            Assert.That(NonceSearch.IsAccelerated(best), Is.True);
            Assert.That(best, Is.Not.EqualTo(HashKernel.Naive));
        });
    }
}

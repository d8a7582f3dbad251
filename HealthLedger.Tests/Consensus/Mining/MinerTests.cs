using System.Numerics;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Consensus.Mining;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Tests.Consensus.Hashing;

// Not "...Consensus.Mining": a namespace of that name would hide TestSupport.Mining from the engine tests.
namespace HealthLedger.Tests.Consensus.Miners;

[TestFixture]
public sealed class MinerTests
{
    private static readonly BigInteger EasyTarget = (BigInteger.One << 248) - 1;

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Mined_header_meets_the_target_and_differs_from_the_template_only_in_nonce(int threads)
    {
        var template = HashingTestData.RandomHeader(new Random(threads));
        var miner = new Miner(new MinerOptions { Threads = threads }, new ManualClock(template.TimestampMs));

        var result = miner.Mine(template, EasyTarget);

        Assert.That(result.Header, Is.Not.Null);
        var header = result.Header!;
        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Meets(header.Hash, EasyTarget), Is.True);
            Assert.That(header, Is.EqualTo(template.WithNonce(header.Nonce, template.TimestampMs)));
            Assert.That(header.Seal, Is.EqualTo(Signature.Empty));
            Assert.That(result.Hashes, Is.GreaterThan(0UL));
            Assert.That(result.HashesPerThread, Has.Count.EqualTo(threads));
            Assert.That(result.HashesPerThread.Aggregate(0UL, (a, b) => a + b), Is.EqualTo(result.Hashes));
        });
    }

    [TestCase(HashKernel.Naive)]
    [TestCase(HashKernel.Scalar)]
    [TestCase(HashKernel.Vector256)]
    [TestCase(HashKernel.ShaNi)]
    public void Each_thread_searches_under_its_own_extra_nonce(HashKernel kernel)
    {
        HashingTestData.AssumeRunnable(kernel);
        var template = HashingTestData.RandomHeader(new Random(10));
        const uint Start = 100;
        var miner = new Miner(new MinerOptions { Threads = 3, ExtraNonceStart = Start, Kernel = kernel }, new ManualClock(template.TimestampMs));

        var result = miner.Mine(template, EasyTarget);

        Assert.That(result.Found, Is.True);
        var extra = (uint)(result.Header!.Nonce >> 32);
        Assert.Multiple(() =>
        {
            Assert.That(extra, Is.GreaterThanOrEqualTo(Start));
            Assert.That((int)((extra - Start) % 3), Is.EqualTo(result.ThreadIndex));
        });
    }

    [Test]
    public void Exhausted_range_moves_to_the_next_extra_nonce_when_the_clock_has_not_moved()
    {
        const ulong Range = 16;
        var (template, target) = TemplateWhoseFirstRangeFails(Range, seed: 20);
        var miner = new Miner(new MinerOptions { Threads = 1, NoncesPerRange = Range, BatchSize = 5 }, new ManualClock(template.TimestampMs));

        var result = miner.Mine(template, target);

        var expected = FirstMeeting(template, target, template.TimestampMs, extras: 1..64, Range);
        Assert.That(result.Header, Is.Not.Null);
        Assert.Multiple(() =>
        {
            Assert.That(result.Header!.Nonce, Is.EqualTo(expected));
            Assert.That(result.Header.TimestampMs, Is.EqualTo(template.TimestampMs));
        });
    }

    [Test]
    public void Exhausted_range_rolls_the_timestamp_to_the_clock_when_the_clock_has_moved()
    {
        const ulong Range = 16;
        var (template, target) = TemplateWhoseFirstRangeFails(Range, seed: 30);
        var later = template.TimestampMs + 5_000;
        var miner = new Miner(new MinerOptions { Threads = 1, NoncesPerRange = Range }, new ManualClock(later));

        var result = miner.Mine(template, target);

        // After the roll the clock stands still, so later ranges move the extra nonce from 0 at the new timestamp.
        var expected = FirstMeeting(template, target, later, extras: 0..64, Range);
        Assert.That(result.Header, Is.Not.Null);
        var header = result.Header!;
        Assert.Multiple(() =>
        {
            Assert.That(header.TimestampMs, Is.EqualTo(later));
            Assert.That(header.Nonce, Is.EqualTo(expected));
            Assert.That(CompactTarget.Meets(header.Hash, target), Is.True);
            Assert.That(header, Is.EqualTo(template.WithNonce(header.Nonce, later)));
        });
    }

    [Test]
    public void Cancellation_stops_every_thread_and_returns_no_header()
    {
        var template = HashingTestData.RandomHeader(new Random(40));
        var miner = new Miner(new MinerOptions { Threads = 2 }, TimeProvider.System);
        using var source = new CancellationTokenSource();

        var mining = miner.MineAsync(template, BigInteger.Zero, source.Token);
        source.Cancel();

        // Hang guard only: a miner that ignores cancellation would never return.
        Assert.That(mining.Wait(TimeSpan.FromMinutes(1)), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(mining.Result.Header, Is.Null);
            Assert.That(mining.Result.ThreadIndex, Is.EqualTo(-1));
        });
    }

    [Test]
    public void Failure_in_a_worker_thread_reaches_the_caller_after_every_thread_stopped()
    {
        var template = HashingTestData.RandomHeader(new Random(50));
        var miner = new Miner(new MinerOptions { Threads = 2, NoncesPerRange = 16 }, new ThrowingClock());

        // Exhausting a range asks the clock for the time, which throws here.
        var failure = Assert.Throws<AggregateException>(() => miner.Mine(template, BigInteger.Zero));

        Assert.That(failure!.InnerExceptions, Has.All.TypeOf<InvalidOperationException>());
    }

    [TestCase(0)]
    [TestCase(-1)]
    public void Thread_count_below_one_is_rejected(int threads) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Miner(new MinerOptions { Threads = threads }, TimeProvider.System));

    [TestCase(0UL)]
    [TestCase((1UL << 32) + 1)]
    public void Range_size_outside_one_to_two_to_the_32_is_rejected(ulong range) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new Miner(new MinerOptions { NoncesPerRange = range }, TimeProvider.System));

    /// <summary>A random template and a 1-in-64 target such that none of the first <paramref name="range"/> nonces (extra 0) meets it.</summary>
    private static (BlockHeader Template, BigInteger Target) TemplateWhoseFirstRangeFails(ulong range, int seed)
    {
        var target = (BigInteger.One << 250) - 1;
        var random = new Random(seed);
        while (true)
        {
            var template = HashingTestData.RandomHeader(random);
            if (FirstMeeting(template, target, template.TimestampMs, extras: 0..1, range) is null)
            {
                return (template, target);
            }
        }
    }

    private static ulong? FirstMeeting(BlockHeader template, BigInteger target, long timestampMs, Range extras, ulong range)
    {
        var input = template.WithNonce(0, timestampMs).GetHashInput();
        var targetHash = NonceSearch.ToTargetHash(target);
        for (var extra = (uint)extras.Start.Value; extra < (uint)extras.End.Value; extra++)
        {
            var found = HashingTestData.BruteForce(input, targetHash, extra, 0, (uint)range).Nonce;
            if (found is not null)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>A clock that fails when asked for the time.</summary>
    private sealed class ThrowingClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => throw new InvalidOperationException("no clock");
    }

    /// <summary>A clock standing still at a given time.</summary>
    private sealed class ManualClock(long unixMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}

using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using HealthLedger.Consensus.Hashing;

namespace HealthLedger.Tests.Consensus.Hashing;

[TestFixture]
public sealed class Sha256dKernelTests
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(55)]
    [TestCase(56)]
    [TestCase(64)]
    [TestCase(136)]
    [TestCase(200)]
    public void Scalar_compression_matches_platform_SHA256(int length)
    {
        var random = new Random(length);
        var message = new byte[length];
        random.NextBytes(message);
        var padded = new byte[((length + 8) / 64 + 1) * 64];
        message.CopyTo(padded, 0);
        padded[length] = 0x80;
        BinaryPrimitives.WriteUInt64BigEndian(padded.AsSpan(padded.Length - 8), (ulong)length * 8);

        Span<uint> state = stackalloc uint[8];
        Sha256Core.InitialState.CopyTo(state);
        for (var offset = 0; offset < padded.Length; offset += 64)
        {
            Sha256Core.Compress(state, padded.AsSpan(offset, 64));
        }

        var digest = new byte[32];
        for (var i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(digest.AsSpan(4 * i), state[i]);
        }

        Assert.That(digest, Is.EqualTo(SHA256.HashData(message)));
    }

    [Test]
    public void Scalar_top_word_matches_double_SHA256_on_random_headers_and_nonces() =>
        AssertTopWordsMatch(rounds: 300, seed: 1, (job, first) => Sha256dKernel.TopWords<ScalarLanes, uint>(job, first));

    [Test]
    public void Vector256_top_word_of_every_lane_matches_double_SHA256_on_random_headers_and_nonces() =>
        AssertTopWordsMatch(rounds: 100, seed: 2, (job, first) => Sha256dKernel.TopWords<Vector256Lanes, Vector256<uint>>(job, first));

    [Test]
    public void Vector512_top_word_of_every_lane_matches_double_SHA256_on_random_headers_and_nonces() =>
        AssertTopWordsMatch(rounds: 50, seed: 3, (job, first) => Sha256dKernel.TopWords<Vector512Lanes, Vector512<uint>>(job, first));

    [TestCase(0xFFFFFFF8u)]
    [TestCase(0xFFFFFFFFu)]
    public void Vector_lanes_wrap_the_low_nonce_like_the_header_does(uint first)
    {
        var random = new Random((int)first);
        var input = HashingTestData.RandomInput(random);
        var job = new MiningJob(input, 7);
        var tops = Sha256dKernel.TopWords<Vector256Lanes, Vector256<uint>>(job, first);
        for (var lane = 0u; lane < 8; lane++)
        {
            var expected = HashingTestData.ReferenceHash(input, job.FullNonce(unchecked(first + lane)));
            Assert.That(tops[lane], Is.EqualTo(BinaryPrimitives.ReadUInt32BigEndian(expected.ToArray())), $"lane {lane}");
        }
    }

    private static void AssertTopWordsMatch(int rounds, int seed, Func<MiningJob, uint, uint[]> topWords)
    {
        var random = new Random(seed);
        for (var round = 0; round < rounds; round++)
        {
            var input = HashingTestData.RandomInput(random);
            var extra = (uint)random.NextInt64(0, 1L << 32);
            var first = (uint)random.NextInt64(0, 1L << 32);
            var job = new MiningJob(input, extra);
            var tops = topWords(job, first);
            for (var lane = 0u; lane < tops.Length; lane++)
            {
                var nonce = ((ulong)extra << 32) | unchecked(first + lane);
                var expected = HashingTestData.ReferenceHash(input, nonce);
                Assert.That(tops[lane], Is.EqualTo(BinaryPrimitives.ReadUInt32BigEndian(expected.ToArray())), $"round {round}, lane {lane}");
            }
        }
    }
}

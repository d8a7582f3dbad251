using System.Numerics;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Sealing;

[TestFixture]
public sealed class ScalarNonceSearcherTests
{
    private static BlockHeader Template(ulong nonce = 0) =>
        new ChainBuilder(ConsensusEngineId.ProofOfWork).ChildTemplate(TestKeys.Get("searcher").PublicKey, CompactTarget.FromDifficultyLevel(2), nonce: nonce);

    private static ulong FirstMeeting(BlockHeader template, BigInteger target, ulong start)
    {
        for (var nonce = start; ; nonce++)
        {
            if (CompactTarget.Meets(template.WithNonce(nonce, template.TimestampMs).Hash, target))
            {
                return nonce;
            }
        }
    }

    [TestCase(0UL)]
    [TestCase(12_345UL)]
    [TestCase(ulong.MaxValue - 3)]
    public void Finds_the_first_nonce_from_the_start_that_meets_the_target(ulong start)
    {
        var template = Template();
        var target = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(2));
        var expected = unchecked(FirstMeetingWrapping(template, target, start));

        var result = ScalarNonceSearcher.Instance.Search(template.GetHashInput(), CompactTarget.ToHash(target), start, 100_000, CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(result.Found, Is.True);
            Assert.That(result.Nonce, Is.EqualTo(expected));
            Assert.That(result.Attempts, Is.EqualTo(unchecked(expected - start) + 1));
        });
    }

    private static ulong FirstMeetingWrapping(BlockHeader template, BigInteger target, ulong start)
    {
        for (ulong i = 0; ; i++)
        {
            var nonce = unchecked(start + i);
            if (CompactTarget.Meets(template.WithNonce(nonce, template.TimestampMs).Hash, target))
            {
                return nonce;
            }
        }
    }

    [Test]
    public void Nonce_field_of_the_input_is_ignored()
    {
        var target = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(2));
        var a = ScalarNonceSearcher.Instance.Search(Template(0).GetHashInput(), CompactTarget.ToHash(target), 7, 100_000, CancellationToken.None);
        var b = ScalarNonceSearcher.Instance.Search(Template(999).GetHashInput(), CompactTarget.ToHash(target), 7, 100_000, CancellationToken.None);

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.Nonce, Is.EqualTo(FirstMeeting(Template(), target, 7)));
    }

    [Test]
    public void Gives_up_after_count_nonces()
    {
        var result = ScalarNonceSearcher.Instance.Search(Template().GetHashInput(), CompactTarget.ToHash(BigInteger.One), 0, 500, CancellationToken.None);

        Assert.That(result, Is.EqualTo(new NonceSearchResult(false, 0, 500)));
    }

    [Test]
    public void Cancelled_search_returns_not_found()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        var result = ScalarNonceSearcher.Instance.Search(Template().GetHashInput(), CompactTarget.ToHash(BigInteger.One), 0, 1_000_000, cts.Token);

        Assert.That(result.Found, Is.False);
    }

    [Test]
    public void Input_of_the_wrong_size_is_a_programmer_error() =>
        Assert.Throws<ArgumentException>(() => ScalarNonceSearcher.Instance.Search(new byte[100], Hash256.Zero, 0, 1, CancellationToken.None));
}

using System.Numerics;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Sealing;

[TestFixture]
public sealed class SealerTests
{
    private static KeyPair Key => TestKeys.Get("sealer");

    /// <summary>A searcher that records its calls and never finds anything.</summary>
    private sealed class CountingSearcher(int cancelAfterCalls, CancellationTokenSource cts) : INonceSearcher
    {
        public List<ulong> Starts { get; } = [];

        public NonceSearchResult Search(ReadOnlySpan<byte> headerInput, in Hash256 target, ulong startNonce, ulong count, CancellationToken cancellationToken)
        {
            Starts.Add(startNonce);
            if (Starts.Count >= cancelAfterCalls)
            {
                cts.Cancel();
            }

            return new NonceSearchResult(false, 0, count);
        }
    }

    [Test]
    public void Proof_of_work_sealer_produces_a_header_meeting_the_target()
    {
        var target = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(3));
        var template = new ChainBuilder(ConsensusEngineId.ProofOfWork).ChildTemplate(Key.PublicKey, CompactTarget.FromDifficultyLevel(3));

        var result = new ProofOfWorkSealer().Seal(template, target, null);

        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Meets(result.Header!.Hash, target), Is.True);
            Assert.That(result.Attempts, Is.EqualTo(result.Header.Nonce + 1));
            Assert.That(result.Header.TimestampMs, Is.EqualTo(template.TimestampMs));
        });
    }

    [Test]
    public void Enhanced_sealer_signs_the_seal_message_of_the_found_header()
    {
        var target = CompactTarget.Decode(CompactTarget.FromDifficultyLevel(2));
        var template = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).ChildTemplate(Key.PublicKey, CompactTarget.FromDifficultyLevel(2));

        var header = new EnhancedProofOfWorkSealer().Seal(template, target, Key).Header!;

        Assert.Multiple(() =>
        {
            Assert.That(CompactTarget.Meets(header.Hash, target), Is.True);
            Assert.That(Ed25519.Instance.Verify(Key.PublicKey, header.GetSealMessage(), header.Seal), Is.True);
        });
    }

    [Test]
    public void Sealer_walks_the_nonce_space_in_batches_and_stops_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var searcher = new CountingSearcher(3, cts);
        var template = new ChainBuilder(ConsensusEngineId.ProofOfWork).ChildTemplate(Key.PublicKey, ChainBuilder.EasyBits, nonce: 5);

        var result = new ProofOfWorkSealer(searcher).Seal(template, BigInteger.One, null, cts.Token);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsSealed, Is.False);
            Assert.That(searcher.Starts, Is.EqualTo(new ulong[] { 5, 5 + (1 << 20), 5 + (2 << 20) }));
            Assert.That(result.Attempts, Is.EqualTo(3UL << 20));
        });
    }

    [Test]
    public void Sealer_refuses_a_template_of_the_other_engine()
    {
        var pow = new ChainBuilder(ConsensusEngineId.ProofOfWork).ChildTemplate(Key.PublicKey, ChainBuilder.EasyBits);
        var epow = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).ChildTemplate(Key.PublicKey, ChainBuilder.EasyBits);

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => new EnhancedProofOfWorkSealer().Seal(pow, BigInteger.One << 250, Key));
            Assert.Throws<ArgumentException>(() => new ProofOfWorkSealer().Seal(epow, BigInteger.One << 250, null));
        });
    }

    [Test]
    public void Non_positive_target_is_a_programmer_error()
    {
        var template = new ChainBuilder(ConsensusEngineId.ProofOfWork).ChildTemplate(Key.PublicKey, ChainBuilder.EasyBits);

        Assert.Throws<ArgumentOutOfRangeException>(() => new ProofOfWorkSealer().Seal(template, BigInteger.Zero, null));
    }
}

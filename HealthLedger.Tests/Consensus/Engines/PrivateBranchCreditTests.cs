using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

/// <summary>
/// The security argument's claim (docs/consensus.md §6): a single validator mining a private branch cannot raise its
/// credit there, and what it earned before the fork is gone within one window W.
/// </summary>
[TestFixture]
public sealed class PrivateBranchCreditTests
{
    private const int Window = 12;

    [Test]
    public void Credit_of_a_lone_private_miner_never_rises_and_is_zero_after_one_window()
    {
        var a = TestKeys.Get("private-a").PublicKey;
        var b = TestKeys.Get("private-b").PublicKey;
        var c = TestKeys.Get("private-c").PublicKey;
        var chain = new ChainBuilder(
                ConsensusEngineId.EnhancedProofOfWork,
                new ConsensusParameters { InitialTargetBits = ChainBuilder.EasyBits, PowLimitBits = ChainBuilder.EasyBits, FixedDifficulty = true, CreditWindowBlocks = Window })
            .WithNode(a).WithNode(b).WithNode(c);
        for (var i = 0; i < Window / 3; i++)
        {
            chain.AddBlocks(1, b).AddBlocks(1, c).AddBlocks(1, a);
        }

        chain.WithActivity(b, attested: chain.HeightsMinedBy(a));
        var honestHistory = chain.HeightsNotMinedBy(a).ToList();
        chain.WithActivity(a, mined: chain.HeightsMinedBy(a), attested: honestHistory);
        var credits = new List<int> { EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels };

        for (var i = 0; i < Window; i++)
        {
            // Private block by A; A "attests" it itself (worthless); nobody else sees it.
            chain.AddBlocks(1, a);
            chain.WithActivity(a, mined: chain.HeightsMinedBy(a), attested: honestHistory.Concat(chain.HeightsMinedBy(a)));
            credits.Add(EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels);
        }

        TestContext.Out.WriteLine("credit along the private branch: " + string.Join(", ", credits));
        Assert.Multiple(() =>
        {
            Assert.That(credits[0], Is.EqualTo(CreditParameters.MaxBonusLevels), "honest history earns full credit at the fork");
            Assert.That(credits, Is.Ordered.Descending, "credit never rises on a private branch");
            Assert.That(credits[^1], Is.Zero, "after one window nothing of the honest history is left");
        });
    }
}

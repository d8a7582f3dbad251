using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

/// <summary>
/// The security argument's claim (docs/consensus.md §6): a coalition short of a finality quorum mining a private
/// branch cannot raise its credit there, and what it earned before the fork is gone within one window W.
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

        // Before the fork every validator attests every block: all of them are endorsed by a quorum (three of three).
        var honestHistory = chain.HeightsMinedBy(a).Concat(chain.HeightsNotMinedBy(a)).Order().ToList();
        chain.WithActivity(b, attested: honestHistory).WithActivity(c, attested: honestHistory);
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

    [Test]
    public void Two_colluders_attesting_each_other_on_a_private_branch_lose_their_credit_within_one_window()
    {
        // Seven validators (quorum five); A and B collude. Before the fork everybody attests everything.
        var a = TestKeys.Get("collude-a").PublicKey;
        var b = TestKeys.Get("collude-b").PublicKey;
        var honest = Enumerable.Range(0, 5).Select(i => TestKeys.Get($"collude-honest-{i}").PublicKey).ToList();
        var chain = new ChainBuilder(
                ConsensusEngineId.EnhancedProofOfWork,
                new ConsensusParameters { InitialTargetBits = ChainBuilder.EasyBits, PowLimitBits = ChainBuilder.EasyBits, FixedDifficulty = true, CreditWindowBlocks = Window })
            .WithNode(a).WithNode(b);
        honest.ForEach(h => chain.WithNode(h));
        for (var i = 0; i < Window / 4; i++)
        {
            chain.AddBlocks(1, honest[i % honest.Count]).AddBlocks(1, a).AddBlocks(1, honest[(i + 1) % honest.Count]).AddBlocks(1, b);
        }

        var history = Enumerable.Range(1, (int)chain.TipHeight).Select(h => (ulong)h).ToList();
        honest.ForEach(h => chain.WithActivity(h, attested: history));
        chain.WithActivity(a, attested: history).WithActivity(b, attested: history);
        var credits = new List<int> { EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels };

        var privateHeights = new List<ulong>();
        for (var i = 0; i < Window; i++)
        {
            // The colluders alternate blocks on their private branch and attest each other's (and their own).
            chain.AddBlocks(1, i % 2 == 0 ? a : b);
            privateHeights.Add(chain.TipHeight);
            chain.WithActivity(a, attested: history.Concat(privateHeights)).WithActivity(b, attested: history.Concat(privateHeights));
            credits.Add(EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels);
        }

        TestContext.Out.WriteLine("colluder's credit along the private branch: " + string.Join(", ", credits));
        Assert.Multiple(() =>
        {
            Assert.That(credits[0], Is.EqualTo(CreditParameters.MaxBonusLevels), "honest history earns full credit at the fork");
            Assert.That(credits, Is.Ordered.Descending, "mutual attestation below a quorum earns nothing");
            Assert.That(credits[^1], Is.Zero, "after one window nothing of the honest history is left");
        });
    }
}

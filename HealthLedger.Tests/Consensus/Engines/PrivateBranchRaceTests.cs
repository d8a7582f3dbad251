using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

/// <summary>
/// Measures what ePoW guarantees once finality bounds reorganisations (docs/consensus.md §6): a seeded Monte Carlo race
/// between honest miners (hash share 1 − x at credit m_h) and a private branch of attackers (share x) whose credit
/// along the branch comes from the real <see cref="CreditFunction"/> on a real branch (two colluders of seven who
/// attested everything before the fork, then attest only each other). Blocks arrive as Poisson processes at rate
/// share · 2^credit (equal base work per block, so weight = block count).
/// <list type="bullet">
/// <item><b>With finality</b> the attacker displaces an honest block only if it has a heavier branch before the honest
/// chain's second block after the fork carries the votes that justify the first (fork choice then prefers the honest
/// branch for good): its second block must come before the honest side's second, and it displaces exactly one block.</item>
/// <item><b>Work alone</b> (the earlier fork choice, shown for contrast): the attacker wins if it ever leads after the
/// honest side has six blocks on top of the fork, within two credit windows.</item>
/// </list>
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class PrivateBranchRaceTests
{
    private const int Window = 64;
    private const int Trials = 20_000;

    private static readonly Lazy<int[]> ColluderCredit = new(ComputeColluderCredit);

    [TestCase(0.10)]
    [TestCase(0.25)]
    [TestCase(0.50)]
    public void With_finality_a_constant_credit_attacker_displaces_blocks_as_the_two_block_race_predicts(double x)
    {
        var p = x / (x + ((1 - x) * 16)); // attacker at credit 0 against honest miners at +4
        var measured = Race(x, honestCredit: 4, _ => 0, finality: true, seed: 7);
        // The attacker wins iff its second block comes before the honest side's second: p² + 2p²q.
        var expected = (p * p) + (2 * p * p * (1 - p));
        var sigma = Math.Sqrt(expected * (1 - expected) / Trials);
        TestContext.Out.WriteLine($"x = {x:P0}: measured {measured:P3}, expected p²(1 + 2q) = {expected:P3}");
        Assert.That(Math.Abs(measured - expected), Is.LessThanOrEqualTo((4 * sigma) + 1e-4));
    }

    [Test]
    public void Finality_bounds_what_a_credited_private_branch_can_displace_far_below_work_alone()
    {
        var credit = ColluderCredit.Value;
        Assert.That(credit[0], Is.EqualTo(CreditParameters.MaxBonusLevels), "the colluders start with full credit");
        Assert.That(credit[Window], Is.Zero, "and lose it within one window, since nobody else endorses their blocks");

        TestContext.Out.WriteLine("x     honest m_h  finality (2-block race)  work alone (6 confirmations)");
        foreach (var x in new[] { 0.10, 0.20, 0.33, 0.50 })
        {
            foreach (var mh in new[] { 4, 2 })
            {
                var withFinality = Race(x, mh, i => credit[Math.Min(i, credit.Length - 1)], finality: true, seed: 11);
                var workAlone = Race(x, mh, i => credit[Math.Min(i, credit.Length - 1)], finality: false, seed: 11);
                TestContext.Out.WriteLine($"{x:P0}  +{mh}          {withFinality,8:P2}                 {workAlone,8:P2}");
                if (mh == 4 && x < 0.5)
                {
                    // Against honest validators that mined an endorsed block in the window (+4 since this revision).
                    Assert.That(withFinality, Is.LessThan(x <= 0.1 ? 0.05 : 0.5), $"x = {x}: a minority loses the two-block race more often than not");
                }
            }
        }
    }

    /// <summary>The share of trials in which the attacker's private branch displaces honest blocks.</summary>
    private static double Race(double x, int honestCredit, Func<int, int> attackerCredit, bool finality, ulong seed)
    {
        var rng = new SplitMix(seed);
        var honestRate = (1 - x) * Math.Pow(2, honestCredit);
        var wins = 0;
        for (var t = 0; t < Trials; t++)
        {
            int honest = 0, attacker = 0;
            var nextHonest = rng.Exponential(honestRate);
            var nextAttacker = rng.Exponential(x * Math.Pow(2, attackerCredit(0)));
            var won = false;
            while (true)
            {
                if (nextAttacker < nextHonest)
                {
                    attacker++;
                    var now = nextAttacker;
                    nextAttacker = now + rng.Exponential(x * Math.Pow(2, attackerCredit(attacker)));
                }
                else
                {
                    honest++;
                    nextHonest += rng.Exponential(honestRate);
                }

                if (finality)
                {
                    if (attacker >= 2 && honest == 1 && attacker > honest)
                    {
                        won = true;
                        break;
                    }

                    if (honest >= 2)
                    {
                        break; // the first honest block after the fork is justified: the private branch can never win
                    }
                }
                else
                {
                    if (honest >= 6 && attacker > honest)
                    {
                        won = true;
                        break;
                    }

                    if (honest + attacker > 2 * Window)
                    {
                        break;
                    }
                }
            }

            wins += won ? 1 : 0;
        }

        return (double)wins / Trials;
    }

    /// <summary>The credit of colluder A for each of its private branch's blocks (index 0: the first private block), from the real credit function.</summary>
    private static int[] ComputeColluderCredit()
    {
        var a = TestKeys.Get("race-a").PublicKey;
        var b = TestKeys.Get("race-b").PublicKey;
        var honest = Enumerable.Range(0, 5).Select(i => TestKeys.Get($"race-honest-{i}").PublicKey).ToList();
        var chain = new ChainBuilder(
                ConsensusEngineId.EnhancedProofOfWork,
                new ConsensusParameters { InitialTargetBits = ChainBuilder.EasyBits, PowLimitBits = ChainBuilder.EasyBits, FixedDifficulty = true, CreditWindowBlocks = Window })
            .WithNode(a).WithNode(b);
        honest.ForEach(h => chain.WithNode(h));
        var miners = new List<PublicKey>(honest) { a, b };
        for (var i = 0; i < Window; i++)
        {
            chain.AddBlocks(1, miners[i % miners.Count]);
        }

        var history = Enumerable.Range(1, Window).Select(h => (ulong)h).ToList();
        honest.ForEach(h => chain.WithActivity(h, attested: history));
        chain.WithActivity(a, attested: history).WithActivity(b, attested: history);
        var credits = new List<int> { EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels };
        var privateHeights = new List<ulong>();
        for (var i = 0; i <= Window; i++)
        {
            chain.AddBlocks(1, i % 2 == 0 ? a : b);
            privateHeights.Add(chain.TipHeight);
            chain.WithActivity(a, attested: history.Concat(privateHeights)).WithActivity(b, attested: history.Concat(privateHeights));
            credits.Add(EnhancedProofOfWorkEngine.GetCredit(a, chain.View()).Levels);
        }

        return [.. credits];
    }

    /// <summary>SplitMix64, for reproducible draws.</summary>
    private sealed class SplitMix(ulong seed)
    {
        private ulong _state = seed;

        public double Exponential(double rate) => -Math.Log(1.0 - NextUnit()) / rate;

        private double NextUnit()
        {
            _state += 0x9E3779B97F4A7C15UL;
            var z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }
}

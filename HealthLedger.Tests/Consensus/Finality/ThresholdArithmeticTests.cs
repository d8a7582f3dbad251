using HealthLedger.Consensus.Finality;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Finality;

[TestFixture]
public sealed class ThresholdArithmeticTests
{
    [TestCase(4, 1, 3)]
    [TestCase(4, 3, 3)]
    [TestCase(4, 4, 4)]
    [TestCase(5, 3, 4)]
    [TestCase(7, 1, 5)]
    [TestCase(11, 1, 8)]
    [TestCase(11, 10, 10)]
    [TestCase(1, 1, 1)]
    [TestCase(3, 5, 5)]
    public void The_effective_quorum_is_two_thirds_of_the_validators_plus_one_or_k_if_higher(int n, int k, int q) =>
        Assert.That(ThresholdArithmetic.EffectiveQuorum(n, k), Is.EqualTo(q));

    [TestCase(4, 3, 0, true)]
    [TestCase(4, 3, 1, true)]
    [TestCase(4, 3, 2, false)]
    [TestCase(4, 1, 1, true)]
    [TestCase(5, 3, 1, true)]
    [TestCase(5, 3, 2, false)]
    [TestCase(7, 7, 0, true)]
    [TestCase(7, 7, 1, false)]
    [TestCase(5, 1, 4, false)]
    [TestCase(3, 4, 0, false)]
    public void Finality_survives_f_crashes_iff_the_effective_quorum_is_at_most_n_minus_f(int n, int k, int f, bool survives)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ThresholdArithmetic.SurvivesCrashes(n, k, f), Is.EqualTo(survives));
            Assert.That(f <= ThresholdArithmetic.MaxCrashFaults(n, k), Is.EqualTo(survives));
        });
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(5)]
    [TestCase(10)]
    [TestCase(64)]
    public void Any_two_quorums_intersect_in_more_than_a_third_whatever_k_the_miner_chose(int n)
    {
        for (var k = 1; k <= n; k++)
        {
            Assert.That(ThresholdArithmetic.QuorumsIntersect(n, k), Is.True, $"N={n} k={k}");
            Assert.That(3 * ThresholdArithmetic.QuorumOverlap(n, k), Is.GreaterThan(n), $"N={n} k={k}: the overlap exceeds N/3");
        }
    }

    [TestCase(4, 1, 1, true)]
    [TestCase(4, 1, 2, false)]
    [TestCase(7, 1, 2, true)]
    [TestCase(7, 1, 3, false)]
    [TestCase(7, 7, 6, true)]
    [TestCase(10, 1, 3, true)]
    [TestCase(10, 1, 4, false)]
    public void Equivocators_must_be_fewer_than_the_quorum_overlap(int n, int k, int b, bool safe) =>
        Assert.That(ThresholdArithmetic.SafeAgainstEquivocators(n, k, b), Is.EqualTo(safe));

    /// <summary>
    /// Brute force over all pairs of q-subsets of N: two quorums always share at least 2q − N members, and the bound is tight.
    /// </summary>
    [TestCase(4, 1)]
    [TestCase(4, 4)]
    [TestCase(5, 3)]
    [TestCase(6, 5)]
    [TestCase(7, 1)]
    public void Quorum_overlap_is_the_pigeonhole_bound_by_enumeration(int n, int k)
    {
        var q = ThresholdArithmetic.EffectiveQuorum(n, k);
        var subsets = Enumerable.Range(0, 1 << n).Where(m => System.Numerics.BitOperations.PopCount((uint)m) == q).ToList();
        var smallest = subsets.SelectMany(a => subsets.Select(b => System.Numerics.BitOperations.PopCount((uint)(a & b)))).Min();
        Assert.That(smallest, Is.EqualTo(Math.Max(0, ThresholdArithmetic.QuorumOverlap(n, k))));
    }

    [TestCase(4, 1, 3, ThresholdModel.Byzantine)]
    [TestCase(4, 0, 3, ThresholdModel.Byzantine)]
    [TestCase(7, 2, 5, ThresholdModel.Byzantine)]
    [TestCase(10, 3, 7, ThresholdModel.Byzantine)]
    [TestCase(5, 0, 4, ThresholdModel.Byzantine)]
    [TestCase(5, 1, 4, ThresholdModel.Byzantine)]
    [TestCase(1, 0, 1, ThresholdModel.Byzantine)]
    [TestCase(5, 2, 0, ThresholdModel.None)]
    [TestCase(6, 2, 0, ThresholdModel.None)]
    [TestCase(4, 2, 0, ThresholdModel.None)]
    [TestCase(3, 1, 0, ThresholdModel.None)]
    public void Recommended_threshold_table(int n, int f, int k, ThresholdModel model) =>
        Assert.That(ThresholdArithmetic.Recommend(n, f), Is.EqualTo(new ThresholdRecommendation(k, model)));

    [TestCase(40, 13)]
    public void A_threshold_exists_exactly_when_fewer_than_a_third_are_faulty(int maxN, int maxF)
    {
        for (var n = 1; n <= maxN; n++)
        {
            for (var f = 0; f <= Math.Min(n, maxF); f++)
            {
                var r = ThresholdArithmetic.Recommend(n, f);
                Assert.That(r.Model == ThresholdModel.Byzantine, Is.EqualTo(3 * f < n), $"N={n} f={f}");
                if (r.Model == ThresholdModel.Byzantine)
                {
                    Assert.That(ThresholdArithmetic.SurvivesCrashes(n, r.Threshold, f) && ThresholdArithmetic.SafeAgainstEquivocators(n, r.Threshold, f), $"N={n} f={f} k={r.Threshold}");
                }
            }
        }
    }

    private static GenesisConfig Genesis(int validators, ushort min, ushort max, int providers = 0)
    {
        var nodes = Enumerable.Range(0, validators).Select(i => new GenesisNode(TestKeys.Get($"genesis-v{i}").PublicKey, NodeRoles.Validator, $"v{i}"))
            .Concat(Enumerable.Range(0, providers).Select(i => new GenesisNode(TestKeys.Get($"genesis-p{i}").PublicKey, NodeRoles.Provider, $"p{i}")))
            .ToList();
        return new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).Genesis with { InitialNodes = nodes, MinThreshold = min, MaxThreshold = max };
    }

    [TestCase(4, (ushort)3, (ushort)4, true)]
    [TestCase(4, (ushort)0, (ushort)4, false)]
    [TestCase(4, (ushort)4, (ushort)3, false)]
    [TestCase(4, (ushort)5, (ushort)8, false)]
    [TestCase(4, (ushort)1, (ushort)64, true)]
    public void Genesis_bounds_check(int validators, ushort min, ushort max, bool valid)
    {
        var result = ThresholdArithmetic.CheckGenesisBounds(Genesis(validators, min, max));

        Assert.That(result.Code, Is.EqualTo(valid ? RejectionCode.None : RejectionCode.ThresholdOutOfBounds));
    }

    [Test]
    public void Genesis_providers_do_not_count_as_validators()
    {
        var result = ThresholdArithmetic.CheckGenesisBounds(Genesis(2, 3, 4, providers: 5));

        Assert.That(result.Code, Is.EqualTo(RejectionCode.ThresholdOutOfBounds));
    }

    [TestCase((ushort)2, true)]
    [TestCase((ushort)1, false)]
    [TestCase((ushort)5, true)]
    [TestCase((ushort)6, false)]
    public void Block_threshold_must_lie_within_the_genesis_bounds(ushort k, bool valid)
    {
        var genesis = Genesis(8, 2, 5);
        var header = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).ChildTemplate(TestKeys.Get("genesis-v0").PublicKey, 0x207fffff);
        header = new BlockHeader(header.Version, header.ChainId, header.Height, header.TimestampMs, header.PreviousHash, header.MerkleRoot, header.TargetBits, k, header.Engine, header.Miner, 0, default);

        Assert.That(ThresholdArithmetic.CheckBlockThreshold(header, genesis).Code, Is.EqualTo(valid ? RejectionCode.None : RejectionCode.ThresholdOutOfBounds));
    }
}

using HealthLedger.Consensus.Finality;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Finality;

[TestFixture]
public sealed class ThresholdArithmeticTests
{
    [TestCase(4, 3, 0, true)]
    [TestCase(4, 3, 1, true)]
    [TestCase(4, 3, 2, false)]
    [TestCase(7, 7, 0, true)]
    [TestCase(7, 7, 1, false)]
    [TestCase(5, 1, 4, true)]
    [TestCase(5, 1, 5, false)]
    [TestCase(3, 4, 0, false)]
    public void Finality_survives_f_crashes_iff_k_is_at_most_n_minus_f(int n, int k, int f, bool survives)
    {
        Assert.Multiple(() =>
        {
            Assert.That(ThresholdArithmetic.SurvivesCrashes(n, k, f), Is.EqualTo(survives));
            Assert.That(f <= ThresholdArithmetic.MaxCrashFaults(n, k), Is.EqualTo(survives));
        });
    }

    [TestCase(4, 2, false)]
    [TestCase(4, 3, true)]
    [TestCase(5, 3, true)]
    [TestCase(5, 2, false)]
    [TestCase(1, 1, true)]
    [TestCase(2, 1, false)]
    [TestCase(10, 6, true)]
    [TestCase(10, 5, false)]
    public void Conflicting_blocks_cannot_both_be_final_iff_k_exceeds_half_of_n(int n, int k, bool safe) =>
        Assert.That(ThresholdArithmetic.QuorumsIntersect(n, k), Is.EqualTo(safe));

    [TestCase(4, 3, 1, true)]
    [TestCase(4, 3, 2, false)]
    [TestCase(7, 5, 2, true)]
    [TestCase(7, 5, 3, false)]
    [TestCase(10, 6, 1, true)]
    [TestCase(10, 6, 2, false)]
    public void Equivocators_must_be_fewer_than_the_quorum_overlap(int n, int k, int b, bool safe) =>
        Assert.That(ThresholdArithmetic.SafeAgainstEquivocators(n, k, b), Is.EqualTo(safe));

    /// <summary>
    /// Brute force over all pairs of k-subsets of N: two quorums always share at least 2k − N members, and the bound is tight.
    /// </summary>
    [TestCase(4, 2)]
    [TestCase(4, 3)]
    [TestCase(5, 3)]
    [TestCase(6, 4)]
    [TestCase(7, 4)]
    public void Quorum_overlap_is_the_pigeonhole_bound_by_enumeration(int n, int k)
    {
        var subsets = Enumerable.Range(0, 1 << n).Where(m => System.Numerics.BitOperations.PopCount((uint)m) == k).ToList();
        var smallest = subsets.SelectMany(a => subsets.Select(b => System.Numerics.BitOperations.PopCount((uint)(a & b)))).Min();

        Assert.That(smallest, Is.EqualTo(Math.Max(0, ThresholdArithmetic.QuorumOverlap(n, k))));
    }

    [TestCase(4, 1, 3, ThresholdModel.Byzantine)]
    [TestCase(7, 2, 5, ThresholdModel.Byzantine)]
    [TestCase(10, 3, 7, ThresholdModel.Byzantine)]
    [TestCase(5, 0, 3, ThresholdModel.Byzantine)]
    [TestCase(1, 0, 1, ThresholdModel.Byzantine)]
    [TestCase(5, 2, 3, ThresholdModel.CrashOnly)]
    [TestCase(6, 2, 4, ThresholdModel.CrashOnly)]
    [TestCase(4, 2, 0, ThresholdModel.None)]
    [TestCase(3, 2, 0, ThresholdModel.None)]
    public void Recommended_threshold_table(int n, int f, int k, ThresholdModel model) =>
        Assert.That(ThresholdArithmetic.Recommend(n, f), Is.EqualTo(new ThresholdRecommendation(k, model)));

    [TestCase(12, 12)]
    [TestCase(40, 13)]
    public void Recommended_threshold_satisfies_what_its_model_claims(int maxN, int maxF)
    {
        for (var n = 1; n <= maxN; n++)
        {
            for (var f = 0; f <= Math.Min(n, maxF); f++)
            {
                var r = ThresholdArithmetic.Recommend(n, f);
                switch (r.Model)
                {
                    case ThresholdModel.Byzantine:
                        Assert.That(ThresholdArithmetic.SurvivesCrashes(n, r.Threshold, f) && ThresholdArithmetic.SafeAgainstEquivocators(n, r.Threshold, f), $"N={n} f={f} k={r.Threshold}");
                        Assert.That(r.Threshold > 1 && ThresholdArithmetic.SafeAgainstEquivocators(n, r.Threshold - 1, f), Is.False, $"N={n} f={f}: k should be minimal");
                        break;
                    case ThresholdModel.CrashOnly:
                        Assert.That(ThresholdArithmetic.SurvivesCrashes(n, r.Threshold, f) && ThresholdArithmetic.QuorumsIntersect(n, r.Threshold), $"N={n} f={f} k={r.Threshold}");
                        Assert.That(n >= (3 * f) + 1, Is.False, $"N={n} f={f}: a Byzantine threshold exists");
                        break;
                    default:
                        Assert.That(Enumerable.Range(1, n).Any(k => ThresholdArithmetic.SurvivesCrashes(n, k, f) && ThresholdArithmetic.QuorumsIntersect(n, k)), Is.False, $"N={n} f={f}");
                        break;
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

    [TestCase(4, (ushort)3, true)]
    [TestCase(4, (ushort)2, false)]
    [TestCase(5, (ushort)3, true)]
    [TestCase(1, (ushort)1, true)]
    public void Genesis_bounds_are_safe_when_the_minimum_is_a_majority(int validators, ushort min, bool safe) =>
        Assert.That(ThresholdArithmetic.GenesisBoundsAreSafe(Genesis(validators, min, 64)), Is.EqualTo(safe));

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

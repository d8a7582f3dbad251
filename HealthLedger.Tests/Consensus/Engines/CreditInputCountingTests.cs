using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

/// <summary>How <see cref="CreditFunction.CountInputs"/> reads a branch and its state.</summary>
[TestFixture]
public sealed class CreditInputCountingTests
{
    private static ChainBuilder Rotation(int rounds, ConsensusParameters? parameters = null)
    {
        var a = TestKeys.Get("count-a").PublicKey;
        var b = TestKeys.Get("count-b").PublicKey;
        var chain = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork, parameters).WithNode(a).WithNode(b);
        for (var i = 0; i < rounds; i++)
        {
            chain.AddBlocks(1, a).AddBlocks(1, b);
        }

        return chain;
    }

    private static NodeInfo Node(ChainBuilder chain, string label) => chain.View().State.GetNode(TestKeys.Get(label).PublicKey.ToAddress())!;

    private static CreditInputs Count(ChainBuilder chain, string label) => CreditFunction.CountInputs(Node(chain, label), chain.View(), CreditParameters.From(chain.Genesis.Consensus));

    [Test]
    public void Window_counts_blocks_by_others_from_the_branch()
    {
        var chain = Rotation(10); // heights 1..20, A mines odd heights

        var inputs = Count(chain, "count-a");

        Assert.Multiple(() =>
        {
            Assert.That(inputs.WindowBlocks, Is.EqualTo(20));
            Assert.That(inputs.BlocksByOthers, Is.EqualTo(10));
            Assert.That(inputs.ActiveValidators, Is.EqualTo(2));
        });
    }

    [Test]
    public void Window_is_capped_at_the_parameter_and_drops_older_heights()
    {
        var chain = Rotation(10, new ConsensusParameters { CreditWindowBlocks = 6, FixedDifficulty = true });
        var b = TestKeys.Get("count-b").PublicKey;
        chain.WithActivity(TestKeys.Get("count-a").PublicKey, attested: chain.HeightsMinedBy(b)); // 2, 4, ..., 20
        chain.WithActivity(b, attested: chain.HeightsMinedBy(b)); // with two validators a quorum is both

        var inputs = Count(chain, "count-a");

        Assert.Multiple(() =>
        {
            Assert.That(inputs.WindowBlocks, Is.EqualTo(6)); // heights 15..20
            Assert.That(inputs.BlocksByOthers, Is.EqualTo(3));
            Assert.That(inputs.AttestationsOfOthers, Is.EqualTo(3)); // 16, 18, 20
        });
    }

    [Test]
    public void Attesting_ones_own_blocks_earns_nothing()
    {
        var chain = Rotation(5);
        var a = TestKeys.Get("count-a").PublicKey;
        chain.WithActivity(a, attested: chain.HeightsMinedBy(a));

        Assert.That(Count(chain, "count-a").AttestationsOfOthers, Is.Zero);
    }

    [Test]
    public void Duplicate_attestation_heights_count_once()
    {
        var chain = Rotation(5);
        chain.WithActivity(TestKeys.Get("count-a").PublicKey, attested: [2, 2, 4, 4, 4]);
        chain.WithActivity(TestKeys.Get("count-b").PublicKey, attested: [2, 4]);

        Assert.That(Count(chain, "count-a").AttestationsOfOthers, Is.EqualTo(2));
    }

    [Test]
    public void Mined_blocks_count_only_when_a_finality_quorum_attested_them()
    {
        var chain = Rotation(5); // A mined 1, 3, 5, 7, 9; two validators, so a quorum is both
        chain.WithActivity(TestKeys.Get("count-a").PublicKey, attested: [1, 3, 5]);
        chain.WithActivity(TestKeys.Get("count-b").PublicKey, attested: [1, 5, 2, 7]);

        Assert.That(Count(chain, "count-a").EndorsedBlocksMined, Is.EqualTo(2)); // 1 and 5; 3 and 7 have one vote each
    }

    [Test]
    public void Attestations_count_only_for_blocks_a_finality_quorum_endorsed()
    {
        var chain = Rotation(5); // B mined 2, 4, 6, 8, 10
        chain.WithActivity(TestKeys.Get("count-a").PublicKey, attested: [2, 4, 6]);
        chain.WithActivity(TestKeys.Get("count-b").PublicKey, attested: [4]);

        Assert.That(Count(chain, "count-a").AttestationsOfOthers, Is.EqualTo(1));
    }

    [Test]
    public void Colluders_below_a_third_cannot_endorse_each_other()
    {
        // Seven validators, quorum five: two colluders attesting each other's blocks earn nothing.
        var chain = Rotation(5); // A mined odd heights, B even heights
        for (var i = 0; i < 5; i++)
        {
            chain.WithNode(TestKeys.Get($"count-honest-{i}").PublicKey);
        }

        chain.WithActivity(TestKeys.Get("count-a").PublicKey, attested: chain.HeightsMinedBy(TestKeys.Get("count-b").PublicKey));
        chain.WithActivity(TestKeys.Get("count-b").PublicKey, attested: chain.HeightsMinedBy(TestKeys.Get("count-a").PublicKey));

        var inputs = Count(chain, "count-a");
        Assert.Multiple(() =>
        {
            Assert.That(inputs.AttestationsOfOthers, Is.Zero);
            Assert.That(inputs.EndorsedBlocksMined, Is.Zero);
            Assert.That(CreditFunction.Compute(inputs, CreditParameters.Default).Levels, Is.Zero);
        });
    }

    [Test]
    public void Endorsements_by_revoked_or_non_validator_nodes_do_not_count()
    {
        var chain = Rotation(5);
        var revoked = TestKeys.Get("count-revoked").PublicKey;
        var provider = TestKeys.Get("count-provider").PublicKey;
        chain.WithNode(revoked, revoked: true).WithNode(provider, NodeRoles.Provider);
        chain.WithActivity(revoked, attested: [1, 3]).WithActivity(provider, attested: [5, 7]);

        var inputs = Count(chain, "count-a");

        Assert.Multiple(() =>
        {
            Assert.That(inputs.EndorsedBlocksMined, Is.Zero);
            Assert.That(inputs.ActiveValidators, Is.EqualTo(2));
        });
    }

    [Test]
    public void Mined_heights_claimed_in_activity_but_not_on_the_branch_do_not_count()
    {
        var chain = Rotation(5);
        var a = TestKeys.Get("count-a").PublicKey;
        chain.WithActivity(a, mined: [2, 4]).WithActivity(TestKeys.Get("count-b").PublicKey, attested: [2, 4]);

        Assert.That(Count(chain, "count-a").EndorsedBlocksMined, Is.Zero);
    }

    [Test]
    public void Penalty_ages_are_measured_from_the_parent_and_future_heights_are_ignored()
    {
        var chain = Rotation(5); // tip 10
        chain.WithActivity(TestKeys.Get("count-a").PublicKey, penalties: [10, 4, 11]);

        Assert.That(Count(chain, "count-a").PenaltyAges, Is.EqualTo(new ulong[] { 0, 6 }));
    }

    [Test]
    public void Child_of_genesis_has_an_empty_window()
    {
        var chain = Rotation(0);

        Assert.That(CreditFunction.Compute(Count(chain, "count-a"), CreditParameters.Default), Is.EqualTo(CreditScore.Neutral));
    }
}

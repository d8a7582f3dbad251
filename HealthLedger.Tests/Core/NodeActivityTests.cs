using System.Collections.Immutable;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Core;

/// <summary>Issue 10 symptom 13: <see cref="NodeActivity"/> and <see cref="NodeInfo"/> compare and print by content.</summary>
[TestFixture]
public sealed class NodeActivityTests
{
    private static NodeActivity Activity(ulong[] mined, ulong[] attested, ulong[] penalties) =>
        new([.. mined], [.. attested], [.. penalties]);

    private static NodeInfo Node(NodeActivity activity)
    {
        using var key = KeyPair.FromLabel("validator-0");
        return new NodeInfo(key.Address, key.PublicKey, NodeRoles.Validator, "validator-0", 0, false, activity);
    }

    [Test]
    public void Two_activities_built_separately_with_the_same_heights_are_equal_and_hash_alike()
    {
        var a = Activity([1, 2, 3], [2], []);
        var b = Activity([1, 2, 3], [2], []);

        Assert.That(a.MinedHeights.Equals(b.MinedHeights), Is.False, "distinct arrays (ImmutableArray compares by reference)");
        Assert.That(a, Is.EqualTo(b));
        Assert.That(a == b, Is.True);
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
    }

    [TestCase(new ulong[] { 1, 2 }, new ulong[] { 2 }, new ulong[0], TestName = "a mined height missing")]
    [TestCase(new ulong[] { 1, 2, 4 }, new ulong[] { 2 }, new ulong[0], TestName = "a mined height different")]
    [TestCase(new ulong[] { 1, 2, 3 }, new ulong[0], new ulong[] { 2 }, TestName = "the same height in another list")]
    [TestCase(new ulong[] { 3, 2, 1 }, new ulong[] { 2 }, new ulong[0], TestName = "the same heights in another order")]
    public void Activities_that_differ_in_any_list_are_unequal(ulong[] mined, ulong[] attested, ulong[] penalties)
    {
        Assert.That(Activity(mined, attested, penalties), Is.Not.EqualTo(Activity([1, 2, 3], [2], [])));
    }

    [Test]
    public void A_default_array_equals_an_empty_one()
    {
        Assert.That(new NodeActivity(default, default, default), Is.EqualTo(NodeActivity.Empty));
        Assert.That(new NodeActivity(default, default, default).GetHashCode(), Is.EqualTo(NodeActivity.Empty.GetHashCode()));
    }

    [Test]
    public void Activity_prints_the_heights_not_the_array_type()
    {
        Assert.That(
            Activity([1, 2], [], [7]).ToString(),
            Is.EqualTo("NodeActivity { MinedHeights = [1, 2], AttestedHeights = [], PenaltyHeights = [7] }"));
    }

    [Test]
    public void Two_node_infos_with_equal_activity_are_equal_and_print_the_heights()
    {
        var a = Node(Activity([5], [4], []));
        var b = Node(Activity([5], [4], []));

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a.ToString(), Does.Contain("MinedHeights = [5], AttestedHeights = [4]"));
        Assert.That(a.ToString(), Does.Not.Contain("ImmutableArray"));
        Assert.That(Node(Activity([5], [4], [9])), Is.Not.EqualTo(a));
    }

    [Test]
    public void Equal_states_reached_by_different_paths_give_equal_node_infos()
    {
        var pushed = NodeActivity.Empty;
        foreach (var h in new ulong[] { 1, 2, 3 })
        {
            pushed = pushed with { MinedHeights = NodeActivity.Push(pushed.MinedHeights, h) };
        }

        Assert.That(Node(pushed), Is.EqualTo(Node(Activity([1, 2, 3], [], []))));
    }
}

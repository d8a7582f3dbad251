using HealthLedger.Node;
using HealthLedger.Testing;

namespace HealthLedger.Tests.NodeFacade;

[TestFixture]
public sealed class VoteScheduleTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(250);

    [Test]
    public void A_height_is_due_only_once_the_delay_after_it_first_appeared_has_passed()
    {
        var clock = TestClock.Create();
        var schedule = new VoteSchedule(clock, Delay);

        schedule.Seen(1);
        Assert.That(schedule.TakeDue(out var wait), Is.Null);
        Assert.That(wait, Is.EqualTo(Delay));

        clock.Advance(TimeSpan.FromMilliseconds(249));
        Assert.That(schedule.TakeDue(out wait), Is.Null);
        Assert.That(wait, Is.EqualTo(TimeSpan.FromMilliseconds(1)));

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.That(schedule.TakeDue(out wait), Is.EqualTo(((ulong)1, (ulong)1)));
        Assert.That(wait, Is.EqualTo(Timeout.InfiniteTimeSpan), "nothing else waits");
        Assert.That(schedule.TakeDue(out _), Is.Null, "each height is handed out once");
    }

    [Test]
    public void A_sibling_or_a_reorganisation_to_a_height_already_seen_does_not_restart_its_wait()
    {
        var clock = TestClock.Create();
        var schedule = new VoteSchedule(clock, Delay);
        schedule.Seen(1);
        clock.Advance(TimeSpan.FromMilliseconds(200));

        schedule.Seen(1); // the sibling became the tip
        clock.Advance(TimeSpan.FromMilliseconds(50));

        Assert.That(schedule.TakeDue(out _), Is.EqualTo(((ulong)1, (ulong)1)));
    }

    [Test]
    public void Heights_seen_at_different_times_come_due_in_order_and_a_jump_counts_every_height_it_passes()
    {
        var clock = TestClock.Create();
        var schedule = new VoteSchedule(clock, Delay);
        schedule.Seen(1);
        clock.Advance(TimeSpan.FromMilliseconds(100));
        schedule.Seen(5); // a catch-up: 2..5 first seen now
        clock.Advance(TimeSpan.FromMilliseconds(100));
        schedule.Seen(6);

        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(schedule.TakeDue(out var wait), Is.EqualTo(((ulong)1, (ulong)1)));
        Assert.That(wait, Is.EqualTo(TimeSpan.FromMilliseconds(100)));

        clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.That(schedule.TakeDue(out _), Is.EqualTo(((ulong)2, (ulong)6)), "everything due at once comes as one range");
        Assert.That(schedule.HighestSeen, Is.EqualTo(6UL));
    }

    [Test]
    public void A_zero_delay_makes_every_height_due_at_once_and_a_negative_one_is_refused()
    {
        var clock = TestClock.Create();
        var schedule = new VoteSchedule(clock, TimeSpan.Zero);
        schedule.Seen(3);

        Assert.That(schedule.TakeDue(out _), Is.EqualTo(((ulong)1, (ulong)3)));
        Assert.That(() => new VoteSchedule(clock, TimeSpan.FromMilliseconds(-1)), Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}

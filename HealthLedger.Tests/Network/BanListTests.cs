using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

[TestFixture]
public sealed class BanListTests : GossipFixture
{
    private void GetBanned(GossipNode a, string name)
    {
        using var evil = new RawPeer(_net, a, name).Hello();
        evil.Send(new NewBlockMessage(_t.MakeBlock(a.Chain.Tip, nonce: TestEngine.BadNonce, timestampMs: _t.Time.NowMs).Encode().ToArray()));
        _net.Pump();
        Assert.That(evil.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Misbehaviour));
    }

    [Test]
    public void A_banned_peer_is_refused_on_reconnection_until_the_ban_expires()
    {
        var a = NewNode("a");
        GetBanned(a, "evil");

        using var again = new RawPeer(_net, a, "evil");
        _net.Pump();
        Assert.That(again.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Banned));
        Assert.That(again.Rejects.Select(r => r.Code), Is.EqualTo(new[] { (ushort)NetworkRejectCode.Banned }));
        Assert.That(again.Received.OfType<HelloMessage>(), Is.Empty, "a banned peer is not even greeted");

        _t.Time.Advance(new GossipOptions().BanDuration);
        using var later = new RawPeer(_net, a, "evil").Hello();
        _net.Pump();
        Assert.That(later.Session.HandshakeComplete, Is.True, "the ban expired");
    }

    [Test]
    public void A_peer_that_offends_again_is_banned_twice_as_long_each_time_up_to_the_longest_ban()
    {
        var a = NewNode("a");
        var options = new GossipOptions();
        var expected = options.BanDuration;
        for (var offence = 1; offence <= 10; offence++)
        {
            GetBanned(a, "evil");
            Assert.That(a.Bans.IsBanned("evil", out var until), Is.True);
            Assert.That(until - _t.Time.GetUtcNow(), Is.EqualTo(expected), $"offence {offence}");
            Assert.That(a.Bans.OffenceCount("evil"), Is.EqualTo(offence));

            _t.Time.Advance(expected - TimeSpan.FromSeconds(1));
            using (var early = new RawPeer(_net, a, "evil"))
            {
                _net.Pump();
                Assert.That(early.Session.DisconnectCode, Is.EqualTo(NetworkRejectCode.Banned), $"still banned just before offence {offence}'s ban ends");
            }

            _t.Time.Advance(TimeSpan.FromSeconds(1));
            expected = expected * 2 > options.MaxBanDuration ? options.MaxBanDuration : expected * 2;
        }

        Assert.That(expected, Is.EqualTo(options.MaxBanDuration), "the ninth and tenth offences got the longest ban");
    }

    [Test]
    public void Offences_are_forgotten_after_the_longest_ban_without_one_and_an_unban_forgets_them_too()
    {
        var bans = new BanList(_t.Time);
        var first = TimeSpan.FromMinutes(10);
        var longest = TimeSpan.FromHours(24);
        Assert.That(bans.BanEscalating("x", first, longest), Is.EqualTo(first));
        _t.Time.Advance(first);
        Assert.That(bans.BanEscalating("x", first, longest), Is.EqualTo(first * 2));
        _t.Time.Advance(first * 2 + longest - TimeSpan.FromSeconds(1));
        Assert.That(bans.BanEscalating("x", first, longest), Is.EqualTo(first * 4), "within a day of the last ban's end it still escalates");
        _t.Time.Advance(first * 4 + longest);
        Assert.That(bans.BanEscalating("x", first, longest), Is.EqualTo(first), "a day without an offence after the last ban starts again");

        Assert.That(bans.BanEscalating("y", first, longest), Is.EqualTo(first));
        Assert.That(bans.Unban("y"), Is.True);
        Assert.That(bans.OffenceCount("y"), Is.Zero);
        Assert.That(bans.BanEscalating("y", first, longest), Is.EqualTo(first), "an operator's unban resets the escalation");
    }

    [Test]
    public void An_escalating_ban_never_shortens_a_longer_ban_already_running_and_offence_records_stay_within_capacity()
    {
        var bans = new BanList(_t.Time, capacity: 2);
        bans.Ban("x", TimeSpan.FromHours(5));
        Assert.That(bans.BanEscalating("x", TimeSpan.FromMinutes(10), TimeSpan.FromHours(24)), Is.EqualTo(TimeSpan.FromHours(5)));

        bans.BanEscalating("y", TimeSpan.FromMinutes(10), TimeSpan.FromHours(24));
        _t.Time.Advance(TimeSpan.FromSeconds(1));
        bans.BanEscalating("z", TimeSpan.FromMinutes(10), TimeSpan.FromHours(24));
        Assert.That(bans.OffenceCount("y"), Is.Zero, "the record whose ban ended first was dropped");
        Assert.That(bans.OffenceCount("x") + bans.OffenceCount("z"), Is.EqualTo(2), "the 5 h ban and the newest offence are kept");
        Assert.Throws<ArgumentOutOfRangeException>(() => bans.BanEscalating("w", TimeSpan.FromHours(2), TimeSpan.FromHours(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => bans.BanEscalating("w", TimeSpan.Zero, TimeSpan.FromHours(1)));
    }

    [Test]
    public void A_ban_is_keyed_by_the_peer_identity_so_others_are_still_served()
    {
        var a = NewNode("a");
        GetBanned(a, "evil");

        using var honest = new RawPeer(_net, a, "honest").Hello();
        _net.Pump();
        Assert.That(honest.Session.HandshakeComplete, Is.True);
    }

    [Test]
    public void A_ban_is_never_shortened_and_the_list_stays_within_its_capacity()
    {
        var bans = new BanList(_t.Time, capacity: 2);
        bans.Ban("x", TimeSpan.FromHours(2));
        bans.Ban("x", TimeSpan.FromMinutes(1));
        Assert.That(bans.IsBanned("x", out var until), Is.True);
        Assert.That(until, Is.EqualTo(_t.Time.GetUtcNow() + TimeSpan.FromHours(2)));

        bans.Ban("y", TimeSpan.FromHours(1));
        bans.Ban("z", TimeSpan.FromHours(3));
        Assert.That(bans.Count, Is.EqualTo(2));
        Assert.That(bans.IsBanned("y", out _), Is.False, "the ban ending first was dropped");
        Assert.That(bans.IsBanned("x", out _) && bans.IsBanned("z", out _), Is.True);
    }
}

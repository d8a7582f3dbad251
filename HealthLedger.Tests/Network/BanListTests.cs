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

        _t.Time.Advance(TimeSpan.FromHours(24));
        using var later = new RawPeer(_net, a, "evil").Hello();
        _net.Pump();
        Assert.That(later.Session.HandshakeComplete, Is.True, "the ban expired");
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

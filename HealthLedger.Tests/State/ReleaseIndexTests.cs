using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.State;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

/// <summary>Key releases are listed per patient, in chain order, a page at a time, and follow reorganisations.</summary>
[TestFixture]
public sealed class ReleaseIndexTests
{
    private IndexWorld _world = null!;
    private Blockchain _chain = null!;
    private InMemoryKeyValueStore _store = null!;
    private LedgerIndex _index = null!;
    private LedgerIndexFollower _follower = null!;

    [SetUp]
    public void Open()
    {
        _world = new IndexWorld();
        _chain = _world.Ledger.NewChain();
        _store = new InMemoryKeyValueStore();
        _index = LedgerIndex.Open(_store, new BlockchainIndexSource(_chain));
        _follower = new LedgerIndexFollower(_chain, _index);
    }

    [TearDown]
    public void Close()
    {
        Assert.That(_follower.Failures, Is.Zero, _follower.LastFailure?.ToString());
        _follower.Dispose();
        _store.Dispose();
    }

    private Func<LedgerState, Transaction> ReleaseTo(KeyPair recipient, Hash256 record, int n) => s =>
    {
        var grant = s.GetRecord(record) is { } r && recipient.Address != r.Patient ? s.GetGrant(r.Patient, recipient.Address, r.RecordType)!.GrantedAtHeight : 0UL;
        return _world.Tx(_world.Ledger.Gateway, s, new KeyRelease(record, recipient.Address, _world.Ledger.Time.NowMs, grant, Hash256.Sha256(BitConverter.GetBytes(n))));
    };

    private (Hash256 First, Hash256 Second) Records(ChainEntry tip)
    {
        var patient = _world.Patients[0].Address;
        var hashes = tip.State.Records.Values.Where(r => r.Patient == patient).Select(r => r.CiphertextHash).ToArray();
        return (hashes[0], hashes[1]);
    }

    [Test]
    public void A_patients_releases_page_in_chain_order_and_name_recipient_record_grant_and_releaser()
    {
        var w = _world;
        var provider = w.Ledger.Provider;
        w.Add(_chain, _chain.Tip, s => w.RegisterPatient(0, s), s => w.RegisterPatient(1, s), s => w.RegisterDevice(0, s), s => w.RegisterDevice(1, s));
        var anchored = w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(0, s, 2_000), s => w.Anchor(1, s, 3_000),
            s => w.Grant(0, provider, RecordScope.Vitals, w.Ledger.Time.NowMs + 3_600_000, s));
        var (first, second) = Records(anchored);
        var other = anchored.State.Records.Values.Single(r => r.Patient == w.Patients[1].Address).CiphertextHash;
        w.Add(_chain, _chain.Tip, ReleaseTo(w.Patients[0], second, 1), ReleaseTo(provider, first, 2), ReleaseTo(w.Patients[1], other, 3));
        var last = w.Add(_chain, _chain.Tip, ReleaseTo(provider, second, 4), ReleaseTo(w.Patients[0], first, 5));

        var page1 = _index.GetPatientReleases(w.Patients[0].Address, 3);
        var page2 = _index.GetPatientReleases(w.Patients[0].Address, 3, page1.Next);
        var all = page1.Items.Concat(page2.Items).ToList();
        var grantHeight = anchored.Height;

        Assert.Multiple(() =>
        {
            Assert.That(page1.Items, Has.Count.EqualTo(3));
            Assert.That(page1.Next, Is.Not.Null);
            Assert.That(page2.Next, Is.Null);
            Assert.That(all.Select(r => (r.Recipient, r.CiphertextHash)), Is.EqualTo(new[]
            {
                (w.Patients[0].Address, second), (provider.Address, first), (provider.Address, second), (w.Patients[0].Address, first),
            }));
            Assert.That(all.Select(r => r.GrantHeight), Is.EqualTo(new[] { 0UL, grantHeight, grantHeight, 0UL }));
            Assert.That(all.All(r => r.Releaser == w.Ledger.Gateway.Address && r.Patient == w.Patients[0].Address && r.RecordType == RecordType.Vitals), Is.True);
            Assert.That(all.Select(r => r.RequestId), Is.EqualTo(new[] { 1, 2, 4, 5 }.Select(n => Hash256.Sha256(BitConverter.GetBytes(n)))));
            Assert.That(all[^1].Height, Is.EqualTo(last.Height));
            Assert.That(all[^1].TransactionId, Is.EqualTo(last.Block.Transactions[1].Id));
            Assert.That(_index.GetPatientReleases(w.Patients[1].Address, 10).Items.Single().CiphertextHash, Is.EqualTo(other));
        });
    }

    [Test]
    public void Releases_on_an_abandoned_branch_leave_the_list()
    {
        var w = _world;
        w.Add(_chain, _chain.Tip, s => w.RegisterPatient(0, s), s => w.RegisterDevice(0, s));
        var anchored = w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(0, s, 2_000));
        var (first, _) = Records(anchored);
        w.Add(_chain, anchored, ReleaseTo(w.Patients[0], first, 1));
        Assert.That(_index.GetPatientReleases(w.Patients[0].Address, 10).Items, Has.Count.EqualTo(1));

        // A longer branch from the anchoring block without the release.
        var side = w.Add(_chain, anchored);
        w.Add(_chain, side);

        Assert.That(_index.GetPatientReleases(w.Patients[0].Address, 10).Items, Is.Empty);
    }

    [Test]
    public void A_token_of_another_query_cannot_continue_the_release_list()
    {
        var w = _world;
        w.Add(_chain, _chain.Tip, s => w.RegisterPatient(0, s), s => w.RegisterDevice(0, s));
        w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(0, s, 2_000));
        var recordToken = _index.GetPatientRecords(w.Patients[0].Address, 1).Next;

        Assert.Multiple(() =>
        {
            Assert.That(recordToken, Is.Not.Null);
            Assert.Throws<ArgumentException>(() => _index.GetPatientReleases(w.Patients[0].Address, 1, recordToken));
            Assert.That(PageToken.TryParse(new PageToken(PageKind.PatientReleases, new byte[12]).ToString(), out var back) && back!.Kind == PageKind.PatientReleases, Is.True);
        });
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.State;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

[TestFixture]
public sealed class LedgerIndexTests
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

    private ChainEntry Registered()
    {
        var w = _world;
        return w.Add(_chain, _chain.Tip,
            s => w.RegisterPatient(0, s), s => w.RegisterPatient(1, s), s => w.RegisterPatient(2, s),
            s => w.RegisterDevice(0, s), s => w.RegisterDevice(1, s), s => w.RegisterDevice(3, s));
    }

    [Test]
    public void A_new_index_starts_at_genesis_and_reports_nothing_done()
    {
        var fresh = LedgerIndex.Open(new InMemoryKeyValueStore(), new BlockchainIndexSource(_chain));
        Assert.That(fresh.OpenReport, Is.EqualTo(new LedgerIndexOpenReport(null, 0, 0, false, new IndexTip(0, _chain.GenesisEntry.Hash))));
    }

    [Test]
    public void A_patients_records_come_back_ordered_by_measurement_time_then_hash()
    {
        var w = _world;
        Registered();
        var tip = w.Add(_chain, _chain.Tip,
            s => w.Anchor(0, s, 5_000), s => w.Anchor(3, s, 2_000), s => w.Anchor(0, s, 5_000), s => w.Anchor(1, s, 1_000));
        var patient = w.Patients[0].Address;
        var page = _index.GetPatientRecords(patient, 10);
        var expected = IndexOracle.Sorted(tip.State.Records.Values.Where(r => r.Patient == patient));
        Assert.Multiple(() =>
        {
            Assert.That(expected.Select(r => r.MeasuredAtMs), Is.EqualTo(new long[] { 2_000, 5_000, 5_000 }), "device 3 belongs to patient 0");
            Assert.That(page.Items, Is.EqualTo(expected));
            Assert.That(page.Next, Is.Null);
            Assert.That(page.At, Is.EqualTo(new IndexTip(tip.Height, tip.Hash)));
            Assert.That(_index.GetDeviceRecords(w.Devices[1].Address, 10).Items.Single().Patient, Is.EqualTo(w.Patients[1].Address));
            Assert.That(_index.GetRecord(expected[0].CiphertextHash), Is.EqualTo(expected[0]));
            Assert.That(_index.GetRecord(Hash256.Sha256("absent"u8)), Is.Null);
        });
    }

    [Test]
    public void Pages_are_full_until_the_last_and_continue_exactly_after_the_token()
    {
        var w = _world;
        Registered();
        var tip = w.Add(_chain, _chain.Tip, [.. Enumerable.Range(0, 7).Select(i => (Func<LedgerState, Transaction>)(s => w.Anchor(0, s, 10_000 - (i % 3 * 1_000))))]);
        var patient = w.Patients[0].Address;
        var first = _index.GetPatientRecords(patient, 3);
        var second = _index.GetPatientRecords(patient, 3, first.Next);
        var third = _index.GetPatientRecords(patient, 3, second.Next);
        Assert.Multiple(() =>
        {
            Assert.That(first.Items, Has.Count.EqualTo(3));
            Assert.That(second.Items, Has.Count.EqualTo(3));
            Assert.That(third.Items, Has.Count.EqualTo(1));
            Assert.That(third.Next, Is.Null);
            Assert.That(first.Items.Concat(second.Items).Concat(third.Items), Is.EqualTo(IndexOracle.Sorted(tip.State.Records.Values)));
        });
    }

    [Test]
    public void A_page_holding_exactly_the_rest_has_no_token()
    {
        var w = _world;
        Registered();
        w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(0, s, 2_000));
        Assert.That(_index.GetDeviceRecords(w.Devices[0].Address, 2).Next, Is.Null);
    }

    [Test]
    public void Time_ranges_include_the_start_and_exclude_the_end()
    {
        var w = _world;
        Registered();
        w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(1, s, 2_000), s => w.Anchor(3, s, 3_000));
        Assert.Multiple(() =>
        {
            Assert.That(_index.GetRecordsInTimeRange(1_000, 3_000, 10).Items.Select(r => r.MeasuredAtMs), Is.EqualTo(new long[] { 1_000, 2_000 }));
            Assert.That(_index.GetRecordsInTimeRange(1_001, 3_001, 10).Items.Select(r => r.MeasuredAtMs), Is.EqualTo(new long[] { 2_000, 3_000 }));
            Assert.That(_index.GetRecordsInTimeRange(3_000, 1_000, 10).Items, Is.Empty);
            Assert.That(_index.GetPatientRecords(w.Patients[0].Address, 10, null, 2_000, 4_000).Items.Select(r => r.MeasuredAtMs), Is.EqualTo(new long[] { 3_000 }));
        });
    }

    [Test]
    public void A_token_of_another_query_and_page_sizes_out_of_range_are_refused()
    {
        var w = _world;
        Registered();
        w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(0, s, 2_000));
        var token = _index.GetPatientRecords(w.Patients[0].Address, 1).Next;
        Assert.Multiple(() =>
        {
            Assert.That(token, Is.Not.Null);
            Assert.Throws<ArgumentException>(() => _index.GetDeviceRecords(w.Devices[0].Address, 1, token));
            Assert.Throws<ArgumentOutOfRangeException>(() => _index.GetPatientRecords(w.Patients[0].Address, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => _index.GetPatientRecords(w.Patients[0].Address, new LedgerIndexOptions().MaxPageSize + 1));
        });
    }

    [TestCase(null)]
    [TestCase("")]
    [TestCase("AQ")]
    [TestCase("not base64!")]
    [TestCase("CQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void Malformed_tokens_do_not_parse(string? text) =>
        Assert.That(PageToken.TryParse(text, out _), Is.False);

    [Test]
    public void Records_of_the_types_a_provider_may_read_page_like_the_states_readable_records()
    {
        var w = _world;
        Registered();
        var now = _world.Ledger.Time.NowMs;
        var provider = w.Providers[1];
        w.Add(_chain, _chain.Tip,
            s => w.Grant(0, provider, RecordScope.Vitals | RecordScope.Lab, now + 50_000, s),
            s => w.Grant(0, provider, RecordScope.Ecg, now + 5_000, s));
        var tip = w.Add(_chain, _chain.Tip, [.. Enumerable.Range(0, 14).Select(i => (Func<LedgerState, Transaction>)(s => w.Anchor(i % 2 == 0 ? 0 : 3, s, 1_000 + (i % 5 * 1_000), (RecordType)(1 + (i % 7)))))]);
        var patient = w.Patients[0].Address;
        foreach (var at in new[] { now, now + 10_000, now + 60_000 })
        {
            var readable = _index.GetPatientGrants(patient, 100).Items
                .Where(g => g.Grantee == provider.Address && g.IsActiveAt(at))
                .Aggregate(RecordScope.None, (scope, g) => scope | g.Scope);
            var paged = IndexOracle.Collect((size, token) => _index.GetPatientRecordsOfTypes(patient, readable, size, token), 2, _index.Tip);
            Assert.That(paged, Is.EqualTo(tip.State.GetReadableRecords(patient, provider.Address, at).OrderBy(r => r.MeasuredAtMs).ThenBy(r => r.CiphertextHash)), $"at {at}");
        }

        Assert.That(_index.GetPatientRecordsOfTypes(patient, RecordScope.None, 10).Items, Is.Empty);
        Assert.Throws<ArgumentOutOfRangeException>(() => _index.GetPatientRecordsOfTypes(patient, (RecordScope)0x80, 10));
    }

    [Test]
    public void Grants_follow_regrants_and_revokes_for_the_patient_and_the_provider()
    {
        var w = _world;
        Registered();
        var now = _world.Ledger.Time.NowMs;
        var provider = w.Providers[0];
        w.Add(_chain, _chain.Tip, s => w.Grant(0, provider, RecordScope.Vitals | RecordScope.Ecg, now + 50_000, s), s => w.Grant(1, provider, RecordScope.Lab, now + 60_000, s));
        var tip = w.Add(_chain, _chain.Tip, s => w.Grant(0, provider, RecordScope.Vitals, now + 90_000, s), s => w.Revoke(0, provider, RecordScope.Ecg | RecordScope.Lab, s));
        var ofPatient = _index.GetPatientGrants(w.Patients[0].Address, 10).Items;
        var ofProvider = _index.GetProviderGrants(provider.Address, 10).Items;
        Assert.Multiple(() =>
        {
            Assert.That(ofPatient, Is.EqualTo(new[] { new AccessGrantInfo(w.Patients[0].Address, provider.Address, RecordType.Vitals, now + 90_000, tip.Height) }));
            Assert.That(ofPatient, Is.EqualTo(tip.State.GetGrants(w.Patients[0].Address).ToList()));
            Assert.That(ofProvider, Has.Count.EqualTo(2));
            Assert.That(ofProvider, Is.EquivalentTo(ofPatient.Concat(tip.State.GetGrants(w.Patients[1].Address))));
            Assert.That(_index.GetProviderGrants(w.Providers[1].Address, 10).Items, Is.Empty);
        });
    }

    [Test]
    public void A_reorganisation_removes_the_losing_branchs_records_and_restores_overwritten_grants()
    {
        var w = _world;
        var fork = Registered();
        var now = _world.Ledger.Time.NowMs;
        var provider = w.Providers[0];
        var granted = w.Add(_chain, fork, s => w.Grant(0, provider, RecordScope.All, now + 50_000, s));
        var losing = w.Add(_chain, granted, s => w.Grant(0, provider, RecordScope.Vitals, now + 99_000, s), s => w.Anchor(0, s, 7_000));
        Assert.That(_index.GetDeviceRecords(w.Devices[0].Address, 10).Items, Has.Count.EqualTo(1));

        var side = w.Add(_chain, granted, s => w.Anchor(1, s, 8_000));
        var winner = w.Add(_chain, side, s => w.Revoke(0, provider, RecordScope.Ecg, s));
        Assert.That(_chain.Tip.Hash, Is.EqualTo(winner.Hash), "the longer branch wins");
        Assert.That(_chain.IsOnBestChain(losing.Hash), Is.False);
        IndexOracle.AssertMatches(_index, winner, w);
        Assert.That(_index.GetPatientGrants(w.Patients[0].Address, 10).Items.Single(g => g.RecordType == RecordType.Vitals).ExpiresAtMs, Is.EqualTo(now + 50_000));
    }

    [Test]
    public void An_index_opened_late_catches_up_and_then_follows()
    {
        var w = _world;
        Registered();
        w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000));
        using var late = new InMemoryKeyValueStore();
        var index = LedgerIndex.Open(late, new BlockchainIndexSource(_chain));
        Assert.That(index.OpenReport.Applied, Is.EqualTo(2));
        using var follower = new LedgerIndexFollower(_chain, index);
        var tip = w.Add(_chain, _chain.Tip, s => w.Anchor(1, s, 2_000));
        IndexOracle.AssertMatches(index, tip, w);
    }

    [Test]
    public void An_update_seen_twice_or_out_of_turn_is_resolved_against_the_chain()
    {
        var w = _world;
        Registered();
        ChainUpdate? last = null;
        _chain.TipChanged += u => last = u;
        var tip = w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000));
        _index.Apply(last!);
        _index.Apply(new ChainUpdate([tip.Block], []));
        IndexOracle.AssertMatches(_index, tip, w);
    }

    [Test]
    public void A_reorganisation_deeper_than_the_undo_data_rebuilds_from_genesis()
    {
        var w = _world;
        using var store = new InMemoryKeyValueStore();
        var fork = Registered();
        var index = LedgerIndex.Open(store, new BlockchainIndexSource(_chain), new LedgerIndexOptions { UndoDepth = 2, ClearBatchSize = 3 });
        using var follower = new LedgerIndexFollower(_chain, index);
        var a = fork;
        for (var i = 0; i < 3; i++)
        {
            a = w.Add(_chain, a, s => w.Anchor(0, s, 1_000));
        }

        var b = fork;
        for (var i = 0; i < 4; i++)
        {
            b = w.Add(_chain, b, s => w.Anchor(1, s, 2_000));
        }

        Assert.That(_chain.Tip.Hash, Is.EqualTo(b.Hash));
        IndexOracle.AssertMatches(index, b, w);
        Assert.That(store.Scan([0x08], [0x09]).Count(), Is.EqualTo(2), "undo data is kept for the newest two blocks only");
    }

    [Test]
    public void An_index_of_another_genesis_is_refused_without_change()
    {
        var w = _world;
        Registered();
        var other = new TestLedger(configure: g => g with { ChainId = 8 }).NewChain();
        var before = _store.Scan([0], [0xFF]).ToList();
        Assert.Throws<LedgerIndexMismatchException>(() => LedgerIndex.Open(_store, new BlockchainIndexSource(other)));
        Assert.That(_store.Scan([0], [0xFF]).ToList(), Is.EqualTo(before));
    }

    [Test]
    public void A_store_holding_other_data_is_refused()
    {
        using var store = new InMemoryKeyValueStore();
        store.Write(new KeyValueBatch().Put([0x01, 0x02], [3]));
        Assert.Throws<LedgerIndexMismatchException>(() => LedgerIndex.Open(store, new BlockchainIndexSource(_chain)));
    }

    [Test]
    public void An_index_of_an_older_format_is_rebuilt_and_then_locates_every_transaction()
    {
        var w = _world;
        Registered();
        var tip = w.Add(_chain, _chain.Tip, s => w.Anchor(0, s, 1_000), s => w.Anchor(1, s, 2_000));
        _store.Write(new KeyValueBatch().Put([0x00, (byte)'v'], [0, 0, 0, 1]));

        var reopened = LedgerIndex.Open(_store, new BlockchainIndexSource(_chain));

        Assert.That(reopened.OpenReport.Rebuilt, Is.True);
        Assert.That(_store.Get([0x00, (byte)'v']), Is.EqualTo(new byte[] { 0, 0, 0, 2 }));
        IndexOracle.AssertMatches(reopened, tip, w);
    }

    [Test]
    public void An_index_of_a_newer_format_is_refused_without_change()
    {
        Registered();
        _store.Write(new KeyValueBatch().Put([0x00, (byte)'v'], [0, 0, 0, 99]));
        var before = _store.Scan([0], [0xFF]).ToList();
        Assert.Throws<LedgerIndexMismatchException>(() => LedgerIndex.Open(_store, new BlockchainIndexSource(_chain)));
        Assert.That(_store.Scan([0], [0xFF]).ToList(), Is.EqualTo(before));
    }
}

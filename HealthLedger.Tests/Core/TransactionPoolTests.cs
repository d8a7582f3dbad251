using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class TransactionPoolTests
{
    private static readonly long Day = (long)TimeSpan.FromDays(1).TotalMilliseconds;

    private TestLedger _t = null!;
    private Blockchain _chain = null!;
    private TransactionPool _pool = null!;

    [SetUp]
    public void SetUp()
    {
        _t = new TestLedger();
        _chain = _t.NewChain();
        _pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 4 });
    }

    [Test]
    public void Dependent_transactions_are_admitted_in_order_and_mined_in_that_order()
    {
        Assert.That(_pool.Submit(_t.RegisterPatient()).Accepted, Is.True);
        Assert.That(_pool.Submit(_t.RegisterDevice()).Accepted, Is.True);
        Assert.That(_pool.Submit(_t.Anchor(0)).Accepted, Is.True);

        var block = _t.MakeBlock(_chain.Tip, _pool.SelectForBlock(10));
        Assert.That(_chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(_pool.Count, Is.Zero, "mined transactions leave the pool");
    }

    [Test]
    public void Anchor_from_an_unknown_device_is_refused_by_the_state_filter()
    {
        var r = _pool.Submit(_t.Anchor(0));
        Assert.That((r.Accepted, r.Filter, r.Validation.Code), Is.EqualTo((false, "state", RejectionCode.UnknownEntity)));
    }

    [Test]
    public void Duplicate_is_refused()
    {
        var tx = _t.RegisterPatient();
        _pool.Submit(tx);
        Assert.That(_pool.Submit(tx).Validation.Code, Is.EqualTo(RejectionCode.DuplicateInMempool));
    }

    [Test]
    public void Forged_signature_is_refused_before_state()
    {
        var good = _t.RegisterPatient();
        var forged = new Transaction(good.Version, good.ChainId, good.Sender, good.Sequence, good.TimestampMs, good.Payload, _t.Device.Sign("x"u8));
        Assert.That(_pool.Submit(forged).Filter, Is.EqualTo("signature"));
    }

    [Test]
    public void A_gate_refusal_carries_its_typed_result()
    {
        _pool.AddGate(new DelegateAdmissionFilter("detector", ctx => ctx.Attachment is "attack"
            ? ValidationResult.Reject(RejectionCode.RefusedByGate, "score 0.97 >= 0.50")
            : ValidationResult.Ok));
        Assert.That(_pool.Submit(_t.RegisterPatient(), attachment: "attack").Validation.Code, Is.EqualTo(RejectionCode.RefusedByGate));
        Assert.That(_pool.Submit(_t.RegisterPatient(), attachment: "benign").Accepted, Is.True);
    }

    [Test]
    public void When_full_a_transaction_with_nothing_lower_to_evict_is_refused_but_an_attestation_evicts()
    {
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 4, NewcomerSharePercent = 100, FreeClassFillPercent = 100, EvictionBatch = 1 });
        var flood = FreshRegistrations(4, "full");
        Assert.That(flood.Select(tx => pool.Submit(tx).Accepted), Is.All.True);

        var refused = pool.Submit(_t.RegisterPatient());
        Assert.That((refused.Validation.Code, refused.Validation.Actual, refused.Validation.Limit), Is.EqualTo((RejectionCode.MempoolFull, (long?)5, (long?)4)));
        var b1 = _t.Extend(_chain, _chain.Tip, 1);
        var attestation = _t.Attest(0, b1);
        Assert.That(pool.Submit(attestation).Accepted, Is.True);
        Assert.That(pool.Count, Is.EqualTo(4));
        Assert.That(pool.Contains(flood[^1].Id), Is.False, "the newest transaction of the lowest class was evicted");
        Assert.That(pool.GetClass(attestation.Id), Is.EqualTo(PriorityClass.Consensus));
    }

    [Test]
    public void A_reorg_re_admits_the_transactions_of_disconnected_blocks()
    {
        var tx = _t.RegisterPatient();
        _chain.AddBlock(_t.MakeBlock(_chain.Tip, [tx], nonce: 1));
        Assert.That(_pool.Contains(tx.Id), Is.False);

        _t.Extend(_chain, _chain.GenesisEntry, 2, nonceSalt: 40);
        Assert.That(_pool.Contains(tx.Id), Is.True, "undone by the reorg, so pending again");
    }

    [Test]
    public void Stale_transactions_are_dropped_when_a_block_connects()
    {
        _pool.Submit(_t.RegisterPatient());
        _t.Time.Advance(TimeSpan.FromHours(2));
        _t.Extend(_chain, _chain.Tip, 1);
        Assert.That(_pool.Count, Is.Zero);
    }

    [Test]
    public void Too_many_pending_from_one_sender_is_refused()
    {
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxPerSender = 1 });
        Assert.That(pool.Submit(_t.RegisterPatient()).Accepted, Is.True);
        Assert.That(pool.Submit(_t.Tx(_t.Patient, 1, new AccessGrant(_t.Provider.Address, RecordScope.Vitals, _t.Time.NowMs + 100_000))).Validation.Code, Is.EqualTo(RejectionCode.SenderLimit));
    }

    [Test]
    public void Malformed_bytes_from_a_peer_are_refused_with_the_format_code()
    {
        var bytes = _t.RegisterPatient().Encode().ToArray();
        var r = _pool.SubmitEncoded(bytes.Append((byte)1).ToArray());
        Assert.That((r.Accepted, r.Validation.Code), Is.EqualTo((false, RejectionCode.MalformedEncoding)));
        Assert.That(_pool.SubmitEncoded(bytes).Accepted, Is.True);
    }

    [Test]
    public void Concurrent_submissions_and_block_connections_do_not_deadlock_or_lose_transactions()
    {
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 10_000 });
        var txs = Enumerable.Range(0, 400).Select(i =>
        {
            using var k = KeyPair.FromLabel($"concurrent-{i}");
            return Transaction.Create(k, TestLedger.ChainId, 0, _t.Time.NowMs, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))));
        }).ToArray();

        var submitter = Task.Run(() => Parallel.ForEach(txs, tx => pool.Submit(tx)));
        var miner = Task.Run(() =>
        {
            for (var b = 0; b < 20; b++)
            {
                var block = _t.MakeBlock(_chain.Tip, pool.SelectForBlock(30), nonce: (ulong)b + 1);
                _chain.AddBlock(block);
            }
        });

        Assert.That(Task.WaitAll([submitter, miner], TimeSpan.FromSeconds(60)), Is.True, "deadlock");
        var mined = Enumerable.Range(1, (int)_chain.Height).SelectMany(h => _chain.GetBestAt((ulong)h)!.Block.Transactions).Count();
        Assert.That(mined + pool.Count, Is.EqualTo(txs.Length), "every transaction is either mined or still pending");
    }

    private Transaction[] FreshRegistrations(int count, string label) =>
        [.. Enumerable.Range(0, count).AsParallel().AsOrdered().Select(i =>
        {
            using var key = KeyPair.FromLabel($"{label}-{i}");
            return Transaction.Create(key, TestLedger.ChainId, 0, _t.Time.NowMs, new PatientRegistration(Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes($"{label}-{i}"))));
        })];

    /// <summary>Mines the patient's and the device's registrations, so the device's anchors come from a registered device.</summary>
    private void RegisterPatientAndDeviceOnChain()
    {
        var block = _t.MakeBlock(_chain.Tip, [_t.RegisterPatient(), _t.RegisterDevice()]);
        Assert.That(_chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
    }

    private Transaction Grant(ulong seq) => _t.Tx(_t.Patient, seq, new AccessGrant(_t.Provider.Address, RecordScope.Vitals, _t.Time.NowMs + Day));

    [Test]
    public void A_flood_of_free_registrations_from_fresh_keys_cannot_crowd_out_device_anchors_or_attestations()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 200 });
        var flood = FreshRegistrations(1_000, "flood");

        var results = flood.Select(tx => pool.Submit(tx, TransactionOrigin.Peer)).ToList();

        Assert.That(results.Count(r => r.Accepted), Is.EqualTo(20), "the newcomer class holds 10 % of 200");
        Assert.That(results.Where(r => !r.Accepted).Select(r => r.Validation.Code).Distinct(), Is.EqualTo(new[] { RejectionCode.PriorityClassFull }));
        var anchors = Enumerable.Range(0, 150).Select(i => _t.Anchor((ulong)i, $"reading-{i}")).ToList();
        Assert.That(anchors.Select(a => pool.Submit(a).Validation.Code), Is.All.EqualTo(RejectionCode.None));
        Assert.That(pool.Submit(_t.Attest(0, _chain.Tip)).Accepted, Is.True);
        Assert.That(pool.Count, Is.EqualTo(171));
    }

    [Test]
    public void A_refused_flood_costs_no_signature_check()
    {
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 10 });
        Assert.That(pool.Submit(FreshRegistrations(1, "first")[0]).Accepted, Is.True);
        var good = FreshRegistrations(1, "forged")[0];
        var forged = new Transaction(good.Version, good.ChainId, good.Sender, good.Sequence, good.TimestampMs, good.Payload, _t.Device.Sign("x"u8));

        var r = pool.Submit(forged);

        Assert.That((r.Filter, r.Validation.Code), Is.EqualTo(("class-share", RejectionCode.PriorityClassFull)), "the quota is checked before the signature");
    }

    [Test]
    public void The_newcomer_share_is_enforced_in_bytes_as_well_as_in_count()
    {
        var first = FreshRegistrations(2, "bytes");
        var size = first[0].EncodedSize;
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxBytes = 100L * size * 3 / 2, NewcomerSharePercent = 1 });

        Assert.That(pool.Submit(first[0]).Accepted, Is.True);
        var r = pool.Submit(first[1]);

        Assert.That((r.Validation.Code, r.Validation.Actual, r.Validation.Limit), Is.EqualTo((RejectionCode.PriorityClassFull, (long?)(2L * size), (long?)(size * 3 / 2))));
    }

    [Test]
    public void A_sender_over_its_byte_quota_is_refused_with_the_bytes()
    {
        RegisterPatientAndDeviceOnChain();
        var anchor = _t.Anchor(0, "a");
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxBytesPerSender = anchor.EncodedSize + 10 });
        Assert.That(pool.Submit(anchor).Accepted, Is.True);

        var second = _t.Anchor(1, "b");
        var r = pool.Submit(second);

        Assert.That((r.Validation.Code, r.Validation.Actual, r.Validation.Limit), Is.EqualTo((RejectionCode.SenderLimit, (long?)(anchor.EncodedSize + second.EncodedSize), (long?)(anchor.EncodedSize + 10))));
    }

    [Test]
    public void A_device_anchor_evicts_the_newest_newcomers_in_a_batch()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 10, NewcomerSharePercent = 100, FreeClassFillPercent = 100, EvictionBatch = 3 });
        var flood = FreshRegistrations(10, "evict");
        Assert.That(flood.Select(tx => pool.Submit(tx).Accepted), Is.All.True);

        var anchor = _t.Anchor(0);
        Assert.That(pool.Submit(anchor).Accepted, Is.True);

        Assert.That(pool.Count, Is.EqualTo(8));
        Assert.That(flood.Select(tx => pool.Contains(tx.Id)), Is.EqualTo(Enumerable.Repeat(true, 7).Concat(Enumerable.Repeat(false, 3))));
        Assert.That(pool.GetUsage().Select(u => (u.Class, u.Count)), Is.EqualTo(new[]
        {
            (PriorityClass.Consensus, 0), (PriorityClass.Infrastructure, 1), (PriorityClass.Patient, 0), (PriorityClass.Newcomer, 7),
        }));
    }

    [Test]
    public void Free_classes_stop_below_a_full_pool_so_evicted_room_is_not_refilled_by_the_flood()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 10, NewcomerSharePercent = 100, FreeClassFillPercent = 50, EvictionBatch = 2 });
        var flood = FreshRegistrations(8, "headroom");
        var results = flood.Select(tx => pool.Submit(tx)).ToList();
        Assert.That(results.Count(r => r.Accepted), Is.EqualTo(5));
        Assert.That((results[5].Validation.Code, results[5].Validation.Actual, results[5].Validation.Limit), Is.EqualTo((RejectionCode.MempoolFull, (long?)6, (long?)5)));

        for (ulong i = 0; i < 5; i++)
        {
            Assert.That(pool.Submit(_t.Anchor(i, $"h{i}")).Accepted, Is.True, "the headroom takes anchors without evicting");
        }

        Assert.That(pool.GetUsage()[(int)PriorityClass.Newcomer].Count, Is.EqualTo(5));
        Assert.That(pool.Submit(_t.Anchor(5, "h5")).Accepted, Is.True);
        Assert.That((pool.Count, pool.GetUsage()[(int)PriorityClass.Newcomer].Count), Is.EqualTo((9, 3)), "one batch of two evicted");
        Assert.That(pool.Submit(flood[5]).Validation.Code, Is.EqualTo(RejectionCode.MempoolFull), "the flood cannot take the freed room");
    }

    [Test]
    public void A_transaction_never_evicts_its_own_class()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 3 });
        for (ulong i = 0; i < 3; i++)
        {
            Assert.That(pool.Submit(_t.Anchor(i, $"r{i}")).Accepted, Is.True);
        }

        var r = pool.Submit(_t.Anchor(3, "r3"));
        Assert.That((r.Accepted, r.Filter, r.Validation.Code), Is.EqualTo((false, "capacity", RejectionCode.MempoolFull)));
    }

    [TestCase(TransactionKind.Attestation, PriorityClass.Consensus)]
    [TestCase(TransactionKind.RecordAnchor, PriorityClass.Infrastructure)]
    [TestCase(TransactionKind.DeviceRegistration, PriorityClass.Infrastructure)]
    [TestCase(TransactionKind.AccessGrant, PriorityClass.Patient)]
    [TestCase(TransactionKind.PatientRegistration, PriorityClass.Newcomer)]
    public void Each_kind_from_its_usual_sender_gets_its_class(TransactionKind kind, PriorityClass expected)
    {
        RegisterPatientAndDeviceOnChain();
        using var device2 = KeyPair.FromLabel("device-2");
        var tx = kind switch
        {
            TransactionKind.Attestation => _t.Attest(1, _chain.Tip),
            TransactionKind.RecordAnchor => _t.Anchor(0),
            TransactionKind.DeviceRegistration => _t.RegisterDevice(1, device2),
            TransactionKind.AccessGrant => Grant(1),
            _ => FreshRegistrations(1, "class")[0],
        };

        Assert.That(MempoolClassifier.Classify(tx, _chain.State, _chain.State), Is.EqualTo(expected));
        Assert.That(_pool.Submit(tx).Accepted, Is.True);
        Assert.That(_pool.GetClass(tx.Id), Is.EqualTo(expected));
    }

    [Test]
    public void A_block_template_takes_the_high_classes_first()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time);
        var newcomer = FreshRegistrations(1, "template")[0];
        var grant = Grant(1);
        var anchor = _t.Anchor(0);
        var attestation = _t.Attest(0, _chain.Tip);
        foreach (var tx in new[] { newcomer, grant, anchor, attestation })
        {
            Assert.That(pool.Submit(tx).Accepted, Is.True);
        }

        Assert.That(pool.SelectForBlock(10), Is.EqualTo(new[] { attestation, anchor, grant, newcomer }));
        Assert.That(pool.SelectForBlock(2), Is.EqualTo(new[] { attestation, anchor }));
    }

    [Test]
    public void A_block_template_respects_a_byte_budget()
    {
        RegisterPatientAndDeviceOnChain();
        var pool = new TransactionPool(_chain, _t.Time);
        var attestation = _t.Attest(0, _chain.Tip);
        var anchors = Enumerable.Range(0, 3).Select(i => _t.Anchor((ulong)i, $"budget-{i}")).ToList();
        foreach (var tx in anchors.Prepend(attestation))
        {
            Assert.That(pool.Submit(tx).Accepted, Is.True);
        }

        var budget = attestation.EncodedSize + anchors[0].EncodedSize + anchors[1].EncodedSize;
        Assert.That(pool.SelectForBlock(10, budget), Is.EqualTo(new[] { attestation, anchors[0], anchors[1] }));
        Assert.That(pool.SelectForBlock(10, budget - 1), Is.EqualTo(new[] { attestation, anchors[0] }));
        Assert.That(pool.SelectForBlock(10, Math.Min(attestation.EncodedSize, anchors.Min(a => a.EncodedSize)) - 1), Is.Empty);
    }

    [Test]
    public void A_pending_registration_a_device_registration_needs_is_promoted_and_mined_before_it()
    {
        _t.Extend(_chain, _chain.Tip, 1); // a block to vote for (genesis is the root, never a vote's target)
        var pool = new TransactionPool(_chain, _t.Time);
        var attestation = _t.Attest(0, _chain.Tip);
        var newcomer = FreshRegistrations(1, "other")[0];
        var patient = _t.RegisterPatient();
        var device = _t.RegisterDevice();
        var anchor = _t.Anchor(0);
        foreach (var tx in new[] { newcomer, patient })
        {
            Assert.That(pool.Submit(tx).Accepted, Is.True);
        }

        Assert.That(pool.GetClass(patient.Id), Is.EqualTo(PriorityClass.Newcomer));
        foreach (var tx in new[] { device, anchor, attestation })
        {
            Assert.That(pool.Submit(tx).Accepted, Is.True);
        }

        Assert.That(pool.GetClass(patient.Id), Is.EqualTo(PriorityClass.Infrastructure), "the provider vouched for the patient");
        var template = pool.SelectForBlock(10);
        Assert.That(template, Is.EqualTo(new[] { attestation, patient, device, anchor, newcomer }));
        Assert.That(_chain.AddBlock(_t.MakeBlock(_chain.Tip, template)).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(pool.Count, Is.Zero);
    }

    [Test]
    public void A_template_smaller_than_the_pool_still_applies_on_the_tip()
    {
        var pool = new TransactionPool(_chain, _t.Time);
        var patient = _t.RegisterPatient();
        var grant = Grant(1);
        Assert.That(pool.Submit(patient).Accepted, Is.True);
        Assert.That(pool.Submit(grant).Accepted, Is.True);
        Assert.That(pool.GetClass(grant.Id), Is.EqualTo(PriorityClass.Newcomer), "a patient registered only in the pool is still a newcomer");

        Assert.That(pool.SelectForBlock(1), Is.EqualTo(new[] { patient }), "the grant needs the registration, so it cannot come first");
        Assert.That(pool.SelectForBlock(2), Is.EqualTo(new[] { patient, grant }));
    }

    [Test]
    public void A_fresh_key_cannot_reach_the_patient_share_by_registering_in_the_pool()
    {
        var pool = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = 10 });
        Assert.That(pool.Submit(_t.RegisterPatient()).Accepted, Is.True);

        var grant = pool.Submit(Grant(1));

        Assert.That((grant.Validation.Code, grant.Validation.Actual, grant.Validation.Limit), Is.EqualTo((RejectionCode.PriorityClassFull, (long?)2, (long?)1)), "its grant counts in the newcomer share");
    }

    [TestCase(0, TestName = "no transactions")]
    [TestCase(-1, TestName = "negative transactions")]
    public void Options_out_of_range_are_refused(int maxTransactions)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new TransactionPool(_chain, _t.Time, new MempoolOptions { MaxTransactions = maxTransactions }));
    }
}

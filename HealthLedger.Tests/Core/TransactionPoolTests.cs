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
    public void When_full_ordinary_transactions_are_refused_but_attestations_evict()
    {
        for (var i = 0; i < 4; i++)
        {
            using var k = KeyPair.FromLabel($"patient-{i}");
            Assert.That(_pool.Submit(Transaction.Create(k, TestLedger.ChainId, 0, _t.Time.NowMs, new PatientRegistration(Hash256.Sha256([(byte)i])))).Accepted, Is.True);
        }

        Assert.That(_pool.Submit(_t.RegisterPatient()).Validation.Code, Is.EqualTo(RejectionCode.MempoolFull));
        var b1 = _t.Extend(_chain, _chain.Tip, 1);
        Assert.That(_pool.Submit(_t.Attest(0, 0, b1)).Accepted, Is.True);
        Assert.That(_pool.Count, Is.EqualTo(4));
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
        var bytes = _t.RegisterPatient().Encode();
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
}

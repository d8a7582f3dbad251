using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Network;
using HealthLedger.Core.Validation;
using HealthLedger.Testing;

namespace HealthLedger.Tests.Testing;

/// <summary>The HealthLedger.Testing package: what its builders build is what a chain accepts, and its faults replay.</summary>
[TestFixture]
public sealed class TestingPackageTests
{
    [Test]
    public void A_block_built_on_the_tip_with_a_signed_transaction_becomes_the_tip()
    {
        var chain = Build.A.Chain.TestObject;
        var tx = Build.A.Transaction.RegisteringPatient("mrn-9:salt").OnChain(chain.Genesis).TestObject;

        var block = Build.A.Block.WithParent(chain.Tip).WithTransactions(tx).TestObject;
        var result = chain.AddBlock(block);

        Assert.Multiple(() =>
        {
            Assert.That(result.IsAccepted, Is.True, result.Validation.ToString());
            Assert.That(chain.Tip.Hash, Is.EqualTo(block.Hash));
            Assert.That(tx.VerifySignature(), Is.True);
        });
    }

    [Test]
    public void A_block_whose_merkle_root_is_not_its_transactions_is_refused_with_the_code()
    {
        var chain = Build.A.Chain.TestObject;

        var block = Build.A.Block.WithParent(chain.Tip).WithMerkleRoot(Hash256.Sha256("other"u8)).TestObject;

        Assert.That(chain.AddBlock(block).Validation.Code, Is.EqualTo(RejectionCode.BadMerkleRoot));
    }

    [Test]
    public void A_chain_on_a_rejecting_stub_refuses_every_block()
    {
        var chain = Build.A.Chain.WithEngine(StubConsensusEngine.RejectAll(RejectionCode.InsufficientProofOfWork)).TestObject;

        var result = chain.AddBlock(Build.A.Block.WithParent(chain.Tip).TestObject);

        Assert.That(result.Validation.Code, Is.EqualTo(RejectionCode.InsufficientProofOfWork));
    }

    [Test]
    public void Genesis_builder_registers_validators_and_keys_come_from_their_labels()
    {
        using var a = Build.A.Key.Labelled("v-a").TestObject;
        using var again = Build.A.Key.Labelled("v-a").TestObject;
        using var b = Build.A.Key.Labelled("v-b").TestObject;

        var genesis = Build.A.Genesis.WithChainId(9).WithValidators(a.PublicKey, b.PublicKey).WithThresholds(1, 2).TestObject;

        Assert.Multiple(() =>
        {
            Assert.That(again.PublicKey, Is.EqualTo(a.PublicKey));
            Assert.That(b.PublicKey, Is.Not.EqualTo(a.PublicKey));
            Assert.That(genesis.InitialNodes.Select(n => n.Key), Is.EqualTo(new[] { a.PublicKey, b.PublicKey }));
            Assert.That(genesis.ChainId, Is.EqualTo(9u));
            Assert.That(genesis.MaxThreshold, Is.EqualTo((ushort)2));
        });
    }

    [Test]
    public void The_test_clock_moves_only_when_the_test_advances_it()
    {
        var clock = TestClock.Create();
        var before = clock.NowMs();

        clock.Advance(TimeSpan.FromSeconds(3));

        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(TestClock.DefaultStartMs));
            Assert.That(clock.NowMs(), Is.EqualTo(TestClock.DefaultStartMs + 3_000));
        });
    }

    [Test]
    public void Link_faults_with_one_seed_replay_the_same_losses_and_cuts()
    {
        var faults = new LinkFaults { DropRate = 0.3, Fragment = true, Seed = 42 };

        var first = Deliveries(faults);
        var second = Deliveries(faults);

        Assert.Multiple(() =>
        {
            Assert.That(second, Is.EqualTo(first));
            Assert.That(first.Sum(d => d.Length), Is.LessThan(200 * 8), "some chunks are lost");
            Assert.That(first, Has.Some.Matches<byte[]>(d => d.Length is > 0 and < 8), "some chunks are cut");
        });
    }

    [Test]
    public void Link_faults_corrupt_a_copy_and_never_the_senders_bytes()
    {
        var network = new InMemoryNetwork();
        var (ab, ba) = network.Connect("a", "b", new LinkFaults { CorruptRate = 1, Seed = 7 });
        byte[]? received = null;
        ba.Received += m => received = m.ToArray();
        var sent = new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 };

        ab.Send(sent);
        network.Pump(10);

        Assert.Multiple(() =>
        {
            Assert.That(sent, Is.EqualTo(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }));
            Assert.That(received, Is.Not.Null);
            var flipped = sent.Zip(received!, (x, y) => System.Numerics.BitOperations.PopCount((uint)(x ^ y))).Sum();
            Assert.That(flipped, Is.EqualTo(1));
        });
    }

    private static List<byte[]> Deliveries(LinkFaults faults)
    {
        var network = new InMemoryNetwork();
        var (ab, ba) = network.Connect("a", "b", faults);
        var received = new List<byte[]>();
        ba.Received += m => received.Add(m.ToArray());
        for (var i = 0; i < 200; i++)
        {
            ab.Send(new byte[] { (byte)i, 1, 2, 3, 4, 5, 6, 7 });
        }

        network.Pump(10_000);
        return received;
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class ChainVerifierTests
{
    [Test]
    public void A_store_written_by_the_chain_verifies_to_the_same_tip()
    {
        var t = new TestLedger();
        var store = new InMemoryBlockStore();
        var chain = t.NewChain(store);
        chain.AddBlock(t.MakeBlock(chain.Tip, [t.RegisterPatient()]));
        t.Extend(chain, chain.Tip, 4);

        var report = ChainVerifier.Verify(t.Genesis, new TestEngine(), store);

        Assert.Multiple(() =>
        {
            Assert.That(report.Valid, Is.True, report.Problem.ToString());
            Assert.That(report.Blocks, Is.EqualTo(5));
            Assert.That(report.Tip.Hash, Is.EqualTo(chain.Tip.Hash));
        });
    }

    [Test]
    public void A_forged_signature_that_replay_trusts_is_found_by_full_verification()
    {
        var t = new TestLedger();
        var store = new InMemoryBlockStore();
        var chain = t.NewChain(store);
        t.Extend(chain, chain.Tip, 2);

        // Someone with write access to the data directory appends a block whose patient registration carries no valid signature.
        var forged = new Transaction(Transaction.CurrentVersion, TestLedger.ChainId, t.Patient.PublicKey, 0, t.Time.NowMs, new PatientRegistration(Hash256.Sha256("forged"u8)), Signature.Empty);
        var block = t.MakeBlock(chain.Tip, [forged], nonce: 77);
        store.Append(block.Hash, block.Encode());

        Assert.That(t.NewChain(store).Tip.Hash, Is.EqualTo(block.Hash), "replay on open trusts ordinary signatures (docs/security.md)");
        var report = ChainVerifier.Verify(t.Genesis, new TestEngine(), store);
        Assert.Multiple(() =>
        {
            Assert.That(report.Valid, Is.False);
            Assert.That(report.FirstProblemSequence, Is.EqualTo(2));
            Assert.That(report.FirstProblemHash, Is.EqualTo(block.Hash));
            Assert.That(report.Problem.Code, Is.EqualTo(RejectionCode.InvalidSignature));
            Assert.That(report.Tip.Height, Is.EqualTo(2UL));
        });
    }
}

using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Testing;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class ChainVerifierTests
{
    [Test]
    public void A_store_written_by_the_chain_verifies_to_the_same_tip()
    {
        var genesis = Build.A.Genesis.TestObject;
        var store = new InMemoryBlockStore();
        var chain = Build.A.Chain.WithGenesis(genesis).WithStore(store).TestObject;
        var registration = Build.A.Transaction.RegisteringPatient().OnChain(genesis).TestObject;
        Accept(chain, Build.A.Block.WithParent(chain.Tip).WithTransactions(registration).TestObject);
        for (var i = 0; i < 4; i++)
        {
            Accept(chain, Build.A.Block.WithParent(chain.Tip).TestObject);
        }

        var report = ChainVerifier.Verify(genesis, StubConsensusEngine.AcceptAll(), store);

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
        var genesis = Build.A.Genesis.TestObject;
        var store = new InMemoryBlockStore();
        var chain = Build.A.Chain.WithGenesis(genesis).WithStore(store).TestObject;
        Accept(chain, Build.A.Block.WithParent(chain.Tip).TestObject);
        Accept(chain, Build.A.Block.WithParent(chain.Tip).TestObject);

        // Someone with write access to the data directory appends a block whose patient registration carries no valid signature.
        using var patient = Build.A.Key.Labelled("patient").TestObject;
        var forged = new Transaction(Transaction.CurrentVersion, genesis.ChainId, patient.PublicKey, 0, TestClock.DefaultStartMs, new PatientRegistration(Hash256.Sha256("forged"u8)), Signature.Empty);
        var block = Build.A.Block.WithParent(chain.Tip).WithTransactions(forged).WithNonce(77).TestObject;
        store.Append(block.Hash, block.Encode().Span);

        var reopened = Build.A.Chain.WithGenesis(genesis).WithStore(store).TestObject;
        Assert.That(reopened.Tip.Hash, Is.EqualTo(block.Hash), "replay on open trusts ordinary signatures (docs/security.md)");
        var report = ChainVerifier.Verify(genesis, StubConsensusEngine.AcceptAll(), store);
        Assert.Multiple(() =>
        {
            Assert.That(report.Valid, Is.False);
            Assert.That(report.FirstProblemSequence, Is.EqualTo(2));
            Assert.That(report.FirstProblemHash, Is.EqualTo(block.Hash));
            Assert.That(report.Problem.Code, Is.EqualTo(RejectionCode.InvalidSignature));
            Assert.That(report.Tip.Height, Is.EqualTo(2UL));
        });
    }

    private static void Accept(Blockchain chain, HealthLedger.Core.Blocks.Block block)
    {
        var result = chain.AddBlock(block);
        Assert.That(result.IsAccepted, Is.True, result.Validation.ToString());
    }
}

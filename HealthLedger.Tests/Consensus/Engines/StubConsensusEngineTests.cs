using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

[TestFixture]
public sealed class StubConsensusEngineTests
{
    [Test]
    public void Accepting_stub_accepts_an_unsealed_header()
    {
        var chain = new ChainBuilder(ConsensusEngineId.ProofOfWork);
        var header = chain.ChildTemplate(TestKeys.Get("stub").PublicKey, 0x1d00ffff);

        Assert.That(StubConsensusEngine.AcceptAll().ValidateSeal(header, chain.View()).IsValid, Is.True);
    }

    [Test]
    public void Rejecting_stub_rejects_with_its_code_and_keeps_the_initial_target()
    {
        var chain = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork);
        var stub = StubConsensusEngine.RejectAll(RejectionCode.InvalidSealSignature, ConsensusEngineId.EnhancedProofOfWork);
        var header = chain.ChildTemplate(TestKeys.Get("stub").PublicKey, ChainBuilder.EasyBits);

        Assert.Multiple(() =>
        {
            Assert.That(stub.ValidateSeal(header, chain.View()).Code, Is.EqualTo(RejectionCode.InvalidSealSignature));
            Assert.That(stub.GetNextTargetBits(chain.View()), Is.EqualTo(chain.Genesis.Consensus.InitialTargetBits));
            Assert.That(stub.Id, Is.EqualTo(ConsensusEngineId.EnhancedProofOfWork));
        });
    }

    [Test]
    public void Rejecting_stub_needs_a_rejection_code() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => StubConsensusEngine.RejectAll(RejectionCode.None));
}

using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Tests.Consensus.TestSupport;

namespace HealthLedger.Tests.Consensus.Engines;

[TestFixture]
public sealed class ConsensusEnginesTests
{
    [TestCase(ConsensusEngineId.ProofOfWork, typeof(ProofOfWorkEngine))]
    [TestCase(ConsensusEngineId.EnhancedProofOfWork, typeof(EnhancedProofOfWorkEngine))]
    public void Genesis_engine_picks_the_engine(ConsensusEngineId id, Type expected)
    {
        var engine = ConsensusEngines.Create(new ChainBuilder(id).Genesis);

        Assert.Multiple(() =>
        {
            Assert.That(engine, Is.InstanceOf(expected));
            Assert.That(engine.Id, Is.EqualTo(id));
            Assert.That(engine.CreateSealer().Engine, Is.EqualTo(id));
        });
    }

    [Test]
    public void Unknown_engine_is_refused() =>
        Assert.Throws<ArgumentException>(() => ConsensusEngines.Create(new ChainBuilder(ConsensusEngineId.None).Genesis));

    [Test]
    public void Out_of_range_credit_parameters_are_refused_at_startup()
    {
        var genesis = new ChainBuilder(ConsensusEngineId.EnhancedProofOfWork).Genesis with { Consensus = new ConsensusParameters { CreditWindowBlocks = 1_000 } };

        Assert.Throws<ArgumentOutOfRangeException>(() => ConsensusEngines.Create(genesis));
    }
}

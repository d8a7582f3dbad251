using HealthLedger.Core.Chain;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

/// <summary>
/// Votes for one block from different justified sources justify it together (validators that saw the latest
/// justification at different moments name different sources); finality still needs one source's quorum
/// (docs/consensus.md §5.3 and §5.5). N = 5, quorum 4.
/// </summary>
[TestFixture]
public sealed class MixedSourceJustificationTests
{
    [Test]
    public void Two_votes_from_each_of_two_justified_sources_justify_a_block_but_do_not_finalise_either_source()
    {
        var ledger = new TestLedger();
        var chain = ledger.NewChain();
        var genesis = chain.GenesisEntry;
        var b1 = TestLedger.Connect(chain, ledger.MakeBlock(genesis, nonce: 1));
        var b2 = TestLedger.Connect(chain, ledger.MakeBlock(b1, [.. Enumerable.Range(0, 4).Select(v => ledger.Attest(v, b1, genesis))], nonce: 2));
        Assert.That(chain.IsJustified(b1.Hash), Is.True);

        // Validators 0-1 saw b1 justified when they voted for b2; 2-3 had not yet and name genesis.
        var b3 = TestLedger.Connect(chain, ledger.MakeBlock(b2, [ledger.Attest(0, b2, b1), ledger.Attest(1, b2, b1), ledger.Attest(2, b2, genesis), ledger.Attest(3, b2, genesis)], nonce: 3));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsJustified(b2.Hash), Is.True, "four validators voted for b2 from justified sources");
            Assert.That(chain.LastFinal.Hash, Is.EqualTo(genesis.Hash), "neither genesis → b2 nor b1 → b2 has a quorum of its own");
        });

        // Four votes b1 → b3: b1, b2 and b3 are a justified run and b1 → b3 has a quorum, so b1 is final (k-finality);
        // counting b2's votes per source would have left b2 unjustified and b1 not final.
        TestLedger.Connect(chain, ledger.MakeBlock(b3, [.. Enumerable.Range(0, 4).Select(v => ledger.Attest(v, b3, b1))], nonce: 4));

        Assert.Multiple(() =>
        {
            Assert.That(chain.IsJustified(b3.Hash), Is.True);
            Assert.That(chain.LastFinal.Hash, Is.EqualTo(b1.Hash));
        });
    }
}

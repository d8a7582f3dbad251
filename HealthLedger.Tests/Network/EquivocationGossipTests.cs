using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network;

/// <summary>Conflicting finality votes that reach a node by gossip become evidence, even when the pool refuses one of them.</summary>
[TestFixture]
public sealed class EquivocationGossipTests
{
    [Test]
    public void A_double_vote_relayed_by_a_peer_raises_evidence_that_the_chain_accepts()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        var net = new InMemoryNetwork();
        var node = new GossipNode("a", chain, new TransactionPool(chain, t.Time), time: t.Time);
        var evidence = new List<MisbehaviourEvidence>();
        node.EquivocationDetected += evidence.Add;

        var fork = chain.Tip;
        var a = t.MakeBlock(fork, nonce: 1);
        var b = t.MakeBlock(fork, nonce: 2);
        chain.AddBlock(a);
        chain.AddBlock(b); // a side branch this node knows
        var voteA = t.Tx(t.Validators[3], 0, new Attestation(a.Hash, 1, fork.Hash, 0));
        var voteB = t.Tx(t.Validators[3], 0, new Attestation(b.Hash, 1, fork.Hash, 0));

        using var peer = new RawPeer(net, node).Hello();
        peer.Send(new NewTransactionMessage(voteA.Encode().ToArray()));
        peer.Send(new NewTransactionMessage(voteB.Encode().ToArray()));
        net.Pump();

        Assert.That(evidence, Has.Count.EqualTo(1));
        var proof = evidence[0];
        Assert.That(EvidenceVerifier.TryGetAccused(proof, TestLedger.ChainId, verifySignatures: true, out var accused, out var error), Is.True, error);
        Assert.That(accused, Is.EqualTo(t.Validators[3].Address));
        var r = chain.AddBlock(t.MakeBlock(chain.Tip, [t.Tx(t.Validators[0], 0, proof)], nonce: 3));
        Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
        Assert.That(chain.GetEntry(chain.Tip.Hash)!.State.GetNode(t.Validators[3].Address)!.Activity.PenaltyHeights, Has.Length.EqualTo(1));
    }

    [Test]
    public void Votes_from_keys_that_are_not_validators_are_not_recorded()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        var net = new InMemoryNetwork();
        var node = new GossipNode("a", chain, new TransactionPool(chain, t.Time), time: t.Time);
        var raised = 0;
        node.EquivocationDetected += _ => raised++;
        var a = t.MakeBlock(chain.Tip, nonce: 1);
        chain.AddBlock(a);
        var stranger = HealthLedger.Core.Crypto.KeyPair.FromLabel("not-a-validator");

        using var peer = new RawPeer(net, node).Hello();
        peer.Send(new NewTransactionMessage(t.Tx(stranger, 0, new Attestation(a.Hash, 1, chain.GenesisEntry.Hash, 0)).Encode().ToArray()));
        peer.Send(new NewTransactionMessage(t.Tx(stranger, 0, new Attestation(HealthLedger.Core.Crypto.Hash256.Sha256("x"u8), 1, chain.GenesisEntry.Hash, 0)).Encode().ToArray()));
        net.Pump();

        Assert.That(raised, Is.Zero);
        Assert.That(node.Equivocations.Count, Is.Zero, "memory is spent only on validators' votes");
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Core;

[TestFixture]
public sealed class ReorgTests
{
    private static string Fingerprint(LedgerState s) => string.Join("|",
        s.Height,
        string.Join(",", s.Nodes.Select(n => $"{n.Id}:{n.Revoked}:{string.Join('.', n.Activity.MinedHeights)}:{string.Join('.', n.Activity.AttestedHeights)}")),
        string.Join(",", s.Sequences.OrderBy(k => k.Key).Select(k => $"{k.Key}={k.Value}")),
        string.Join(",", s.Records.Keys.OrderBy(k => k)),
        string.Join(",", s.Devices.OrderBy(k => k.Key).Select(k => $"{k.Key}:{k.Value.Revoked}")),
        s.Patients.Count, s.Grants.Count, s.Attesters.Count);

    [Test]
    public void State_after_a_reorg_equals_replaying_the_winning_chain_from_genesis()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        var fork = t.Extend(chain, chain.Tip, 1);

        // Branch A: patient, device, two records.
        var a1 = t.MakeBlock(fork, [t.RegisterPatient()], nonce: 100);
        chain.AddBlock(a1);
        var a2 = t.MakeBlock(chain.GetEntry(a1.Hash)!, [t.RegisterDevice(), t.Attest(1, fork)], nonce: 101);
        chain.AddBlock(a2);
        var a3 = t.MakeBlock(chain.GetEntry(a2.Hash)!, [t.Anchor(0, "a")], nonce: 102);
        chain.AddBlock(a3);
        Assert.That(chain.Tip.Hash, Is.EqualTo(a3.Hash));

        // Branch B (longer): different content from the same fork point.
        var tip = fork;
        var winning = new List<HealthLedger.Core.Blocks.Block>();
        for (var i = 0; i < 4; i++)
        {
            var txs = i == 0 ? new[] { t.RegisterPatient(), t.Attest(2, fork) } : Array.Empty<Transaction>();
            var b = t.MakeBlock(tip, txs, nonce: 200UL + (ulong)i, miner: 3);
            var r = chain.AddBlock(b);
            Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
            winning.Add(b);
            tip = chain.GetEntry(b.Hash)!;
        }

        Assert.That(chain.Tip.Hash, Is.EqualTo(winning[^1].Hash));

        var replayed = t.NewChain();
        replayed.AddBlock(t.MakeBlock(replayed.Tip) is var _ ? chain.GetBestAt(1)!.Block : null!);
        foreach (var b in winning)
        {
            Assert.That(replayed.AddBlock(b).Status, Is.EqualTo(BlockStatus.Connected));
        }

        Assert.That(Fingerprint(chain.State), Is.EqualTo(Fingerprint(replayed.State)));
        Assert.That(chain.State.RecordCount, Is.Zero, "branch A's record is gone");
        Assert.That(chain.State.GetDevice(t.Device.Address), Is.Null);
    }

    [Test]
    public void Reorg_event_lists_disconnected_and_connected_blocks()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        var updates = new List<ChainUpdate>();
        chain.TipChanged += updates.Add;
        var a = t.Extend(chain, chain.Tip, 2, nonceSalt: 1);
        t.Extend(chain, chain.GenesisEntry, 3, nonceSalt: 9);

        var reorg = updates.Single(u => u.IsReorg);
        Assert.That(reorg.Disconnected.Select(b => b.Hash), Is.EqualTo(new[] { a.Hash, a.Parent!.Hash }));
        Assert.That(reorg.Connected, Has.Count.EqualTo(3));
    }

    [Test]
    public void A_final_block_is_never_reorganised_away()
    {
        var t = new TestLedger();
        var chain = t.NewChain();
        var b1 = t.Extend(chain, chain.Tip, 1);
        // Five validators: a quorum is four votes. Votes genesis -> b1 justify b1; votes b1 -> b2 then make b1 final.
        var b2 = t.MakeBlock(b1, [.. Enumerable.Range(0, 4).Select(v => t.Attest(v, b1))], nonce: 5);
        Assert.That(chain.AddBlock(b2).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(chain.IsJustified(b1.Hash), Is.True);
        Assert.That(chain.LastFinal.Height, Is.Zero, "justified is not yet final");
        var b2Entry = chain.GetEntry(b2.Hash)!;
        var b3 = t.MakeBlock(b2Entry, [.. Enumerable.Range(0, 4).Select(v => t.Attest(v, b2Entry, source: b1))], nonce: 6);
        Assert.That(chain.AddBlock(b3).Status, Is.EqualTo(BlockStatus.Connected));
        Assert.That(chain.LastFinal.Hash, Is.EqualTo(b1.Hash));

        // A longer competing branch from genesis is refused.
        var tip = chain.GenesisEntry;
        var first = t.MakeBlock(tip, nonce: 999);
        var r = chain.AddBlock(first);
        Assert.That(r.Validation.Code, Is.EqualTo(RejectionCode.ConflictsWithFinalizedBlock));
        Assert.That(chain.IsFinal(b1.Hash), Is.True);
        Assert.That(chain.FinalityLog.Select(f => f.Header.Hash), Does.Contain(b1.Hash));
    }

    [Test]
    public void Replay_from_store_rebuilds_the_same_tip_and_state()
    {
        var t = new TestLedger();
        var store = new InMemoryBlockStore();
        var chain = t.NewChain(store);
        chain.AddBlock(t.MakeBlock(chain.Tip, [t.RegisterPatient()]));
        chain.AddBlock(t.MakeBlock(chain.Tip, [t.RegisterDevice()]));
        t.Extend(chain, chain.GetBestAt(1)!, 3, nonceSalt: 50);

        var reopened = t.NewChain(store);
        Assert.That(reopened.Tip.Hash, Is.EqualTo(chain.Tip.Hash));
        Assert.That(reopened.BlockCount, Is.EqualTo(chain.BlockCount));
        Assert.That(Fingerprint(reopened.State), Is.EqualTo(Fingerprint(chain.State)));
        Assert.That(reopened.LastReplay.Blocks, Is.EqualTo(store.Count));
    }
}

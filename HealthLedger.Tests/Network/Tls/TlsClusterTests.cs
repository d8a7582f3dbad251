using System.Diagnostics;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Network.Tls;

/// <summary>ePoW validators over real TCP + TLS 1.3 on loopback: convergence with finality, a 3 + 2 partition and its healing, headers-first sync of 1,000 blocks from several peers.</summary>
[TestFixture]
[Category("Slow")]
public sealed class TlsClusterTests
{
    [Test]
    public async Task Five_nodes_converge_on_one_head_blocks_mined_anywhere_reach_everyone_and_become_final()
    {
        await using var c = await TlsCluster.StartAsync(5);
        var all = Enumerable.Range(0, 5).ToArray();
        for (var round = 0; round < 10; round++)
        {
            var block = await c.MineAsync(round % 5);
            await c.WaitUntilAsync(() => all.All(i => c.Chains[i].Tip.Hash == block.Hash), $"block of round {round} everywhere");
            await c.AttestAsync(all);
            await c.SettleAsync(() => c.Pools[(round + 1) % 5].Count >= 5); // the next miner has the round's votes (or a short wait passed)
        }

        var head = await c.ConvergedAsync(all, "one head");
        Assert.That(head.Height, Is.EqualTo(10UL));
        Assert.That(all.Select(i => c.Chains[i].LastFinal.Height), Is.All.GreaterThan(0UL), "votes carried by gossip finalise blocks on every node");
        Assert.That(all.Select(i => c.Hosts[i]!.ConnectedPeers.Count), Is.All.EqualTo(4));
    }

    [Test]
    public async Task A_three_two_partition_heals_to_one_chain_keeps_every_final_block_and_returns_the_losing_sides_transactions_to_its_mempool()
    {
        await using var c = await TlsCluster.StartAsync(5);
        int[] all = [0, 1, 2, 3, 4], majority = [0, 1, 2], minority = [3, 4];
        for (var round = 0; round < 6; round++)
        {
            var block = await c.MineAsync(round % 5);
            await c.WaitUntilAsync(() => all.All(i => c.Chains[i].Tip.Hash == block.Hash), $"block of round {round} everywhere");
            await c.AttestAsync(all);
        }

        await c.ConvergedAsync(all, "one head before the partition");
        var finalBefore = all.Select(i => c.Chains[i].LastFinal).ToArray();
        Assert.That(finalBefore.Select(f => f.Height), Is.All.GreaterThan(0UL), "something is final before the partition");

        await c.PartitionAsync(majority, minority);

        // The losing side takes a patient registration into its blocks.
        using var patient = KeyPair.FromLabel("partition-patient");
        var tx = Transaction.Create(patient, c.Net.Genesis.ChainId, 0, c.Net.Time.NowMs, new PatientRegistration(Hash256.Sha256("partition-mrn"u8)));
        Assert.That((await c.SubmitAsync(3, tx)).Accepted, Is.True);
        await c.WaitUntilAsync(() => c.Pools[4].Contains(tx.Id), "the transaction gossiped on the minority side");
        for (var round = 0; round < 2; round++)
        {
            var block = await c.MineAsync(minority[round % 2]);
            await c.WaitUntilAsync(() => minority.All(i => c.Chains[i].Tip.Hash == block.Hash), "minority block on the minority side");
        }

        Assert.That(c.Chains[3].GetBestAt(c.Chains[3].Height - 1)!.Block.Transactions.Select(t => t.Id), Does.Contain(tx.Id), "mined on the losing side");
        for (var round = 0; round < 5; round++)
        {
            var block = await c.MineAsync(majority[round % 3]);
            await c.WaitUntilAsync(() => majority.All(i => c.Chains[i].Tip.Hash == block.Hash), "majority block on the majority side");
            await c.AttestAsync(majority);
        }

        var majorityTip = c.Chains[0].Tip;
        Assert.That(c.Pools[0].Contains(tx.Id) || c.Chains[0].GetEntry(c.Chains[3].Tip.Hash) is not null, Is.False, "the partition held");

        await c.HealAsync();
        var head = await c.ConvergedAsync(all, "one chain after healing");

        Assert.That(c.Chains[3].IsOnBestChain(majorityTip.Hash), Is.True, "the heavier side's chain won");
        Assert.That(head.Height, Is.GreaterThanOrEqualTo(majorityTip.Height));
        for (var i = 0; i < 5; i++)
        {
            Assert.That(finalBefore.All(f => c.Chains[i].IsOnBestChain(f.Hash)), Is.True, $"node {i} kept every block final before the partition");
            Assert.That(c.Chains[i].LastFinal.Height, Is.GreaterThanOrEqualTo(finalBefore[i].Height), $"node {i}'s finality never went back");
        }

        Assert.That(all.Any(i => OnBestChain(c, i, tx.Id)), Is.False, "the block carrying it was reverted");
        await c.WaitUntilAsync(() => minority.All(i => c.Pools[i].Contains(tx.Id)), "the losing side's transaction back in its mempools");
    }

    [Test]
    public async Task A_new_node_syncs_1000_blocks_headers_first_from_several_peers()
    {
        await using var c = await TlsCluster.StartAsync(4, started: 0);
        c.BuildOffline(c.Chains[0], 1_000);
        for (var h = 1UL; h <= 1_000; h++)
        {
            var block = c.Chains[0].GetBestAt(h)!.Block;
            c.Chains[1].AddBlock(block);
            c.Chains[2].AddBlock(block);
        }

        c.StartNode(0, []);
        c.StartNode(1, [0]);
        c.StartNode(2, [0, 1]);
        await c.WaitUntilAsync(() => new[] { 0, 1, 2 }.All(i => c.Hosts[i]!.ConnectedPeers.Count == 2), "the serving mesh");

        var watch = Stopwatch.StartNew();
        c.StartNode(3, [0, 1, 2]);
        await c.WaitUntilAsync(() => c.Chains[3].Height == 1_000, "the new node at height 1,000");
        watch.Stop();

        var servedBy = await c.Hosts[3]!.InvokeAsync(g => g.BlocksDownloadedFrom);
        TestContext.Out.WriteLine($"synced 1,000 ePoW blocks headers-first in {watch.Elapsed.TotalSeconds:0.00} s ({1_000 / watch.Elapsed.TotalSeconds:0} blocks/s); served: {string.Join(", ", servedBy.Select(kv => $"{kv.Key[..8]}={kv.Value}"))}");
        Assert.That(c.Chains[3].Tip.Hash, Is.EqualTo(c.Chains[0].Tip.Hash));
        Assert.That(servedBy.Count, Is.GreaterThan(1), "bodies came from more than one peer");
        Assert.That(servedBy.Values.Sum(), Is.EqualTo(1_000));
    }

    private static bool OnBestChain(TlsCluster c, int node, Hash256 txId)
    {
        var chain = c.Chains[node];
        for (var e = chain.Tip; e.Parent is not null; e = e.Parent)
        {
            if (e.Block.Transactions.Any(t => t.Id == txId))
            {
                return true;
            }
        }

        return false;
    }
}

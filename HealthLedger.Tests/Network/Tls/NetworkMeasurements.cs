using System.Diagnostics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;
using HealthLedger.Crypto.Sodium;

namespace HealthLedger.Tests.Network.Tls;

/// <summary>
/// The network measurements of docs/benchmarks.md ("Network"), over real TCP + TLS 1.3 on loopback. Explicit: they run
/// only when asked for, and print their figures:
/// <c>nice dotnet test HealthLedger.Tests -c Release --filter "TestCategory=Measure" --logger "console;verbosity=detailed"</c>.
/// Check <c>uptime</c> before, and report the load average with the figures.
/// </summary>
[TestFixture]
[Explicit("measurements: run on demand")]
[Category("Measure")]
public sealed class NetworkMeasurements
{
    /// <summary>Gossip options for throughput: the default per-peer transaction budget (5,000 per 10 s) caps relay at 500 tx/s per link.</summary>
    private static readonly GossipOptions Bulk = new() { MaxTransactionsPerWindow = 1_000_000 };

    private static readonly MempoolOptions OpenPool = new() { NewcomerSharePercent = 100, FreeClassFillPercent = 100, MaxTransactions = 200_000, MaxBytes = 256L * 1024 * 1024 };

    [TestCase(0)]
    [TestCase(500)]
    public async Task Block_propagation_to_all_of_four_nodes(int txPerBlock)
    {
        await using var c = await TlsCluster.StartAsync(4, options: Bulk, mempool: OpenPool);
        var arrived = new Dictionary<(int Node, Hash256 Block), long>();
        for (var i = 0; i < 4; i++)
        {
            var node = i;
            c.Chains[i].BlockConnected += e =>
            {
                lock (arrived)
                {
                    arrived[(node, e.Hash)] = Stopwatch.GetTimestamp();
                }
            };
        }

        var keys = 0;
        var delays = new List<double>();
        for (var round = 0; round < 60; round++)
        {
            var miner = round % 4;
            var txs = Registrations(c, ref keys, txPerBlock);
            await c.Hosts[miner]!.InvokeAsync(_ => txs.Count(tx => c.Pools[miner].Submit(tx).Accepted));
            long sent = 0;
            var block = await c.MineAsync(miner, () => sent = Stopwatch.GetTimestamp());
            bool Everywhere()
            {
                lock (arrived)
                {
                    return Enumerable.Range(0, 4).Where(i => i != miner).All(i => arrived.ContainsKey((i, block.Hash)));
                }
            }

            await c.WaitUntilAsync(Everywhere, $"round {round}");
            long last;
            lock (arrived)
            {
                last = Enumerable.Range(0, 4).Where(i => i != miner).Max(i => arrived[(i, block.Hash)]);
            }

            if (round >= 4)
            {
                delays.Add(Stopwatch.GetElapsedTime(sent, last).TotalMilliseconds);
            }
        }

        Report($"block propagation to all of 4 nodes, {txPerBlock} tx/block ({c.Chains[0].Tip.Block.Encode().Length / 1024.0:0.0} KiB), {delays.Count} blocks", delays, "ms");
    }

    [Test]
    public async Task Sync_speed_headers_first_from_three_peers_with_each_verifier()
    {
        foreach (var scheme in new ISignatureScheme[] { Ed25519.Instance, SodiumEd25519.Instance })
        {
            await using var c = await TlsCluster.StartAsync(4, started: 0, options: Bulk, mempool: OpenPool, scheme: scheme);
            var keys = 0;
            const int blocks = 300, perBlock = 100;
            c.BuildOffline(c.Chains[0], blocks, _ => Registrations(c, ref keys, perBlock));

            for (var h = 1UL; h <= blocks; h++)
            {
                c.Chains[1].AddBlock(c.Chains[0].GetBestAt(h)!.Block);
                c.Chains[2].AddBlock(c.Chains[0].GetBestAt(h)!.Block);
            }

            c.StartNode(0, []);
            c.StartNode(1, [0]);
            c.StartNode(2, [0, 1]);
            await c.WaitUntilAsync(() => new[] { 0, 1, 2 }.All(i => c.Hosts[i]!.ConnectedPeers.Count == 2), "the serving mesh");
            var watch = Stopwatch.StartNew();
            c.StartNode(3, [0, 1, 2]);
            await c.WaitUntilAsync(() => c.Chains[3].Height == blocks, "synced", TimeSpan.FromMinutes(5));
            watch.Stop();
            var s = watch.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"sync {blocks} blocks x {perBlock} tx from 3 peers ({scheme.GetType().Name}): {s:0.00} s, {blocks / s:0} blocks/s, {blocks * perBlock / s:0} tx/s; {Load()}");
        }
    }

    [TestCase(4, 20_000)]
    [TestCase(1, 20_000)]
    public async Task End_to_end_throughput_from_submission_to_finality(int nodes, int count)
    {
        foreach (var scheme in new ISignatureScheme[] { Ed25519.Instance, SodiumEd25519.Instance })
        {
            await using var c = await TlsCluster.StartAsync(nodes, options: Bulk, mempool: OpenPool, scheme: scheme, threshold: (ushort)Math.Min(3, nodes));
            var all = Enumerable.Range(0, nodes).ToArray();
            var keys = 0;
            var txs = Registrations(c, ref keys, count);
            var ids = txs.Select(t => t.Id).ToHashSet();

            var watch = Stopwatch.StartNew();
            var submitting = Task.Run(async () =>
            {
                foreach (var chunk in txs.Chunk(250))
                {
                    await c.Hosts[0]!.InvokeAsync(g => chunk.Count(tx => g.PublishTransaction(tx).Accepted));
                }
            });

            var mined = new List<(ulong Height, Hash256 Hash)>();
            var included = 0;
            var submittedAt = TimeSpan.Zero;
            for (var round = 0; round < 400; round++)
            {
                if (submitting.IsCompleted && submittedAt == TimeSpan.Zero)
                {
                    submittedAt = watch.Elapsed;
                }

                var block = await c.MineAsync(round % nodes);
                await c.WaitUntilAsync(() => all.All(i => c.Chains[i].Tip.Hash == block.Hash), $"round {round}");
                var n = block.Transactions.Count(t => ids.Contains(t.Id));
                included += n;
                if (n > 0)
                {
                    mined.Add((block.Header.Height, block.Hash));
                }

                await c.AttestAsync(all);
                if (included == count && all.All(i => c.Chains[i].IsFinal(mined[^1].Hash)))
                {
                    break;
                }
            }

            await submitting;
            watch.Stop();
            Assert.That(included, Is.EqualTo(count), "every transaction mined");
            var s = watch.Elapsed.TotalSeconds;
            TestContext.Out.WriteLine($"end to end, {nodes} node(s), {count} tx ({scheme.GetType().Name}): {s:0.00} s to finality on every node = {count / s:0} tx/s (submission done at {submittedAt.TotalSeconds:0.00} s); {Load()}");
        }
    }

    [Test]
    public void Signature_verification_cost_per_scheme()
    {
        var seed = new byte[32];
        seed[0] = 7;
        var message = new byte[180];
        foreach (var scheme in new ISignatureScheme[] { Ed25519.Instance, SodiumEd25519.Instance })
        {
            var key = scheme.DerivePublicKey(seed);
            var sig = scheme.Sign(seed, message);
            for (var i = 0; i < 500; i++)
            {
                scheme.Verify(key, message, sig);
            }

            const int n = 20_000;
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < n; i++)
            {
                Assert.That(scheme.Verify(key, message, sig), Is.True);
            }

            watch.Stop();
            TestContext.Out.WriteLine($"{scheme.GetType().Name}: {watch.Elapsed.TotalMicroseconds / n:0.0} µs per verification, {n / watch.Elapsed.TotalSeconds:0} /s on one core; {Load()}");
        }
    }

    private static List<Transaction> Registrations(TlsCluster c, ref int next, int count)
    {
        var txs = new List<Transaction>(count);
        for (var i = 0; i < count; i++, next++)
        {
            using var key = KeyPair.FromLabel($"measure-patient-{next}");
            txs.Add(Transaction.Create(key, c.Net.Genesis.ChainId, 0, c.Net.Time.NowMs, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(next)))));
        }

        return txs;
    }

    private static void Report(string what, List<double> values, string unit)
    {
        values.Sort();
        double P(double q) => values[Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1)];
        TestContext.Out.WriteLine($"{what}: p50 {P(0.50):0.0} {unit}, p99 {P(0.99):0.0} {unit}, max {values[^1]:0.0} {unit}; {Load()}");
    }

    private static string Load() => "load " + File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Aggregate((a, b) => a + " " + b);
}

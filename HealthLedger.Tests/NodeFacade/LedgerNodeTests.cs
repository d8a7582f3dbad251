using System.Net;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Network.Hosting;
using HealthLedger.Node;

namespace HealthLedger.Tests.NodeFacade;

/// <summary>
/// Real nodes in one process: proof-of-work mining on the SIMD searcher, TLS peers on loopback, finality votes, crash-safe stores. Wall-clock
/// bounded: every wait has a deadline.
/// </summary>
[TestFixture]
[Category("Slow")]
public sealed class LedgerNodeTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "hl-node-test-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public async Task Four_mining_validators_over_tls_agree_on_final_blocks_and_a_stopped_node_catches_up_from_its_store_and_peers()
    {
        var keys = Enumerable.Range(0, 4).Select(i => KeyPair.FromLabel($"facade-validator-{i}")).ToArray();
        var genesis = Genesis(keys);
        var nodes = new LedgerNode?[4];
        var endpoints = new IPEndPoint[4];
        try
        {
            for (var i = 0; i < 4; i++)
            {
                nodes[i] = await StartNode(i, new IPEndPoint(IPAddress.Loopback, 0));
                endpoints[i] = nodes[i]!.ListenEndPoint!;
            }

            await WaitUntil(() => nodes.All(n => n!.Chain.LastFinal.Height >= 4), "finality reaches #4 everywhere");
            AssertFinalBlocksAgree(nodes);

            // Stop node 3 (its store stays), let the others go on, restart it on the same directory.
            var stoppedAt = nodes[3]!.Chain.Height;
            await nodes[3]!.DisposeAsync();
            nodes[3] = null;
            var target = nodes[0]!.Chain.LastFinal.Height + 3;
            await WaitUntil(() => nodes[0]!.Chain.LastFinal.Height >= target, "three validators of four keep finalising (quorum 3)");

            nodes[3] = await StartNode(3, endpoints[3]);
            Assert.That(nodes[3]!.Chain.LastReplay.FromHeight + (ulong)nodes[3]!.Chain.LastReplay.Blocks, Is.GreaterThanOrEqualTo((ulong)stoppedAt), "it reopened its own store (its state up to the last final block, the blocks above it replayed)");
            await WaitUntil(() => nodes[3]!.Chain.LastFinal.Height >= target, "the restarted node caught up from its peers");
            AssertFinalBlocksAgree(nodes);
        }
        finally
        {
            foreach (var n in nodes)
            {
                if (n is not null)
                {
                    await n.DisposeAsync();
                }
            }
        }

        async Task<LedgerNode> StartNode(int i, IPEndPoint listenOn)
        {
            var peers = Enumerable.Range(0, i).Select(j => new PeerAddress(endpoints[j], keys[j].PublicKey)).ToList();
            var node = LedgerNode.Create(new LedgerNodeOptions
            {
                Genesis = genesis,
                NodeKey = keys[i],
                DataDirectory = Path.Combine(_dir, $"node-{i}"),
                ListenOn = listenOn,
                Peers = peers,
                PeerHost = new PeerHostOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(100), MaxReconnectDelay = TimeSpan.FromSeconds(1) },
            });
            await node.StartAsync();
            return node;
        }
    }

    [Test]
    public async Task A_transaction_submitted_at_one_node_is_mined_and_seen_by_another()
    {
        var keys = Enumerable.Range(0, 2).Select(i => KeyPair.FromLabel($"facade-tx-{i}")).ToArray();
        var genesis = Genesis(keys);
        await using var a = LedgerNode.Create(new LedgerNodeOptions { Genesis = genesis, NodeKey = keys[0], DataDirectory = Path.Combine(_dir, "a") });
        await a.StartAsync();
        await using var b = LedgerNode.Create(new LedgerNodeOptions { Genesis = genesis, NodeKey = keys[1], DataDirectory = Path.Combine(_dir, "b"), Mine = false, Peers = [new PeerAddress(a.ListenEndPoint!, keys[0].PublicKey)] });
        await b.StartAsync();

        using var patient = KeyPair.FromLabel("facade-patient");
        var tx = Transaction.Create(patient, genesis.ChainId, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new PatientRegistration(Hash256.Sha256("mrn:salt"u8)));
        var admitted = await b.SubmitAsync(tx);
        Assert.That(admitted.Accepted, Is.True, admitted.Validation.ToString());

        await WaitUntil(() => b.Chain.State.GetPatient(patient.Address) is not null, () => $"the registration is mined by a and seen by b (a #{a.Chain.Height} pool {a.Pool.Count} [{string.Join(",", a.Pool.Snapshot().Select(t => t.Kind + ":" + a.Pool.GetClass(t.Id)))}] selects {a.Pool.SelectForBlock(100).Count} peers {a.ConnectedPeers.Count}; b #{b.Chain.Height} pool {b.Pool.Count} peers {b.ConnectedPeers.Count})");
    }

    [Test]
    public async Task Metrics_report_height_mempool_and_submissions_by_outcome()
    {
        var keys = new[] { KeyPair.FromLabel("facade-metrics") };
        var genesis = Genesis(keys);
        await using var node = LedgerNode.Create(new LedgerNodeOptions { Genesis = genesis, NodeKey = keys[0], DataDirectory = Path.Combine(_dir, "m"), Mine = false });
        var seen = new List<(string Name, long Value, string? Outcome)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "HealthLedger.Node")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? outcome = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    outcome = tag.Value as string;
                }
            }

            lock (seen)
            {
                seen.Add((instrument.Name, value, outcome));
            }
        });
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            lock (seen)
            {
                seen.Add((instrument.Name, value, null));
            }
        });
        listener.Start();
        await node.StartAsync();

        using var patient = KeyPair.FromLabel("facade-metrics-patient");
        var tx = Transaction.Create(patient, genesis.ChainId, 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), new PatientRegistration(Hash256.Sha256("m"u8)));
        Assert.That((await node.SubmitAsync(tx)).Accepted, Is.True);
        Assert.That((await node.SubmitAsync(tx)).Accepted, Is.False);
        listener.RecordObservableInstruments();

        lock (seen)
        {
            Assert.That(seen, Does.Contain(("healthledger.submissions", 1L, (string?)"admitted")));
            Assert.That(seen, Does.Contain(("healthledger.submissions", 1L, (string?)"DuplicateInMempool")));
            Assert.That(seen, Does.Contain(("healthledger.mempool.size", 1L, (string?)null)));
            Assert.That(seen, Does.Contain(("healthledger.chain.height", 0L, (string?)null)));
        }
    }

    private static GenesisConfig Genesis(KeyPair[] validators) => new()
    {
        ChainId = 21,
        TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
        Authorities = [KeyPair.FromLabel("facade-authority").PublicKey],
        InitialNodes = [.. validators.Select((k, i) => new GenesisNode(k.PublicKey, NodeRoles.Validator, $"v{i}"))],
        // Proof of work at difficulty level 6 (16.7 M hashes): block times are Poisson, as in production, so that
        // competing blocks at one height (which split the votes) stay rare; ePoW's credit would shorten them 16-fold.
        Engine = ConsensusEngineId.ProofOfWork,
        Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(6), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        MinThreshold = 1,
        MaxThreshold = (ushort)validators.Length,
    };

    private static void AssertFinalBlocksAgree(LedgerNode?[] nodes)
    {
        var live = nodes.Where(n => n is not null).Select(n => n!).ToList();
        var lowest = live.Min(n => n.Chain.LastFinal.Height);
        var hashes = live.Select(n => n.Chain.GetBestAt(lowest)!.Hash).Distinct().ToList();
        Assert.That(hashes, Has.Count.EqualTo(1), $"every node has the same block at final height #{lowest}");
    }

    private static Task WaitUntil(Func<bool> condition, string what) => WaitUntil(condition, () => what);

    private static async Task WaitUntil(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), () => $"timed out waiting until {what()}");
            await Task.Delay(50);
        }
    }
}

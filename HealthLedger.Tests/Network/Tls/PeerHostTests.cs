using System.Net;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Network.Hosting;
using HealthLedger.Network.Transport.Tls;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network.Tls;

/// <summary>Gossip nodes over real TCP + TLS on loopback: reconnection (convergence, partitions and hostile peers are in <see cref="TlsClusterTests"/> and <see cref="TlsHostilePeerTests"/>).</summary>
[TestFixture]
[Category("Slow")]
public sealed class PeerHostTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task A_restarted_node_is_redialled_and_catches_up()
    {
        var t = new TestLedger();
        await using var mesh = await Mesh.StartAsync(t, 3);
        await mesh.StopAsync(2);

        var tip = mesh.Chains[0].Tip;
        for (var i = 0; i < 5; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(1));
            var block = t.MakeBlock(tip, timestampMs: t.Time.NowMs, nonce: (ulong)(2000 + i));
            await mesh.Hosts[0].InvokeAsync(g => g.PublishBlock(block));
            tip = mesh.Chains[0].GetEntry(block.Hash)!;
        }

        await mesh.RestartAsync(2);
        await mesh.Hosts[2].InvokeAsync(g =>
        {
            g.RequestSync();
            return 0;
        });
        await mesh.WaitUntilAsync(() => mesh.Chains[2].Tip.Hash == tip.Hash, "the restarted node caught up");
    }

    /// <summary>N nodes in a full mesh: node i dials every node below it; each has its own chain, pool, gossip node and host.</summary>
    private sealed class Mesh : IAsyncDisposable
    {
        private readonly TestLedger _t;
        private readonly KeyPair[] _keys;
        private readonly IPEndPoint[] _endpoints;

        private Mesh(TestLedger t, int n)
        {
            _t = t;
            _keys = [.. Enumerable.Range(0, n).Select(i => KeyPair.FromLabel($"mesh-node-{i}"))];
            _endpoints = new IPEndPoint[n];
            Chains = [.. Enumerable.Range(0, n).Select(_ => t.NewChain())];
            Hosts = new PeerHost[n];
        }

        public Blockchain[] Chains { get; }

        public PeerHost[] Hosts { get; }

        public static async Task<Mesh> StartAsync(TestLedger t, int n)
        {
            var mesh = new Mesh(t, n);
            for (var i = 0; i < n; i++)
            {
                mesh.StartHost(i, new IPEndPoint(IPAddress.Loopback, 0));
            }

            await mesh.WaitUntilAsync(() => mesh.Hosts.All(h => h.ConnectedPeers.Count == n - 1), "full mesh");
            return mesh;
        }

        public async Task StopAsync(int i) => await Hosts[i].DisposeAsync();

        public async Task RestartAsync(int i)
        {
            // Same key, same chain, same port: it dials its peers again (with backoff until they answer).
            StartHost(i, _endpoints[i]);
            await WaitUntilAsync(() => Hosts[i].ConnectedPeers.Count == Hosts.Length - 1, $"node {i} reconnected");
        }

        public async Task WaitUntilAsync(Func<bool> condition, string what)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (!condition())
            {
                Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"timed out waiting for: {what}");
                await Task.Delay(20);
            }
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var h in Hosts)
            {
                await h.DisposeAsync();
            }
        }

        private void StartHost(int i, IPEndPoint listenOn)
        {
            var admitted = _keys.Select(k => k.PublicKey).ToHashSet();
            var transport = new TlsTransport(new TlsTransportOptions { NodeKey = _keys[i], ChainId = TestLedger.ChainId, AdmitPeer = admitted.Contains });
            var gossip = new GossipNode($"node-{i}", Chains[i], new TransactionPool(Chains[i], _t.Time), time: _t.Time, random: new Random(i));
            var peers = Enumerable.Range(0, i).Select(j => new PeerAddress(_endpoints[j], _keys[j].PublicKey)).ToList();
            var options = new PeerHostOptions { ListenOn = listenOn, Peers = peers, MinReconnectDelay = TimeSpan.FromMilliseconds(100), MaxReconnectDelay = TimeSpan.FromSeconds(1) };
            Hosts[i] = new PeerHost(gossip, transport, options);
            Hosts[i].Start();
            _endpoints[i] = Hosts[i].LocalEndPoint!;
        }
    }
}

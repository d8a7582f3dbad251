using System.Net;
using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;
using HealthLedger.Network.Hosting;
using HealthLedger.Network.Transport.Tls;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.Network.Tls;

/// <summary>
/// N validator nodes over real TCP + TLS 1.3 on 127.0.0.1 (ports chosen by the OS), each with its own ePoW chain
/// (real seals at an easy fixed difficulty, real signatures), mempool, gossip node and <see cref="PeerHost"/>; node i
/// dials every node below it. Links between groups can be cut (refused at the TLS handshake and closed) and healed.
/// All waits are bounded.
/// </summary>
internal sealed class TlsCluster : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly HashSet<(int, int)> _cuts = [];
    private readonly object _cutGate = new();
    private readonly IPEndPoint?[] _endpoints;
    private readonly GossipOptions _options;

    private readonly List<PublicKey> _alsoAdmitted;

    private TlsCluster(TestNetwork net, int started, GossipOptions? options, IEnumerable<PublicKey>? alsoAdmit, MempoolOptions? mempool, ISignatureScheme? scheme)
    {
        _alsoAdmitted = alsoAdmit?.ToList() ?? [];
        if (scheme is not null)
        {
            for (var i = 0; i < net.Chains.Length; i++)
            {
                net.Chains[i] = new Blockchain(net.Genesis, EnhancedProofOfWorkEngine.Instance, new HealthLedger.Core.Storage.InMemoryBlockStore(), net.Time, scheme: scheme);
            }
        }

        Net = net;
        _options = options ?? new GossipOptions();
        var n = net.Keys.Length;
        _endpoints = new IPEndPoint?[n];
        Hosts = new PeerHost?[n];
        Gossip = new GossipNode?[n];
        Pools = [.. net.Chains.Select(c => new TransactionPool(c, net.Time, mempool))];
        Started = started;
    }

    /// <summary>Keys, genesis, chains and the shared manual clock of the chains and gossip layers (sockets run on real time).</summary>
    public TestNetwork Net { get; }

    public PeerHost?[] Hosts { get; }

    public GossipNode?[] Gossip { get; }

    public TransactionPool[] Pools { get; }

    public int Started { get; }

    public Blockchain[] Chains => Net.Chains;

    /// <summary>Starts the first <paramref name="started"/> of <paramref name="nodes"/> validators (the rest are started by <see cref="StartNode"/>) and waits for their full mesh.</summary>
    public static async Task<TlsCluster> StartAsync(int nodes, int? started = null, GossipOptions? options = null, ushort threshold = 3, IEnumerable<PublicKey>? alsoAdmit = null, MempoolOptions? mempool = null, ISignatureScheme? scheme = null)
    {
        var cluster = new TlsCluster(new TestNetwork(nodes, threshold), started ?? nodes, options, alsoAdmit, mempool, scheme);
        for (var i = 0; i < cluster.Started; i++)
        {
            cluster.StartNode(i, Enumerable.Range(0, i));
        }

        await cluster.WaitUntilAsync(() => Enumerable.Range(0, cluster.Started).All(i => cluster.Hosts[i]!.ConnectedPeers.Count == cluster.Started - 1), "full mesh");
        return cluster;
    }

    public IEnumerable<int> Running => Enumerable.Range(0, Hosts.Length).Where(i => Hosts[i] is not null);

    public IPEndPoint EndPoint(int i) => _endpoints[i]!;

    /// <summary>Starts node <paramref name="i"/> dialling <paramref name="dial"/>.</summary>
    public void StartNode(int i, IEnumerable<int> dial)
    {
        var admitted = Net.Keys.Select(k => k.PublicKey).ToList();
        var transport = new TlsTransport(new TlsTransportOptions
        {
            NodeKey = Net.Keys[i],
            ChainId = Net.Genesis.ChainId,
            AdmitPeer = key => (admitted.IndexOf(key) is var j and >= 0 && !IsCut(i, j)) || _alsoAdmitted.Contains(key),
        });
        var gossip = new GossipNode($"node-{i}", Chains[i], Pools[i], _options, time: Net.Time, random: new Random(i));
        var peers = dial.Select(j => new PeerAddress(_endpoints[j]!, Net.Keys[j].PublicKey)).ToList();
        var options = new PeerHostOptions
        {
            ListenOn = _endpoints[i] ?? new IPEndPoint(IPAddress.Loopback, 0),
            Peers = peers,
            MinReconnectDelay = TimeSpan.FromMilliseconds(100),
            MaxReconnectDelay = TimeSpan.FromMilliseconds(500),
            MaintainInterval = TimeSpan.FromMilliseconds(200),
        };
        Gossip[i] = gossip;
        Hosts[i] = new PeerHost(gossip, transport, options);
        Hosts[i]!.Start();
        _endpoints[i] = Hosts[i]!.LocalEndPoint;
    }

    /// <summary>Cuts every link between the two groups: new handshakes are refused and open links closed.</summary>
    public async Task PartitionAsync(int[] a, int[] b)
    {
        lock (_cutGate)
        {
            foreach (var i in a)
            {
                foreach (var j in b)
                {
                    _cuts.Add((i, j));
                    _cuts.Add((j, i));
                }
            }
        }

        foreach (var i in a.Concat(b))
        {
            var others = (a.Contains(i) ? b : a).Select(j => Net.Keys[j].PublicKey.ToAddress().ToString()).ToHashSet();
            await Hosts[i]!.InvokeAsync(g =>
            {
                foreach (var p in g.Peers.Where(p => others.Contains(p.Link.RemoteName)))
                {
                    p.Link.Close();
                }

                return 0;
            });
        }

        await WaitUntilAsync(() => a.All(i => Hosts[i]!.ConnectedPeers.Count == a.Length - 1) && b.All(i => Hosts[i]!.ConnectedPeers.Count == b.Length - 1), "the partition");
    }

    /// <summary>Heals every cut; the dial loops reconnect with their backoff.</summary>
    public Task HealAsync()
    {
        lock (_cutGate)
        {
            _cuts.Clear();
        }

        return WaitUntilAsync(() => Running.All(i => Hosts[i]!.ConnectedPeers.Count == Running.Count() - 1), "the healed mesh");
    }

    /// <summary>Node <paramref name="miner"/> mines one block on its tip with what its pool holds, and publishes it.</summary>
    public async Task<Block> MineAsync(int miner, Action? beforePublish = null)
    {
        var key = Net.Keys[miner];
        var engine = EnhancedProofOfWorkEngine.Instance;
        var (template, txs, target) = await Hosts[miner]!.InvokeAsync(g =>
        {
            Net.Time.Advance(TimeSpan.FromSeconds(1));
            var limits = g.Chain.Genesis.Limits;
            var txs = Pools[miner].SelectForBlock(limits.MaxTransactionsPerBlock, limits.MaxBlockBytes - (64 * 1024));
            var template = g.Chain.CreateTemplate(key.PublicKey, txs, Net.Threshold);
            return (template, txs, engine.GetEffectiveTarget(key.PublicKey, g.Chain.GetView(g.Chain.GetEntry(template.PreviousHash)!)));
        });
        var sealedHeader = engine.CreateSealer(SimdNonceSearcher.Instance).Seal(template, target, key).Header!;
        var block = new Block(sealedHeader, txs);
        var r = await Hosts[miner]!.InvokeAsync(g =>
        {
            beforePublish?.Invoke();
            return g.PublishBlock(block);
        });
        Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected), r.Validation.ToString());
        return block;
    }

    /// <summary>Each listed node casts the finality vote for its tip (never a double or surround vote) and publishes it.</summary>
    public async Task AttestAsync(IEnumerable<int> nodes)
    {
        foreach (var n in nodes)
        {
            var vote = Chains[n].CreateVote();
            if (vote is null || !Net.Votes[n].TryAllow(vote))
            {
                continue;
            }

            var tx = Transaction.Create(Net.Keys[n], Net.Genesis.ChainId, 0, Net.Time.NowMs, vote);
            await Hosts[n]!.InvokeAsync(g => g.PublishTransaction(tx));
        }
    }

    /// <summary>A valid block on node <paramref name="miner"/>'s tip, sealed but neither added nor published.</summary>
    public Block SealDetached(int miner)
    {
        var engine = EnhancedProofOfWorkEngine.Instance;
        var key = Net.Keys[miner];
        var chain = Chains[miner];
        var template = chain.CreateTemplate(key.PublicKey, [], Net.Threshold);
        return new Block(engine.CreateSealer(SimdNonceSearcher.Instance).Seal(template, engine.GetEffectiveTarget(key.PublicKey, chain.TipView), key).Header!, []);
    }

    /// <summary>Mines <paramref name="count"/> blocks on <paramref name="chain"/> (not through any host), miners in turn.</summary>
    public void BuildOffline(Blockchain chain, int count, Func<int, IReadOnlyList<Transaction>>? transactions = null)
    {
        var engine = EnhancedProofOfWorkEngine.Instance;
        var sealer = engine.CreateSealer(SimdNonceSearcher.Instance);
        for (var i = 0; i < count; i++)
        {
            Net.Time.Advance(TimeSpan.FromSeconds(1));
            var key = Net.Keys[i % Net.Keys.Length];
            var txs = transactions?.Invoke(i) ?? [];
            var template = chain.CreateTemplate(key.PublicKey, txs, Net.Threshold);
            var header = sealer.Seal(template, engine.GetEffectiveTarget(key.PublicKey, chain.TipView), key).Header!;
            var r = chain.AddBlock(new Block(header, txs));
            Assert.That(r.Status, Is.EqualTo(BlockStatus.Connected), r.Validation.ToString());
        }
    }

    /// <summary>Publishes a transaction at node <paramref name="at"/>.</summary>
    public Task<AdmissionResult> SubmitAsync(int at, Transaction tx) => Hosts[at]!.InvokeAsync(g => g.PublishTransaction(tx));

    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Timeout);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"timed out waiting for: {what}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits (at most 3 s, without failing) for something that usually happens quickly.</summary>
    public async Task SettleAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Waits until the listed nodes share one tip and returns it.</summary>
    public async Task<ChainEntry> ConvergedAsync(IEnumerable<int> nodes, string what)
    {
        var list = nodes.ToList();
        await WaitUntilAsync(() => list.Select(i => Chains[i].Tip.Hash).Distinct().Count() == 1, what);
        return Chains[list[0]].Tip;
    }

    public async Task StopAsync(int i)
    {
        if (Hosts[i] is { } h)
        {
            Hosts[i] = null;
            await h.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var i in Running.ToList())
        {
            await StopAsync(i);
        }
    }

    private bool IsCut(int i, int j)
    {
        lock (_cutGate)
        {
            return _cuts.Contains((i, j));
        }
    }
}

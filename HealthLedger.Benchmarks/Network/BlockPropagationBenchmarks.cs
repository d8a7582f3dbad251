using BenchmarkDotNet.Attributes;
using HealthLedger.Benchmarks.Core;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Storage;

namespace HealthLedger.Benchmarks.Network;

/// <summary>
/// Network throughput without sockets: a run of blocks published at one <see cref="GossipNode"/> of a full mesh of
/// four over the <see cref="InMemoryNetwork"/> (announce, fetch, full validation with cold signature caches, relay), per
/// block until every node has connected it; the baseline connects the same blocks on one chain with no peers, so the
/// ratio is what gossip and three more validations cost. Sockets and TLS are in the report's "network" section.
/// </summary>
[MemoryDiagnoser]
public class BlockPropagationBenchmarks
{
    private const int Blocks = 10;
    private const int Nodes = 4;
    private List<Block> _blocks = [];
    private GossipNode[] _nodes = [];
    private Blockchain _alone = null!;
    private InMemoryNetwork _network = null!;

    /// <summary>Signed transactions per block (patient registrations the receivers have not seen).</summary>
    [Params(0, 100)]
    public int TransactionsPerBlock { get; set; }

    /// <summary>Builds the blocks once.</summary>
    [GlobalSetup]
    public void Setup() => _blocks = BenchChain.BuildChain(Blocks, TransactionsPerBlock);

    /// <summary>Fresh chains (genesis only) for the baseline.</summary>
    [IterationSetup(Target = nameof(ConnectOnOneNode))]
    public void AloneSetup() => _alone = BenchChain.Open(new InMemoryBlockStore());

    /// <summary>Fresh chains, pools and a connected, handshaken full mesh of four gossip nodes.</summary>
    [IterationSetup(Target = nameof(PropagateToFourNodes))]
    public void MeshSetup()
    {
        _network = new InMemoryNetwork();
        _nodes = [.. Enumerable.Range(0, Nodes).Select(i =>
        {
            var chain = BenchChain.Open(new InMemoryBlockStore());
            return new GossipNode($"n{i}", chain, new TransactionPool(chain));
        })];
        for (var a = 0; a < Nodes; a++)
        {
            for (var b = a + 1; b < Nodes; b++)
            {
                var (ab, ba) = _network.Connect(_nodes[a].Name, _nodes[b].Name);
                _nodes[a].Attach(ab);
                _nodes[b].Attach(ba);
            }
        }

        _network.Pump();
    }

    /// <summary>The blocks connected on one chain, no network.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Blocks)]
    public ulong ConnectOnOneNode()
    {
        foreach (var block in _blocks)
        {
            Require(_alone.AddBlock(block).IsAccepted);
        }

        return _alone.Height;
    }

    /// <summary>Each block published at node 0 and pumped until all four nodes have connected it.</summary>
    [Benchmark(OperationsPerInvoke = Blocks)]
    public ulong PropagateToFourNodes()
    {
        foreach (var block in _blocks)
        {
            Require(_nodes[0].PublishBlock(block).IsAccepted);
            _network.Pump();
            foreach (var node in _nodes)
            {
                Require(node.Chain.Tip.Hash == block.Hash);
            }
        }

        return _nodes[^1].Chain.Height;
    }

    private static void Require(bool condition)
    {
        if (!condition)
        {
            throw new InvalidOperationException("a block did not reach every node");
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Network.Hosting;
using HealthLedger.Node;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>What network to start.</summary>
/// <param name="Validators">Mining, voting validators (each a <see cref="LedgerNode"/>).</param>
/// <param name="Threshold">The per-block threshold k every miner writes (the quorum floor ⌊2N/3⌋ + 1 applies whatever it says).</param>
/// <param name="DifficultyLevel">Fixed proof-of-work difficulty level.</param>
/// <param name="Label">Distinguishes the keys and the chain of one run from another's.</param>
internal sealed record ClusterSpec(int Validators, ushort Threshold, int DifficultyLevel, string Label, int? VoteDepth = null, TimeSpan? VoteDelay = null);

/// <summary>
/// Real nodes in this process: <see cref="LedgerNode"/>s (crash-safe file stores, TLS 1.3 <see cref="PeerHost"/>s on
/// 127.0.0.1 in a full mesh, SIMD proof-of-work miners, finality votes), a provider and a patient to register devices
/// for. Records when each block was first connected by any node and when node 0 saw it final.
/// </summary>
internal sealed class NodeCluster : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Hash256, long> _connected = new();
    private readonly ConcurrentDictionary<Hash256, long> _final = new();
    private ulong _recordedFinal;
    private readonly Dictionary<Address, ulong> _sequences = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly PeerAddress?[] _endpoints;
    private Task? _finalityWatch;

    private NodeCluster(ClusterSpec spec, string directory)
    {
        Spec = spec;
        Directory = directory;
        ValidatorKeys = [.. Enumerable.Range(0, spec.Validators).Select(i => KeyPair.FromLabel($"report-{spec.Label}-validator-{i}"))];
        Providers = [.. Enumerable.Range(0, 4).Select(i => KeyPair.FromLabel($"report-{spec.Label}-provider-{i}"))];
        Patient = KeyPair.FromLabel($"report-{spec.Label}-patient");
        Genesis = new GenesisConfig
        {
            ChainId = 900 + (uint)(spec.Label.GetHashCode(StringComparison.Ordinal) & 0xffff),
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel($"report-{spec.Label}-authority").PublicKey],
            InitialNodes =
            [
                .. ValidatorKeys.Select((k, i) => new GenesisNode(k.PublicKey, NodeRoles.Validator, $"v{i}")),
                .. Providers.Select((k, i) => new GenesisNode(k.PublicKey, NodeRoles.Provider, $"provider-{i}")),
            ],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(spec.DifficultyLevel), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
            MinThreshold = 1,
            MaxThreshold = (ushort)spec.Validators,
        };
        Nodes = new LedgerNode?[spec.Validators];
        _endpoints = new PeerAddress?[spec.Validators];
    }

    public ClusterSpec Spec { get; }

    public string Directory { get; }

    public GenesisConfig Genesis { get; }

    public KeyPair[] ValidatorKeys { get; }

    public KeyPair[] Providers { get; }

    public KeyPair Patient { get; }

    /// <summary>The nodes; null once crashed.</summary>
    public LedgerNode?[] Nodes { get; }

    /// <summary>Node 0, which is never crashed: the observer of finality.</summary>
    public LedgerNode Observer => Nodes[0]!;

    public static async Task<NodeCluster> StartAsync(ClusterSpec spec, string workDirectory)
    {
        var cluster = new NodeCluster(spec, Path.Combine(workDirectory, spec.Label + "-" + Guid.NewGuid().ToString("N")[..8]));
        try
        {
            for (var i = 0; i < spec.Validators; i++)
            {
                await cluster.StartNodeAsync(i, [.. cluster._endpoints.Take(i).OfType<PeerAddress>()]).ConfigureAwait(false);
            }

            cluster._finalityWatch = Task.Run(cluster.WatchFinalityAsync);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts node <paramref name="index"/> again on its store, dialling every other live node; returns it.</summary>
    public async Task<LedgerNode> RestartAsync(int index)
    {
        var peers = _endpoints.Where((e, i) => i != index && e is not null && Nodes[i] is not null).OfType<PeerAddress>().ToList();
        return await StartNodeAsync(index, peers).ConfigureAwait(false);
    }

    private async Task<LedgerNode> StartNodeAsync(int i, IReadOnlyList<PeerAddress> peers)
    {
        var defaults = new LedgerNodeOptions { Genesis = Genesis, NodeKey = ValidatorKeys[i], DataDirectory = "" };
        var node = LedgerNode.Create(new LedgerNodeOptions
        {
            Genesis = Genesis,
            NodeKey = ValidatorKeys[i],
            DataDirectory = Path.Combine(Directory, $"node-{i}"),
            ListenOn = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = [.. peers],
            Threshold = Spec.Threshold,
            Index = false,
            VoteDepth = Spec.VoteDepth ?? defaults.VoteDepth,
            VoteDelay = Spec.VoteDelay ?? defaults.VoteDelay,
            PeerHost = new PeerHostOptions { MinReconnectDelay = TimeSpan.FromMilliseconds(100), MaxReconnectDelay = TimeSpan.FromSeconds(1) },
        });
        Nodes[i] = node;
        node.Chain.BlockConnected += OnConnected;
        await node.StartAsync().ConfigureAwait(false);
        _endpoints[i] = new PeerAddress(node.ListenEndPoint!, ValidatorKeys[i].PublicKey);
        return node;
    }

    /// <summary>Stops node <paramref name="index"/> (its store stays; <see cref="RestartAsync"/> brings it back).</summary>
    public async Task CrashAsync(int index)
    {
        if (Nodes[index] is { } node)
        {
            Nodes[index] = null;
            node.Chain.BlockConnected -= OnConnected;
            await node.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; true when it held.</summary>
    public static async Task<bool> WaitUntil(Func<bool> condition, TimeSpan timeout, int pollMs = 10)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(pollMs).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Signs the next transaction of <paramref name="sender"/> (sequences counted here, one submitter per sender).</summary>
    public Transaction Sign(KeyPair sender, TransactionPayload payload)
    {
        var sequence = _sequences.GetValueOrDefault(sender.Address);
        _sequences[sender.Address] = sequence + 1;
        return Transaction.Create(sender, Genesis.ChainId, sequence, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), payload);
    }

    /// <summary>A device registration for the patient by provider <c>i mod 4</c>.</summary>
    public Transaction RegisterDevice(KeyPair device, int i)
    {
        var provider = Providers[i % Providers.Length];
        return Sign(provider, new DeviceRegistration(device.PublicKey, Patient.Address, DeviceClass.Wearable, device.Sign(DeviceRegistration.ProofOfPossessionMessage(Genesis.ChainId, device.PublicKey, Patient.Address, provider.Address))));
    }

    /// <summary>Registers the patient and waits until node 0's tip holds it.</summary>
    public async Task RegisterPatientAsync(TimeSpan timeout)
    {
        var tx = Sign(Patient, new PatientRegistration(Hash256.Sha256(Encoding.UTF8.GetBytes(Spec.Label))));
        var r = await Observer.SubmitAsync(tx).ConfigureAwait(false);
        if (!r.Accepted || !await WaitUntil(() => Observer.Chain.State.GetPatient(Patient.Address) is not null, timeout).ConfigureAwait(false))
        {
            throw new TimeoutException($"The patient registration was not mined within {timeout.TotalSeconds} s ({r.Validation}).");
        }
    }

    /// <summary>The height up to which <see cref="FinalBlocks"/> holds node 0's final blocks (the watcher polls every 5 ms, so it trails the chain's own last final block by up to a poll).</summary>
    public ulong RecordedFinalHeight => Volatile.Read(ref _recordedFinal);

    /// <summary>(first connected anywhere, final at node 0) Stopwatch timestamps of every block node 0 saw final.</summary>
    public IReadOnlyList<(ulong Height, long Connected, long Final)> FinalBlocks() =>
        [.. _final.Select(f => (Observer.Chain.GetEntry(f.Key)?.Height ?? 0, _connected.GetValueOrDefault(f.Key), f.Value)).Where(b => b.Item2 != 0).OrderBy(b => b.Item1)];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_finalityWatch is not null)
        {
            await _finalityWatch.ConfigureAwait(false);
        }

        for (var i = Nodes.Length - 1; i >= 0; i--)
        {
            await CrashAsync(i).ConfigureAwait(false);
        }

        _stop.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // left to the report's scratch clean-up
        }
    }

    private void OnConnected(ChainEntry entry) => _connected.TryAdd(entry.Hash, Stopwatch.GetTimestamp());

    private async Task WatchFinalityAsync()
    {
        ulong seen = 0;
        while (!_stop.IsCancellationRequested)
        {
            var final = Nodes[0]?.Chain.LastFinal;
            if (final is not null && final.Height > seen)
            {
                var now = Stopwatch.GetTimestamp();
                for (var e = final; e is not null && e.Height > seen; e = e.Parent)
                {
                    _final.TryAdd(e.Hash, now);
                }

                seen = final.Height;
                Volatile.Write(ref _recordedFinal, seen);
            }

            try
            {
                await Task.Delay(5, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Milliseconds between two Stopwatch timestamps.</summary>
    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;
}

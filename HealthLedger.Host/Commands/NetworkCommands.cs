using System.CommandLine;
using System.Globalization;
using HealthLedger.Api;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Consensus.Engines;
using HealthLedger.Host.Configuration;
using HealthLedger.Node;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace HealthLedger.Host.Commands;

/// <summary><c>init</c>, <c>node run</c>, <c>chain verify</c> and <c>keys</c>: set up and run real nodes.</summary>
internal static class NetworkCommands
{
    public static IEnumerable<Command> Create()
    {
        yield return CreateInit();
        yield return CreateNode();
        yield return CreateChain();
        yield return CreateKeys();
    }

    /// <summary>
    /// <c>init --nodes N --dir D</c>: an authority key, a genesis with N validators (the first also a provider and a
    /// gateway), and for each node a key, a data directory and a configuration that listens on loopback and dials the
    /// nodes before it.
    /// </summary>
    private static Command CreateInit()
    {
        var nodes = new Option<int>("--nodes") { Description = "Number of validator nodes.", DefaultValueFactory = _ => 4 };
        var dir = new Option<string>("--dir") { Description = "Directory to create (must not exist).", Required = true };
        var consensus = new Option<string>("--consensus") { Description = "pow or epow.", DefaultValueFactory = _ => "epow" };
        var difficulty = new Option<int>("--difficulty") { Description = "Initial difficulty level (leading zero hex digits); ASERT retargets from there.", DefaultValueFactory = _ => 6 };
        var interval = new Option<int>("--block-interval-ms") { Description = "Target block interval in milliseconds.", DefaultValueFactory = _ => 2_000 };
        var basePort = new Option<int>("--base-port") { Description = "Peer port of node 0 (node i uses base + i), on 127.0.0.1.", DefaultValueFactory = _ => 47_100 };
        var apiPort = new Option<int>("--api-port") { Description = "API port of node 0 (node i uses base + i), on 127.0.0.1.", DefaultValueFactory = _ => 47_200 };
        var chainId = new Option<uint>("--chain-id") { Description = "Chain id.", DefaultValueFactory = _ => 1 };
        var ipfs = new Option<string?>("--ipfs") { Description = "Kubo RPC endpoint of an IPFS node for the encrypted records (e.g. http://127.0.0.1:5001); default: a local store under each node's data directory." };
        var keepBodies = new Option<long?>("--keep-recent-bodies") { Description = "Pruning: each node keeps the bodies of only this many recent blocks (every header stays); default: every body." };
        var command = new Command("init", "Create keys, a genesis and node configurations for a local network.") { nodes, dir, consensus, difficulty, interval, basePort, apiPort, chainId, ipfs, keepBodies };
        command.SetAction(parse =>
        {
            var root = parse.GetValue(dir)!;
            if (Directory.Exists(root))
            {
                Console.Error.WriteLine($"{root} exists; choose a new directory.");
                return 2;
            }

            var n = parse.GetValue(nodes);
            if (parse.GetValue(keepBodies) is < 1)
            {
                Console.Error.WriteLine("--keep-recent-bodies must be at least 1.");
                return 2;
            }

            var records = new RecordsFile { Directory = "data/records", Ipfs = parse.GetValue(ipfs) };
            try
            {
                _ = records.ToOptions(root);
            }
            catch (InvalidDataException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }

            Directory.CreateDirectory(root);
            using var authority = KeyPair.Generate();
            NetworkFiles.WriteKey(Path.Combine(root, "authority.key"), authority);
            var keys = Enumerable.Range(0, n).Select(_ => KeyPair.Generate()).ToArray();
            var engine = parse.GetValue(consensus) == "pow" ? ConsensusEngineId.ProofOfWork : ConsensusEngineId.EnhancedProofOfWork;
            var genesis = new GenesisConfig
            {
                ChainId = parse.GetValue(chainId),
                TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
                Authorities = [authority.PublicKey],
                InitialNodes = [.. keys.Select((k, i) => new GenesisNode(k.PublicKey, i == 0 ? NodeRoles.Validator | NodeRoles.Provider | NodeRoles.Gateway : NodeRoles.Validator, i == 0 ? "hospital" : $"clinic-{i}"))],
                Engine = engine,
                Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(parse.GetValue(difficulty)), TargetBlockIntervalMs = parse.GetValue(interval) },
                MinThreshold = 1,
                MaxThreshold = (ushort)Math.Max(1, n),
            };
            NetworkFiles.WriteJson(Path.Combine(root, "genesis.json"), GenesisFile.From(genesis));
            for (var i = 0; i < n; i++)
            {
                var nodeDir = Path.Combine(root, $"node-{i}");
                Directory.CreateDirectory(nodeDir);
                NetworkFiles.WriteKey(Path.Combine(nodeDir, "node.key"), keys[i]);
                NetworkFiles.WriteJson(Path.Combine(nodeDir, "config.json"), new NodeConfigFile
                {
                    Genesis = "../genesis.json",
                    Key = "node.key",
                    Data = "data",
                    Listen = $"127.0.0.1:{parse.GetValue(basePort) + i}",
                    Api = $"http://127.0.0.1:{parse.GetValue(apiPort) + i}",
                    Peers = [.. Enumerable.Range(0, i).Select(j => new PeerFile($"127.0.0.1:{parse.GetValue(basePort) + j}", Convert.ToHexStringLower(keys[j].PublicKey.ToArray())))],
                    Detector = new DetectorFile(),
                    OperatorTokenFile = "operator.token",
                    Records = records,
                    KeepRecentBodies = parse.GetValue(keepBodies),
                });
                NetworkFiles.WriteOperatorToken(Path.Combine(nodeDir, "operator.token"));
                keys[i].Dispose();
            }

            Console.WriteLine($"Created {n} nodes in {root}: run each with `healthledger node run --config {Path.Combine(root, "node-0", "config.json")}` (and node-1, ...).");
            return 0;
        });
        return command;
    }

    /// <summary><c>node run --config FILE</c>: the node and its HTTP API until Ctrl+C or SIGTERM.</summary>
    private static Command CreateNode()
    {
        var config = new Option<string>("--config") { Description = "The node's configuration file.", Required = true };
        var parent = new Option<int?>("--exit-with-parent") { Description = "Stop when the process with this id exits (used by the demo, so no node outlives it).", Hidden = true };
        var run = new Command("run", "Run a node and its HTTP API (bound to the configured address, loopback by default).") { config, parent };
        run.SetAction(async (parse, cancellationToken) =>
        {
            using var orphaned = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (parse.GetValue(parent) is { } parentId)
            {
                _ = WatchParentAsync(parentId, orphaned);
            }

            cancellationToken = orphaned.Token;
            var loaded = NetworkFiles.LoadNode(parse.GetValue(config)!);
            using var gate = NodeGate.Create(loaded.File.Detector, loaded.ConfigDirectory, TimeProvider.System);
            var options = gate is null ? loaded.Options : loaded.Options with { Gates = [.. loaded.Options.Gates, gate.Filter] };
            var api = loaded.ApiUrl;
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls(api);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Services.AddHealthLedgerNode(options);
            builder.Services.AddHealthLedgerApi(new HealthLedgerApiOptions { OperatorToken = loaded.ReadOperatorToken() });
            // GET /metrics: the node's meter (head height, finality lag, peers, mempool, admissions by outcome, mining) for Prometheus.
            builder.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(LedgerNode.MeterName).AddPrometheusExporter());
            await using var app = builder.Build();
            app.MapHealthLedgerApi();
            app.MapPrometheusScrapingEndpoint();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"node {options.NodeKey.Address} listening for peers on {options.ListenOn}, API on {api}");
            Console.WriteLine(options.Records is not { } records
                ? "records: off (no records section)"
                : records.IpfsEndpoint is { } ipfs ? $"records: IPFS at {ipfs}" : $"records: local store {records.Directory ?? Path.Combine(options.DataDirectory, "records")}");
            Console.WriteLine(gate is null
                ? "ingestion gate: off (detector.enabled is false)"
                : string.Create(CultureInfo.InvariantCulture, $"ingestion gate: {gate.Detector.ModelId} from {gate.Source}, threshold {gate.Detector.Threshold:F4}{(loaded.File.Detector?.Threshold is null ? " (the model's operating points by history)" : " (fixed)")}"));
            await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            return 0;
        });
        var node = new Command("node", "Run a node.");
        node.Subcommands.Add(run);
        return node;
    }

    /// <summary>Cancels <paramref name="stop"/> when the process <paramref name="parentId"/> is gone (polled every 500 ms).</summary>
    private static async Task WatchParentAsync(int parentId, CancellationTokenSource stop)
    {
        while (!stop.IsCancellationRequested)
        {
            bool alive;
            try
            {
                using var p = System.Diagnostics.Process.GetProcessById(parentId);
                alive = !p.HasExited;
            }
            catch (ArgumentException)
            {
                alive = false;
            }

            if (!alive)
            {
                Console.WriteLine($"parent process {parentId} is gone: stopping");
                await stop.CancelAsync().ConfigureAwait(false);
                return;
            }

            try
            {
                await Task.Delay(500, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary><c>chain verify --config FILE</c>: full re-validation of a stopped node's block store.</summary>
    private static Command CreateChain()
    {
        var config = new Option<string>("--config") { Description = "The node's configuration file (genesis and data directory).", Required = true };
        var verify = new Command("verify", "Re-validate every stored block as from an untrusted peer and report the first problem.") { config };
        verify.SetAction(parse =>
        {
            var options = NetworkFiles.LoadNode(parse.GetValue(config)!).Options;
            using var store = FileBlockStore.Open(Path.Combine(options.DataDirectory, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(options.Genesis) });
            if (store.FirstRetainedSequence > 0)
            {
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"This node is pruned: the bodies of its first {store.FirstRetainedSequence} stored blocks are gone, so its chain cannot be re-validated from genesis. Verify a node that keeps every body (no keepRecentBodies in its configuration)."));
                return 2;
            }

            var report = ChainVerifier.Verify(options.Genesis, ConsensusEngines.Create(options.Genesis), store);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{report.Blocks} stored blocks read in {report.Elapsed.TotalSeconds:0.00} s; tip #{report.Tip.Height} {report.Tip.Hash}, last final #{report.LastFinal.Height}"));
            if (report.Valid)
            {
                Console.WriteLine("valid");
                return 0;
            }

            Console.WriteLine($"INVALID: stored block #{report.FirstProblemSequence} {report.FirstProblemHash}: {report.Problem}");
            return 1;
        });
        var chain = new Command("chain", "Inspect a node's chain.");
        chain.Subcommands.Add(verify);
        return chain;
    }

    /// <summary><c>keys new --out FILE</c> and <c>keys show --key FILE</c>.</summary>
    private static Command CreateKeys()
    {
        var output = new Option<string>("--out") { Description = "Key file to create (owner-only permissions).", Required = true };
        var create = new Command("new", "Create an Ed25519 identity key.") { output };
        create.SetAction(parse =>
        {
            using var key = KeyPair.Generate();
            NetworkFiles.WriteKey(parse.GetValue(output)!, key);
            Console.WriteLine($"{key.Address} {Convert.ToHexStringLower(key.PublicKey.ToArray())}");
            return 0;
        });
        var file = new Option<string>("--key") { Description = "Key file.", Required = true };
        var show = new Command("show", "Print a key file's address and public key.") { file };
        show.SetAction(parse =>
        {
            using var key = NetworkFiles.ReadKey(parse.GetValue(file)!);
            Console.WriteLine($"{key.Address} {Convert.ToHexStringLower(key.PublicKey.ToArray())}");
            return 0;
        });
        var keys = new Command("keys", "Manage identity keys.");
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(show);
        return keys;
    }
}

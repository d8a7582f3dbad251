using System.Diagnostics;
using System.Globalization;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Storage.RocksDb;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// Issue 16 measured: chains of N blocks of record anchors (55 per block from 1,000 devices of 100 patients, plus four
/// finality votes per block so that finality follows two blocks behind the tip), built through <see cref="Blockchain"/>
/// on a <see cref="FileBlockStore"/> with the chain state in RocksDB, then reopened in a fresh process. Reports per size:
/// append time per block (p50, p99), resident memory and managed heap while following and after a cold start, disk
/// bytes per anchor, cold start time and blocks replayed, and point queries on the state.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- scale --blocks 10000,100000 [--anchors 55] [--keep-bodies N] [--dir path] [--keep]</c>.
/// Signatures are "pre-checked": the chain is given a signature scheme that accepts every signature, so only the
/// ledger's own costs show (Ed25519 costs are measured elsewhere). Proof of work at difficulty level 1.
/// The block store fsyncs in batches and RocksDB writes without fsync while building (a durable node pays one fsync
/// per block on each; docs/storage.md has those costs).
/// </remarks>
internal static class ChainScaleHarness
{
    private const uint ChainId = 44;
    private const int Devices = 1_000;
    private const int Patients = 100;
    private const int DefaultAnchorsPerBlock = 55;

    private static readonly PublicKey Provider = Key("provider");
    private static readonly PublicKey[] Validators = [.. Enumerable.Range(0, 5).Select(i => Key($"validator-{i}"))];

    private static GenesisConfig Genesis { get; } = new()
    {
        ChainId = ChainId,
        TimestampMs = 1_700_000_000_000,
        Authorities = [Key("authority")],
        InitialNodes = [new GenesisNode(Provider, NodeRoles.Provider, "provider"), .. Validators.Select((v, i) => new GenesisNode(v, NodeRoles.Validator, $"validator-{i}"))],
        Engine = ConsensusEngineId.ProofOfWork,
        Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true, MaxFutureDriftMs = long.MaxValue / 4 },
        Limits = new LedgerLimits { MaxTransactionsPerBlock = 5_000, MaxBlockBytes = 8 * 1024 * 1024 },
    };

    public static int Run(string[] args)
    {
        if (args is ["open", var openDir])
        {
            return Open(openDir);
        }

        if (args is ["crash-child", var crashDir, .. var crashArgs])
        {
            return CrashChild(crashDir, crashArgs);
        }

        var root = Report.ReportCommand.FindRepositoryRoot();
        var results = Arg(args, "--results", Path.Combine(root, "docs", "data", "chain-scale"));
        var doc = Arg(args, "--doc", Path.Combine(root, "docs", "benchmarks.md"));
        if (args is ["render", ..])
        {
            ChainScaleResults.Render(results, doc);
            return 0;
        }

        if (args is ["reopen", var existing, ..])
        {
            // Re-measures the restart of a directory kept by an earlier run (--keep) with this build, and updates its result.
            var file = ChainScaleResults.FileFor(results, existing);
            var earlier = ChainScaleResults.Read(file) ?? throw new InvalidOperationException($"no result {file} for {existing}");
            var reopened = earlier with { Restart = Restarts(existing, int.Parse(Arg(args, "--restarts", "3"), CultureInfo.InvariantCulture)), RestartCommit = Report.RunInfo.Commit(root), RestartLoad = Report.RunInfo.LoadAverage(), RestartDate = DateTimeOffset.UtcNow };
            ChainScaleResults.Write(file, reopened);
            ChainScaleResults.Render(results, doc);
            Console.WriteLine(File.ReadAllText(file));
            return 0;
        }

        var sizes = Arg(args, "--blocks", "10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var dirRoot = Arg(args, "--dir", Path.Combine(Environment.GetEnvironmentVariable("HEALTHLEDGER_BENCH_DIR") ?? Path.GetTempPath(), "hl-scale"));
        var keepBodies = args.Contains("--keep-bodies") ? long.Parse(Arg(args, "--keep-bodies", "0"), CultureInfo.InvariantCulture) : (long?)null;
        var restarts = int.Parse(Arg(args, "--restarts", "3"), CultureInfo.InvariantCulture);
        var commit = Report.RunInfo.Commit(root); // the build's commit, read before the (long) build can outlast it
        var anchorsPerBlock = int.Parse(Arg(args, "--anchors", DefaultAnchorsPerBlock.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        Console.WriteLine($"load before: {Report.RunInfo.LoadAverage()}; {Environment.ProcessorCount} cores; dir {dirRoot}; results {results}");
        foreach (var size in sizes)
        {
            var dir = Path.Combine(dirRoot, size.ToString(CultureInfo.InvariantCulture) + (keepBodies is { } k ? $"-keep{k}" : string.Empty) + (anchorsPerBlock != DefaultAnchorsPerBlock ? $"-a{anchorsPerBlock}" : string.Empty));
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            var started = DateTimeOffset.UtcNow;
            var loadBefore = Report.RunInfo.LoadAverage();
            var build = Build(dir, size, keepBodies, anchorsPerBlock);
            var disk = new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            var result = new ChainScaleResult
            {
                Blocks = size,
                KeepRecentBodies = keepBodies,
                Directory = dir,
                Command = $"dotnet run -c Release --project HealthLedger.Benchmarks -- scale --blocks {size}{(keepBodies is { } kb ? $" --keep-bodies {kb}" : string.Empty)}{(anchorsPerBlock != DefaultAnchorsPerBlock ? $" --anchors {anchorsPerBlock}" : string.Empty)}",
                AnchorsPerBlock = anchorsPerBlock,
                Date = started,
                Commit = commit,
                Machine = Report.RunInfo.Machine(),
                LoadBefore = loadBefore,
                LoadAfterBuild = Report.RunInfo.LoadAverage(),
                BuildSeconds = (DateTimeOffset.UtcNow - started).TotalSeconds,
                Build = build,
                DiskBytes = disk,
                Restart = Restarts(dir, restarts),
                RestartCommit = null,
                RestartLoad = Report.RunInfo.LoadAverage(),
                RestartDate = DateTimeOffset.UtcNow,
            };
            var file = ChainScaleResults.FileFor(results, dir);
            ChainScaleResults.Write(file, result);
            Console.WriteLine(File.ReadAllText(file));
            if (!args.Contains("--keep"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        ChainScaleResults.Render(results, doc);
        Console.WriteLine($"load after: {Report.RunInfo.LoadAverage()}; section chain-scale-results of {doc} rewritten from {results}");
        return 0;
    }

    /// <summary>Restarts the chain <paramref name="count"/> times, each in a fresh process so its memory is its own.</summary>
    private static ChainScaleRestarts Restarts(string dir, int count)
    {
        var runs = new List<ChainScaleOpen>();
        for (var i = 0; i < count; i++)
        {
            runs.Add(RunChild(dir));
        }

        return new ChainScaleRestarts(runs);
    }

    private static ChainScaleBuild Build(string dir, int blocks, long? keepBodies, int anchorsPerBlock)
    {
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis), Fsync = FsyncPolicy.Batched });
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"), new RocksDbStoreOptions { SyncWrites = false });
        var chain = OpenChain(store, kv, keepBodies);
        var source = new ScaleBlockSource(chain, anchorsPerBlock);
        var times = new List<double>(blocks);
        var slices = new List<ChainScaleSlice>();
        long anchors = 0;
        for (var b = 1; b <= blocks; b++)
        {
            var (block, blockAnchors) = source.Next(chain);
            anchors += blockAnchors;
            var start = Stopwatch.GetTimestamp();
            var r = chain.AddBlock(block);
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (!r.IsAccepted)
            {
                throw new InvalidOperationException($"block {b}: {r.Validation}");
            }

            if (b % 5_000 == 0)
            {
                var recent = times.Skip(times.Count - 5_000).Order().ToList();
                var slice = new ChainScaleSlice(b, recent[recent.Count / 2], recent[(int)(recent.Count * 0.99)], GC.GetTotalMemory(forceFullCollection: true), Process.GetCurrentProcess().WorkingSet64, Report.RunInfo.LoadAverage());
                slices.Add(slice);
                Console.Error.WriteLine($"  {b:N0} blocks, final #{chain.LastFinal.Height}, last 5,000 appends p50 {slice.P50Ms:F2} ms, {slice.HeapBytes / 1e6:F0} MB heap after GC, RSS {slice.RssBytes / 1e6:F0} MB, load {slice.Load}");
            }
        }

        store.Flush();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var rss = Process.GetCurrentProcess().WorkingSet64;
        GC.KeepAlive(chain); // measured while the chain is alive
        times.Sort();
        return new ChainScaleBuild(anchors, times[times.Count / 2], times[(int)(times.Count * 0.99)], rss, heap, slices);
    }

    /// <summary>The cold start, in a fresh process so its memory is its own.</summary>
    private static ChainScaleOpen RunChild(string dir)
    {
        var host = Environment.ProcessPath!;
        var info = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            info.ArgumentList.Add(typeof(ChainScaleHarness).Assembly.Location);
        }

        info.ArgumentList.Add("scale");
        info.ArgumentList.Add("open");
        info.ArgumentList.Add(dir);
        using var child = Process.Start(info)!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"the restart failed ({child.ExitCode}): {output}");
        }

        return ChainScaleResults.ParseOpen(output);
    }

    private static int Open(string dir)
    {
        // Once per process, whatever the chain: load RocksDB's native library (and JIT its bindings) on an empty store,
        // so the timings below are the stores' own; the load is reported beside them.
        var load = Stopwatch.StartNew();
        var empty = Path.Combine(Path.GetTempPath(), "hl-scale-warmup-" + Environment.ProcessId);
        using (RocksDbKeyValueStore.Open(empty, new RocksDbStoreOptions { SyncWrites = false }))
        {
        }

        Directory.Delete(empty, recursive: true);
        var nativeLoad = load.Elapsed;
        var sw = Stopwatch.StartNew();
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis) });
        var storeOpen = sw.Elapsed;
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"));
        var stateOpen = sw.Elapsed - storeOpen;
        var chain = OpenChain(store, kv);
        var open = sw.Elapsed;
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var rss = Process.GetCurrentProcess().WorkingSet64;
        GC.KeepAlive(chain);

        // Point queries on the state: 1,000 random records by ciphertext hash, devices and sequences.
        var rng = new Random(1);
        var anchors = Math.Max(1, chain.State.RecordTotal);
        var q = Stopwatch.StartNew();
        const int Queries = 1_000;
        for (var i = 0; i < Queries; i++)
        {
            var n = rng.NextInt64(anchors);
            var record = chain.State.GetRecord(Hash256.Sha256(BitConverter.GetBytes(n))) ?? throw new InvalidOperationException($"record {n} missing");
            _ = chain.State.GetDevice(record.Device) ?? throw new InvalidOperationException("device missing");
            _ = chain.State.GetNextSequence(record.Device);
        }

        var perQuery = q.Elapsed.TotalMicroseconds / Queries;
        var oldBlock = Stopwatch.StartNew();
        bool oldPruned;
        try
        {
            _ = chain.GetBestAt(chain.Tip.Height / 2)!.Block;
            oldPruned = false;
        }
        catch (BlockPrunedException)
        {
            oldPruned = true;
        }

        var oldMs = oldBlock.Elapsed.TotalMilliseconds;

        // The first lookup of an unknown hash (every new block's duplicate check) loads the sealed segments' Bloom filters.
        var miss = Stopwatch.StartNew();
        _ = store.Contains(Hash256.Sha256("not stored"u8));
        var firstMiss = miss.Elapsed.TotalMilliseconds;
        miss.Restart();
        _ = store.Contains(Hash256.Sha256("not stored either"u8));
        var nextMiss = miss.Elapsed.TotalMicroseconds;
        var result = new ChainScaleOpen(
            nativeLoad.TotalMilliseconds, open.TotalMilliseconds, storeOpen.TotalMilliseconds, stateOpen.TotalMilliseconds, store.OpenCost.SegmentsScanned, store.OpenReport.SegmentCount, store.OpenCost.SegmentBytesScanned,
            chain.LastReplay.Blocks, chain.LastReplay.FromHeight, chain.Tip.Height, rss, heap, perQuery, oldMs, oldPruned, firstMiss, store.IndexFilesLoaded, nextMiss,
            Process.GetCurrentProcess().WorkingSet64, Report.RunInfo.LoadAverage(), store.BloomFilesLoaded);
        Console.WriteLine(ChainScaleResults.FormatOpen(result));
        return 0;
    }

    /// <summary>
    /// <c>scale crash-child DIR [--anchors N] [--keep-bodies K] [--segment-size BYTES]</c>: opens (or creates) the chain in
    /// DIR with durable settings (the block store fsyncs every append, RocksDB every batch: a node's defaults), prints
    /// <c>OPEN &lt;tip&gt; &lt;final&gt;</c>, then appends blocks for ever, printing <c>ACK &lt;height&gt; &lt;hash&gt;</c> after
    /// each <see cref="Blockchain.AddBlock"/> returns. The crash tests kill it with SIGKILL and reopen the directory.
    /// </summary>
    private static int CrashChild(string dir, string[] args)
    {
        var anchorsPerBlock = int.Parse(Arg(args, "--anchors", "5"), CultureInfo.InvariantCulture);
        var keepBodies = args.Contains("--keep-bodies") ? long.Parse(Arg(args, "--keep-bodies", "0"), CultureInfo.InvariantCulture) : (long?)null;
        var segmentSize = long.Parse(Arg(args, "--segment-size", (64L * 1024 * 1024).ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis), SegmentSizeLimit = segmentSize });
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"));
        var chain = OpenChain(store, kv, keepBodies);
        Console.Out.WriteLine($"OPEN {chain.Tip.Height} {chain.LastFinal.Height}");
        Console.Out.Flush();
        var source = new ScaleBlockSource(chain, anchorsPerBlock);
        while (true)
        {
            var (block, _) = source.Next(chain);
            var r = chain.AddBlock(block);
            if (!r.IsAccepted)
            {
                Console.Error.WriteLine($"block #{block.Header.Height} refused: {r.Validation}");
                return 1;
            }

            Console.Out.WriteLine($"ACK {block.Header.Height} {block.Hash}");
            Console.Out.Flush();
        }
    }

    /// <summary>The harness's chain over the given stores (signatures pre-checked, PoW).</summary>
    internal static Blockchain OpenChain(IBlockStore store, global::HealthLedger.Core.State.IKeyValueStore? state, long? keepBodies = null) =>
        new(Genesis, ProofOfWorkEngine.Instance, store, scheme: AcceptAll.Instance, options: new ChainOptions { KeepRecentBodies = keepBodies }, stateStore: state);

    /// <summary>The devices of the harness's chain (1,000; device <c>i</c> belongs to patient <c>i mod 100</c>).</summary>
    internal static IReadOnlyList<PublicKey> DeviceKeys { get; } = [.. Enumerable.Range(0, Devices).Select(i => Key($"device-{i}"))];

    /// <summary>The patients of the harness's chain.</summary>
    internal static IReadOnlyList<PublicKey> PatientKeys { get; } = [.. Enumerable.Range(0, Patients).Select(i => Key($"patient-{i}"))];

    /// <summary>
    /// The harness's linear chain, block by block: block 1 registers the patients, block 2 the devices, every later block
    /// carries <c>anchorsPerBlock</c> record anchors (anchor <c>n</c> from device <c>n mod 1000</c>, ciphertext hash
    /// SHA-256 of <c>n</c>) and the votes of four validators for its parent. Deterministic: it resumes from any tip of
    /// the same chain (anchors so far = <c>anchorsPerBlock × (tip − 2)</c>).
    /// </summary>
    internal sealed class ScaleBlockSource
    {
        private readonly int _anchorsPerBlock;
        private readonly ulong[] _deviceSequence = new ulong[Devices];
        private long _counter;

        public ScaleBlockSource(Blockchain chain, int anchorsPerBlock)
        {
            _anchorsPerBlock = anchorsPerBlock;
            _counter = AnchorsBefore(chain.Tip.Height + 1, anchorsPerBlock);
            for (var d = 0; d < Devices; d++)
            {
                _deviceSequence[d] = chain.State.GetNextSequence(DeviceKeys[d].ToAddress());
            }
        }

        /// <summary>Record anchors in the blocks below <paramref name="height"/>.</summary>
        public static long AnchorsBefore(ulong height, int anchorsPerBlock) => height > 3 ? (long)(height - 3) * anchorsPerBlock : 0;

        public (Block Block, int Anchors) Next(Blockchain chain)
        {
            var tip = chain.Tip;
            var ts = tip.Header.TimestampMs + 1000;
            var txs = new List<Transaction>(_anchorsPerBlock + 4);
            var anchors = 0;
            if (tip.Height == 0)
            {
                txs.AddRange(PatientKeys.Select((p, i) => Tx(p, 0, ts, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))))));
            }
            else if (tip.Height == 1)
            {
                txs.AddRange(DeviceKeys.Select((d, i) => Tx(Provider, (ulong)i, ts, new DeviceRegistration(d, PatientKeys[i % Patients].ToAddress(), DeviceClass.Wearable, Signature.Empty))));
            }
            else
            {
                for (var k = 0; k < _anchorsPerBlock; k++, _counter++)
                {
                    var d = (int)(_counter % Devices);
                    var hash = AnchorHash(_counter);
                    txs.Add(Tx(DeviceKeys[d], _deviceSequence[d]++, ts, new RecordAnchor("bafkrei" + hash.ToString()[..52], hash, (RecordType)(1 + (_counter % 7)), ts - 500)));
                }

                anchors = _anchorsPerBlock;
            }

            if (tip.Height >= 1)
            {
                // Votes for the parent from four of the five validators, from the grandparent (justified by the parent's votes).
                var source = tip.Parent ?? chain.GetEntry(tip.Header.PreviousHash)!;
                txs.AddRange(Validators.Take(4).Select(v => Tx(v, 0, ts, new Attestation(tip.Hash, tip.Height, source.Hash, source.Height))));
            }

            return (Mine(tip, txs, ts), anchors);
        }

        /// <summary>The ciphertext hash of anchor <paramref name="n"/>.</summary>
        public static Hash256 AnchorHash(long n) => Hash256.Sha256(BitConverter.GetBytes(n));
    }

    private static Block Mine(ChainEntry parent, IReadOnlyList<Transaction> txs, long ts)
    {
        var root = MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray());
        var template = new BlockHeader(BlockHeader.CurrentVersion, ChainId, parent.Height + 1, ts, parent.Hash, root,
            Genesis.Consensus.InitialTargetBits, 1, ConsensusEngineId.ProofOfWork, PublicKey.Empty, 0, Signature.Empty);
        var result = ProofOfWorkEngine.Instance.CreateSealer().Seal(template, CompactTarget.Decode(template.TargetBits), null);
        return new Block(result.Header!, txs);
    }

    private static Transaction Tx(PublicKey sender, ulong sequence, long ts, TransactionPayload payload) =>
        new(Transaction.CurrentVersion, ChainId, sender, sequence, ts, payload, new Signature(new byte[Signature.Length]));

    private static PublicKey Key(string label) => new(Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes("scale-" + label)).ToArray());

    private static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    /// <summary>Signatures "pre-checked": every signature verifies (the harness measures the ledger, not Ed25519).</summary>
    private sealed class AcceptAll : ISignatureScheme
    {
        public static readonly AcceptAll Instance = new();

        public Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message) => Signature.Empty;

        public bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature) => true;

        public PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed) => new(privateSeed);
    }
}

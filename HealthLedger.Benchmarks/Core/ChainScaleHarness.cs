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
                Commit = Report.RunInfo.Commit(root),
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
        var chain = new Blockchain(Genesis, ProofOfWorkEngine.Instance, store, scheme: new AcceptAll(), options: new ChainOptions { KeepRecentBodies = keepBodies }, stateStore: kv);
        var patients = Enumerable.Range(0, Patients).Select(i => Key($"patient-{i}")).ToArray();
        var devices = Enumerable.Range(0, Devices).Select(i => Key($"device-{i}")).ToArray();
        var deviceSequence = new ulong[Devices];
        var times = new List<double>(blocks);
        var slices = new List<ChainScaleSlice>();
        long anchors = 0;
        long counter = 0;
        for (var b = 1; b <= blocks; b++)
        {
            var tip = chain.Tip;
            var ts = tip.Header.TimestampMs + 1000;
            var txs = new List<Transaction>(anchorsPerBlock + 4);
            if (b == 1)
            {
                txs.AddRange(patients.Select((p, i) => Tx(p, 0, ts, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))))));
            }
            else if (b == 2)
            {
                txs.AddRange(devices.Select((d, i) => Tx(Provider, (ulong)i, ts, new DeviceRegistration(d, patients[i % Patients].ToAddress(), DeviceClass.Wearable, Signature.Empty))));
            }
            else
            {
                for (var k = 0; k < anchorsPerBlock; k++, counter++)
                {
                    var d = (int)(counter % Devices);
                    var hash = Hash256.Sha256(BitConverter.GetBytes(counter));
                    txs.Add(Tx(devices[d], deviceSequence[d]++, ts, new RecordAnchor("bafkrei" + hash.ToString()[..52], hash, (RecordType)(1 + (counter % 7)), ts - 500)));
                }

                anchors += anchorsPerBlock;
            }

            if (tip.Height >= 1)
            {
                // Votes for the parent from four of the five validators, from the grandparent (justified by the parent's votes).
                var source = tip.Parent!;
                txs.AddRange(Validators.Take(4).Select(v => Tx(v, 0, ts, new Attestation(tip.Hash, tip.Height, source.Hash, source.Height))));
            }

            var block = Mine(tip, txs, ts);
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
        var sw = Stopwatch.StartNew();
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis) });
        var storeOpen = sw.Elapsed;
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"));
        var stateOpen = sw.Elapsed - storeOpen;
        var chain = new Blockchain(Genesis, ProofOfWorkEngine.Instance, store, scheme: new AcceptAll(), stateStore: kv);
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
            open.TotalMilliseconds, storeOpen.TotalMilliseconds, stateOpen.TotalMilliseconds, store.OpenCost.SegmentsScanned, store.OpenReport.SegmentCount, store.OpenCost.SegmentBytesScanned,
            chain.LastReplay.Blocks, chain.LastReplay.FromHeight, chain.Tip.Height, rss, heap, perQuery, oldMs, oldPruned, firstMiss, store.IndexFilesLoaded, nextMiss,
            Process.GetCurrentProcess().WorkingSet64, Report.RunInfo.LoadAverage());
        Console.WriteLine(ChainScaleResults.FormatOpen(result));
        return 0;
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
        public Signature Sign(ReadOnlySpan<byte> privateSeed, ReadOnlySpan<byte> message) => Signature.Empty;

        public bool Verify(in PublicKey key, ReadOnlySpan<byte> message, in Signature signature) => true;

        public PublicKey DerivePublicKey(ReadOnlySpan<byte> privateSeed) => new(privateSeed);
    }
}

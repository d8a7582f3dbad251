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
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- scale --blocks 10000,100000 [--dir path] [--keep]</c>.
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
    private const int AnchorsPerBlock = 55;

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

        var sizes = Arg(args, "--blocks", "10000").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var root = Arg(args, "--dir", Path.Combine(Environment.GetEnvironmentVariable("HEALTHLEDGER_BENCH_DIR") ?? Path.GetTempPath(), "hl-scale"));
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores; dir {root}");
        Console.WriteLine("| blocks | anchors | append p50 | append p99 | build RSS / heap | disk | disk per anchor | cold start | replayed | RSS / heap after open | point queries | load |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var size in sizes)
        {
            var dir = Path.Combine(root, size.ToString(CultureInfo.InvariantCulture));
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }

            var keepBodies = args.Contains("--keep-bodies") ? long.Parse(Arg(args, "--keep-bodies", "0"), CultureInfo.InvariantCulture) : (long?)null;
            var (p50, p99, buildRss, buildHeap, anchors) = Build(dir, size, keepBodies);
            var disk = new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
            var open = RunChild(dir);
            Console.WriteLine($"| {size:N0} | {anchors:N0} | {p50:F2} ms | {p99:F2} ms | {buildRss / 1e6:F0} MB / {buildHeap / 1e6:F0} MB | {disk / 1e6:F0} MB | {(double)disk / anchors:F0} B | {open} | {File.ReadAllText("/proc/loadavg").Split(' ')[0]} |");
            if (!args.Contains("--keep"))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static (double P50, double P99, long Rss, long Heap, long Anchors) Build(string dir, int blocks, long? keepBodies)
    {
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis), Fsync = FsyncPolicy.Batched });
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"), new RocksDbStoreOptions { SyncWrites = false });
        var chain = new Blockchain(Genesis, ProofOfWorkEngine.Instance, store, scheme: new AcceptAll(), options: new ChainOptions { KeepRecentBodies = keepBodies }, stateStore: kv);
        var patients = Enumerable.Range(0, Patients).Select(i => Key($"patient-{i}")).ToArray();
        var devices = Enumerable.Range(0, Devices).Select(i => Key($"device-{i}")).ToArray();
        var deviceSequence = new ulong[Devices];
        var times = new List<double>(blocks);
        long anchors = 0;
        long counter = 0;
        for (var b = 1; b <= blocks; b++)
        {
            var tip = chain.Tip;
            var ts = tip.Header.TimestampMs + 1000;
            var txs = new List<Transaction>(AnchorsPerBlock + 4);
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
                for (var k = 0; k < AnchorsPerBlock; k++, counter++)
                {
                    var d = (int)(counter % Devices);
                    var hash = Hash256.Sha256(BitConverter.GetBytes(counter));
                    txs.Add(Tx(devices[d], deviceSequence[d]++, ts, new RecordAnchor("bafkrei" + hash.ToString()[..52], hash, (RecordType)(1 + (counter % 7)), ts - 500)));
                }

                anchors += AnchorsPerBlock;
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
                Console.Error.WriteLine($"  {b:N0} blocks, final #{chain.LastFinal.Height}, last 5,000 appends p50 {recent[recent.Count / 2]:F2} ms, {GC.GetTotalMemory(forceFullCollection: true) / 1e6:F0} MB heap after GC, RSS {Process.GetCurrentProcess().WorkingSet64 / 1e6:F0} MB, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            }
        }

        store.Flush();
        var heap = GC.GetTotalMemory(forceFullCollection: true);
        var rss = Process.GetCurrentProcess().WorkingSet64;
        GC.KeepAlive(chain); // measured while the chain is alive
        times.Sort();
        return (times[times.Count / 2], times[(int)(times.Count * 0.99)], rss, heap, anchors);
    }

    /// <summary>The cold start, in a fresh process so its memory is its own.</summary>
    private static string RunChild(string dir)
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
        return child.ExitCode == 0 ? output : $"child failed ({child.ExitCode}): {output}";
    }

    private static int Open(string dir)
    {
        var sw = Stopwatch.StartNew();
        using var store = FileBlockStore.Open(Path.Combine(dir, "blocks"), new FileBlockStoreOptions { ExpectedGenesisHash = Blockchain.GenesisHash(Genesis) });
        var storeOpen = sw.Elapsed;
        using var kv = RocksDbKeyValueStore.Open(Path.Combine(dir, "state"));
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
        string oldText;
        try
        {
            var old = chain.GetBestAt(chain.Tip.Height / 2)!.Block;
            oldText = $"old block ({old.Transactions.Count} tx) {oldBlock.Elapsed.TotalMilliseconds:F1} ms";
        }
        catch (BlockPrunedException)
        {
            oldText = $"old block pruned (typed refusal in {oldBlock.Elapsed.TotalMilliseconds:F1} ms)";
        }

        // The first lookup of an unknown hash (every new block's duplicate check) loads the sealed segments' Bloom filters.
        var miss = Stopwatch.StartNew();
        _ = store.Contains(Hash256.Sha256("not stored"u8));
        var firstMiss = miss.Elapsed.TotalMilliseconds;
        miss.Restart();
        _ = store.Contains(Hash256.Sha256("not stored either"u8));
        var nextMiss = miss.Elapsed.TotalMicroseconds;
        var rssAfterMiss = Process.GetCurrentProcess().WorkingSet64;
        Console.WriteLine($"{open.TotalMilliseconds:F0} ms (block store {storeOpen.TotalMilliseconds:F0} ms: {store.OpenCost.SegmentsScanned} of {store.OpenReport.SegmentCount} segments scanned, {store.OpenCost.SegmentBytesScanned / 1e6:F1} MB) | {chain.LastReplay.Blocks} above final #{chain.LastReplay.FromHeight} | {rss / 1e6:F0} MB / {heap / 1e6:F0} MB | record+device+sequence {perQuery:F0} µs; {oldText}; first unknown-hash lookup {firstMiss:F0} ms (Bloom filters of {store.IndexFilesLoaded} index files), next {nextMiss:F0} µs; RSS then {rssAfterMiss / 1e6:F0} MB");
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

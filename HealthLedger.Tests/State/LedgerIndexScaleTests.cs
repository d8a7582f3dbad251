using System.Diagnostics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.State;
using HealthLedger.Core.Transactions;
using HealthLedger.Storage.RocksDb;
using HealthLedger.Tests.Support;

namespace HealthLedger.Tests.State;

/// <summary>
/// The index at scale on RocksDB: a synthetic best chain (devices registered in block 1, then blocks of record
/// anchors spread over patients and devices) indexed through the real <see cref="LedgerIndex"/> path, then pages of
/// 100 read at random positions. The index never checks signatures (it is given blocks the chain accepted), so the
/// synthetic transactions carry empty ones, which makes a million records cheap to produce. The CI test is small; the
/// measurement (docs/storage.md, "Ledger index") is explicit:
/// <c>HEALTHLEDGER_INDEX_RECORDS=1000000 dotnet test -c Release --filter Name~Measure_page_queries</c>.
/// </summary>
[TestFixture]
public sealed class LedgerIndexScaleTests
{
    private const int Patients = 100;
    private const int Devices = 1_000;
    private const long FirstMeasurement = 1_700_000_000_000;

    [Test]
    public void Pages_of_a_rocksdb_index_of_twenty_thousand_records_are_exact()
    {
        using var run = ScaleRun.Create(records: 20_000, recordsPerBlock: 500);
        var patient = run.PatientAddress(7);
        var expected = run.ExpectedOfPatient(7);
        var all = IndexOracle.Collect((size, token) => run.Index.GetPatientRecords(patient, size, token), 100, run.Index.Tip);
        Assert.That(all.Select(r => r.CiphertextHash), Is.EqualTo(expected));
        var device = run.DeviceAddress(3);
        Assert.That(run.Index.GetDeviceRecords(device, 100).Items, Has.Count.EqualTo(20));
        var window = run.Index.GetRecordsInTimeRange(FirstMeasurement + 1_000, FirstMeasurement + 1_100, 1_000);
        Assert.That(window.Items.Select(r => r.MeasuredAtMs), Is.EqualTo(Enumerable.Range(1_000, 100).Select(i => FirstMeasurement + i)));
    }

    [Test]
    [Explicit("measurement: about a million records on disk, minutes to load")]
    public void Measure_page_queries()
    {
        var records = int.TryParse(Environment.GetEnvironmentVariable("HEALTHLEDGER_INDEX_RECORDS"), out var n) ? n : 1_000_000;
        var load = Stopwatch.StartNew();
        using var run = ScaleRun.Create(records, recordsPerBlock: 1_000);
        load.Stop();
        TestContext.Out.WriteLine($"{records:N0} records in {run.Index.Tip.Height} blocks indexed in {load.Elapsed.TotalSeconds:F1} s ({records / load.Elapsed.TotalSeconds:N0} records/s); directory {run.DirectoryBytes() / 1e6:F0} MB");
        run.Store.Flush();
        var rng = new Random(42);
        var end = FirstMeasurement + records;
        Measure("patient, page of 100 from a random time", 2_000, () =>
            run.Index.GetPatientRecords(run.PatientAddress(rng.Next(Patients)), 100, null, FirstMeasurement + rng.Next(records - 20_000), end).Items.Count);
        Measure("device, page of 100 from a random time", 2_000, () =>
            run.Index.GetDeviceRecords(run.DeviceAddress(rng.Next(Devices)), 100, null, FirstMeasurement + rng.Next(records - 200_000), end).Items.Count);
        Measure("time range, page of 100 from a random time", 2_000, () =>
            run.Index.GetRecordsInTimeRange(FirstMeasurement + rng.Next(records - 200), end, 100).Items.Count);
        Measure("patient, 3 of 7 record types (merge of 3 scans), page of 100 from a random time", 2_000, () =>
            run.Index.GetPatientRecordsOfTypes(run.PatientAddress(rng.Next(Patients)), RecordScope.Vitals | RecordScope.Glucose | RecordScope.Lab, 100, null, FirstMeasurement + rng.Next(records - 50_000), end).Items.Count);
        PageToken? token = null;
        var patient = run.PatientAddress(0);
        Measure("patient, next page by token (walking all its records)", Math.Max(1, records / Patients / 100 - 1), () =>
        {
            var page = run.Index.GetPatientRecords(patient, 100, token);
            token = page.Next;
            return page.Items.Count;
        });
        // The scan the index replaces: the records map of a LedgerState holding the same records, filtered and sorted
        // as LedgerState.GetReadableRecords does, for the first 100 of one patient's records.
        var map = System.Collections.Immutable.ImmutableDictionary.CreateRange(run.AllRecords().Select(r => KeyValuePair.Create(r.CiphertextHash, r)));
        Measure("brute force: scan of every record for a patient's first 100 (as LedgerState.GetReadableRecords)", 20, () =>
        {
            var p = run.PatientAddress(rng.Next(Patients));
            return map.Values.Where(r => r.Patient == p).OrderBy(r => r.MeasuredAtMs).Take(100).Count();
        });
                TestContext.Out.WriteLine($"block cache in use: {run.Store.GetProperty("rocksdb.block-cache-usage")} bytes; estimated keys {run.Store.GetProperty("rocksdb.estimate-num-keys")}");
    }

    private static void Measure(string what, int count, Func<int> query)
    {
        for (var i = 0; i < Math.Min(50, count); i++)
        {
            query();
        }

        var times = new double[count];
        var items = 0L;
        for (var i = 0; i < count; i++)
        {
            var sw = Stopwatch.StartNew();
            items += query();
            times[i] = sw.Elapsed.TotalMicroseconds;
        }

        Array.Sort(times);
        TestContext.Out.WriteLine($"{what}: {count} queries, {items / (double)count:F0} items each, median {times[count / 2]:F0} µs, p90 {times[count * 9 / 10]:F0} µs, p99 {times[Math.Min(count - 1, count * 99 / 100)]:F0} µs");
    }

    /// <summary>A RocksDB index over a synthetic chain: record i comes from device i mod 1000 (patient i mod 100 via its device) at time first + i.</summary>
    private sealed class ScaleRun : IDisposable
    {
        private readonly string _dir;
        private readonly PublicKey[] _devices;
        private readonly Address[] _patients;
        private readonly int _records;

        private ScaleRun(string dir, int records, PublicKey[] devices, Address[] patients, RocksDbKeyValueStore store, LedgerIndex index)
        {
            _dir = dir;
            _records = records;
            _devices = devices;
            _patients = patients;
            Store = store;
            Index = index;
        }

        public RocksDbKeyValueStore Store { get; }

        public LedgerIndex Index { get; }

        public static ScaleRun Create(int records, int recordsPerBlock)
        {
            var ledger = new TestLedger();
            var devices = Enumerable.Range(0, Devices).Select(i => new PublicKey(Hash256.Sha256(BitConverter.GetBytes(i)).ToArray())).ToArray();
            var patients = Enumerable.Range(0, Patients).Select(i => new Address(Hash256.Sha256(BitConverter.GetBytes(-1 - i)).ToArray().AsSpan(0, Address.Length))).ToArray();
            var chain = new SyntheticChain(Blockchain.CreateGenesisBlock(ledger.Genesis));
            chain.Append([.. devices.Select((d, i) => Synthetic(ledger.Provider.PublicKey, (ulong)i, new DeviceRegistration(d, patients[i % Patients], DeviceClass.Wearable, Signature.Empty)))]);
            for (var start = 0; start < records; start += recordsPerBlock)
            {
                var txs = new List<Transaction>(recordsPerBlock);
                for (var i = start; i < Math.Min(records, start + recordsPerBlock); i++)
                {
                    var anchor = new RecordAnchor($"bafy-{i}", CiphertextOf(i), (RecordType)(1 + (i % 7)), FirstMeasurement + i);
                    txs.Add(Synthetic(devices[i % Devices], (ulong)(i / Devices), anchor));
                }

                chain.Append(txs);
            }

            var dir = Path.Combine(Environment.GetEnvironmentVariable("HEALTHLEDGER_BENCH_DIR") ?? Path.GetTempPath(), "hl-index-scale-" + Guid.NewGuid().ToString("N"));
            var store = RocksDbKeyValueStore.Open(dir, new RocksDbStoreOptions { SyncWrites = false });
            var index = LedgerIndex.Open(store, chain, new LedgerIndexOptions { UndoDepth = 16 });
            return new ScaleRun(dir, records, devices, patients, store, index);
        }

        public Address PatientAddress(int i) => _patients[i];

        public Address DeviceAddress(int i) => _devices[i].ToAddress();

        public IEnumerable<Hash256> ExpectedOfPatient(int p) =>
            Enumerable.Range(0, _records).Where(i => i % Devices % Patients == p).Select(CiphertextOf);

        public IEnumerable<RecordInfo> AllRecords() =>
            Enumerable.Range(0, _records).Select(i => new RecordInfo(
                CiphertextOf(i), $"bafy-{i}", _patients[i % Devices % Patients], _devices[i % Devices].ToAddress(), (RecordType)(1 + (i % 7)), FirstMeasurement + i, 0, Hash256.Zero));

                public long DirectoryBytes() => new DirectoryInfo(_dir).EnumerateFiles().Sum(f => f.Length);

        public void Dispose()
        {
            Store.Dispose();
            Directory.Delete(_dir, recursive: true);
        }

        private static Hash256 CiphertextOf(int i) => Hash256.Sha256(BitConverter.GetBytes((long)i));

        private static Transaction Synthetic(PublicKey sender, ulong sequence, TransactionPayload payload) =>
            new(Transaction.CurrentVersion, TestLedger.ChainId, sender, sequence, FirstMeasurement, payload, Signature.Empty);
    }

    /// <summary>A best chain held as a list of blocks (no validation: the index is only ever given accepted blocks).</summary>
    private sealed class SyntheticChain(Block genesis) : IIndexedChain
    {
        private readonly List<Block> _blocks = [genesis];

        public Hash256 GenesisHash => _blocks[0].Hash;

        public IndexTip Tip => new(_blocks[^1].Header.Height, _blocks[^1].Hash);

        public Block? GetBestBlockAt(ulong height) => height < (ulong)_blocks.Count ? _blocks[(int)height] : null;

        public void Append(IReadOnlyList<Transaction> txs)
        {
            var parent = _blocks[^1].Header;
            var header = new BlockHeader(
                BlockHeader.CurrentVersion, TestLedger.ChainId, parent.Height + 1, parent.TimestampMs + 1_000, parent.Hash, Hash256.Zero,
                parent.TargetBits, 1, parent.Engine, PublicKey.Empty, 1, Signature.Empty);
            _blocks.Add(new Block(header, txs));
        }
    }
}

using System.Diagnostics;
using System.Globalization;
using HealthLedger.Benchmarks.Report;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;
using HealthLedger.Node;
using HealthLedger.Node.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;

namespace HealthLedger.Benchmarks.Records;

/// <summary>
/// Records through a whole mining node, as the API serves them: ingestion (prepare: FHIR validation, encryption;
/// the device signs the anchor; commit: store and pin, then the anchor through the mempool and the DSAE+BiLSTM gate
/// over the shipped model) and retrieval with key release (the signed request checked, the release written on-chain
/// and waited for in a best-chain block, the envelope fetched, unwrapped, decrypted and its FHIR parsed), for the
/// local store and, with <c>--ipfs URL</c>, for IPFS, at 1 KiB, 64 KiB and 1 MiB of FHIR JSON.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- records-node [--ipfs http://127.0.0.1:45001] [--records 20]</c>.
/// One proof-of-work node at difficulty level 4 with no minimum block interval: a release waits for the next block, so
/// retrieval latency includes the block time the chain needs to record it.
/// </remarks>
/// <summary>What one <see cref="RecordNodeHarness.MeasureAsync"/> run measured.</summary>
/// <param name="Store">"local" or "IPFS".</param>
/// <param name="KiB">Target size of each record's FHIR JSON.</param>
/// <param name="Records">Records ingested and retrieved.</param>
/// <param name="IngestMs">Per record: one <c>NodeRecords.IngestAsync</c>, milliseconds.</param>
/// <param name="ReleaseMs">Per record: release request to parsed FHIR, the release mined, milliseconds.</param>
/// <param name="Flagged">Submissions the detector would have refused (counted, not enforced).</param>
internal sealed record RecordNodeResult(string Store, int KiB, int Records, IReadOnlyList<double> IngestMs, IReadOnlyList<double> ReleaseMs, int Flagged);

internal static class RecordNodeHarness
{
    private const uint ChainId = 47;

    public static int Run(string[] args)
    {
        var ipfs = Option(args, "--ipfs");
        var records = int.Parse(Option(args, "--records") ?? "20", CultureInfo.InvariantCulture);
        Console.WriteLine($"load before: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores");
        Console.WriteLine("| Store | FHIR JSON | records | ingest mean | records/s | flagged by detector | release+retrieve mean | median | max |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var store in ipfs is null ? new[] { (string?)null } : [null, ipfs])
        {
            foreach (var kib in new[] { 1, 64, 1024 })
            {
                var r = MeasureAsync(store, kib, kib >= 1024 ? Math.Max(3, records / 5) : records, Path.GetTempPath()).GetAwaiter().GetResult();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r.Store} | {r.KiB} KiB | {r.Records} | {r.IngestMs.Average():F1} ms | {1000 / r.IngestMs.Average():F1} | {r.Flagged} | {r.ReleaseMs.Average():F1} ms | {Spread.Of(r.ReleaseMs).Median:F1} ms | {r.ReleaseMs.Max():F1} ms |"));
            }
        }

        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    /// <summary>
    /// Ingests <paramref name="count"/> records of about <paramref name="kib"/> KiB of FHIR JSON one after another
    /// through a fresh mining node (on IPFS at <paramref name="ipfs"/> when given, else the file store under
    /// <paramref name="workDirectory"/>), then releases and retrieves each as the patient.
    /// </summary>
    public static async Task<RecordNodeResult> MeasureAsync(string? ipfs, int kib, int count, string workDirectory)
    {
        var dir = Path.Combine(workDirectory, "hl-records-node-" + Guid.NewGuid().ToString("N"));
        using var hospital = KeyPair.FromLabel("rn-hospital");
        using var patient = KeyPair.FromLabel("rn-patient");
        using var device = KeyPair.FromLabel("rn-device");
        var genesis = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 60_000,
            Authorities = [KeyPair.FromLabel("rn-authority").PublicKey],
            InitialNodes = [new GenesisNode(hospital.PublicKey, NodeRoles.Validator | NodeRoles.Provider | NodeRoles.Gateway, "hospital")],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(4), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true },
        };
        var model = DetectorModel.Load(Detection.DetectorBenchmarkSetup.ModelBytes());
        using var detector = new OnnxIntrusionDetector(model, TimeProvider.System, ownsModel: true);
        var submissions = SyntheticSubmissions.Create(model, count, 1);
        var gate = new DetectorGate(detector, TimeProvider.System);
        var flagged = 0;
        var fhirLimits = new FhirLimits { MaxObservations = 100_000, MaxPayloadBytes = 4 * 1024 * 1024 };
        var node = LedgerNode.Create(new LedgerNodeOptions
        {
            Genesis = genesis,
            NodeKey = hospital,
            DataDirectory = dir,
            // The detector classifies every submission (its cost is in the figure); its verdict is counted but not enforced,
            // because synthetic submissions are not labelled benign and the enforcing gate refuses most of them.
            Gates = [new HealthLedger.Core.Mempool.DelegateAdmissionFilter("detector (verdict counted, not enforced)", c =>
            {
                if (c.Attachment is DeviceSubmission s && gate.Screen(s) is GateVerdict.Refused)
                {
                    Interlocked.Increment(ref flagged);
                }

                return HealthLedger.Core.Validation.ValidationResult.Ok;
            })],
            Records = new RecordsOptions { IpfsEndpoint = ipfs is null ? null : new Uri(ipfs), Fhir = fhirLimits },
        });
        try
        {
            await node.StartAsync();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await node.SubmitAsync(Transaction.Create(patient, ChainId, 0, now, new PatientRegistration(Hash256.Sha256("rn-mrn"u8))));
            var pop = device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, device.PublicKey, patient.Address, hospital.Address));
            await node.SubmitAsync(Transaction.Create(hospital, ChainId, 0, now, new DeviceRegistration(device.PublicKey, patient.Address, DeviceClass.Wearable, pop)));
            await WaitUntil(() => node.Chain.State.GetDevice(device.Address) is not null);

            var codec = new FhirRecordCodec(fhirLimits);
            var readings = Readings(codec, patient.Address, device.Address, kib);
            var ingested = new List<AnchoredIngestion>();
            var ingestMs = new List<double>();
            for (var i = 0; i < count; i++)
            {
                var at = DateTimeOffset.FromUnixTimeMilliseconds(now - 60_000 + (i * 1000));
                var bundle = VitalSignsBundle.Build(patient.Address, device.Address, at, readings, SystemRandomSource.Instance);
                var submission = submissions[i] with { Device = device.Address, Timestamp = at };
                var started = Stopwatch.GetTimestamp();
                var outcome = await node.Records!.IngestAsync(device.Address, RecordType.Vitals, at, bundle,
                    (anchor, seq) => Transaction.Create(device, ChainId, seq, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), anchor), submission, CancellationToken.None);
                if (outcome.IsSuccess)
                {
                    ingestMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    ingested.Add(outcome.Value);
                }
                else
                {
                    throw new InvalidOperationException(outcome.ToString());
                }
            }

            await WaitUntil(() => ingested.All(r => node.Chain.State.GetRecord(r.Record.CiphertextHash) is not null));

            using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
            var latencies = new List<double>();
            foreach (var r in ingested)
            {
                var start = Stopwatch.GetTimestamp();
                var request = KeyReleaseRequest.Create(patient, ChainId, r.Record.ContentAddress.ToString(), r.Record.CiphertextHash, reply.PublicKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), SystemRandomSource.Instance);
                var released = await node.Records!.ReleaseAsync(request, CancellationToken.None);
                var envelope = await node.Records.ReadEnvelopeAsync(r.Record.ContentAddress.ToString(), CancellationToken.None);
                var plaintext = RecordEnvelope.Decode(envelope.Value).Value.Open(released.Value.Wrap, reply);
                var bundle = codec.ParseAndValidate(plaintext.Value, new FhirSubject(patient.Address, device.Address, r.Record.MeasuredAtMs));
                if (!bundle.IsSuccess)
                {
                    throw new InvalidOperationException(bundle.ToString());
                }

                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            return new RecordNodeResult(ipfs is null ? "local" : "IPFS", kib, count, ingestMs, latencies, flagged);
        }
        finally
        {
            await node.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static VitalSignReading[] Readings(FhirRecordCodec codec, Address patient, Address device, int kib)
    {
        VitalSignReading[] Make(int n) => [.. Enumerable.Range(0, n).Select(i => VitalSignCode.All[i % VitalSignCode.All.Count]).Select(c => new VitalSignReading(c.Sign, (c.Minimum + c.Maximum) / 2))];
        int Size(int n) => codec.Serialize(VitalSignsBundle.Build(patient, device, DateTimeOffset.UnixEpoch.AddYears(50), Make(n), SystemRandomSource.Instance)).Length;
        var one = Size(1);
        var two = Size(2);
        return Make(Math.Max(1, ((kib * 1024) - one) / (two - one) + 1));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("the node did not get there in 5 minutes");
            }

            await Task.Delay(20);
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using HealthLedger.Api;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Detection.Model;
using HealthLedger.Host.Configuration;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>The multi-process demo's settings.</summary>
internal sealed record ProcessDemoOptions
{
    public int Nodes { get; init; } = 4;

    public int Records { get; init; } = 3_000;

    public string Consensus { get; init; } = "epow";

    public string? Json { get; init; }

    public string? Directory { get; init; }

    /// <summary>Records per second each device sends (0 = as fast as the API answers).</summary>
    public double Rate { get; init; } = 10;

    public int Difficulty { get; init; } = 5;

    public int BlockIntervalMs { get; init; } = 1_000;

    /// <summary>Whether the network directory is kept after the run (always kept when <see cref="Directory"/> is given).</summary>
    public bool Keep { get; init; }

    /// <summary>The Kubo RPC endpoint every node stores its records on; null = each node's local store.</summary>
    public string? Ipfs { get; init; }

    /// <summary>Admitted records per device whose key the provider asks to be released at the end (first and last first).</summary>
    public int ReleasesPerDevice { get; init; } = 2;
}

/// <summary>
/// <c>healthledger demo</c>: a real network of node processes on loopback. It runs <c>init</c> for a fresh network,
/// starts N <c>node run</c> processes of this same executable (TLS 1.3 peers bound to node keys, crash-safe stores,
/// each with the DSAE+BiLSTM ingestion gate and the HTTP API), registers a provider, patients and their devices (each
/// proving possession of its key) and the patients' grants through <c>POST /v1/transactions</c>, replays device
/// records from the WUSTL-EHMS-2020 test split as FHIR vital-signs bundles through the records endpoints (each device
/// to its own gateway node, which encrypts and stores the envelope and admits the device's signed anchor through the
/// ingestion gate), kills one node with SIGKILL part-way and restarts it, waits until every admitted record is final
/// on every node, checks that every anchored record's ciphertext is held by its custodian, has the provider obtain a
/// sample of record keys (decrypted and compared with the original FHIR), has a never-granted provider refused, lists
/// the patients' releases from the chain, and prints a summary. Child processes are killed on every exit path.
/// </summary>
internal sealed class ProcessDemoRunner(TextWriter output, ProcessDemoOptions options)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _interactive = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);

    private int _submitted;
    private int _benignAdmitted;
    private int _benignRefused;
    private int _attacksRefused;
    private int _attacksAdmitted;
    private int _unlabelledAdmitted;
    private int _unlabelledRefused;
    private int _otherErrors;
    private int _withoutVitals;
    private string _phase = "starting";

    public async Task<int> RunAsync(CancellationToken ct)
    {
        var n = options.Nodes;
        if (n is < 2 or > 16 || options.Records < 1 || options.Consensus is not ("pow" or "epow"))
        {
            await Console.Error.WriteLineAsync("--nodes must be 2..16, --records positive, --consensus pow or epow.").ConfigureAwait(false);
            return 2;
        }

        using var model = DetectorModel.LoadDefault();
        var stream = ReplayStream.LoadWustl(model, options.Records, out var why);
        if (stream is null)
        {
            const string banner = "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!";
            var warning = $"{banner}\n!! WUSTL-EHMS-2020 DATASET NOT FOUND: {why}\n!! Set HEALTHLEDGER_DATA (or place shared/data beside the clone). Falling back to a\n!! SYNTHETIC stream of random records without labels: no detector figures below are real.\n{banner}";
            output.WriteLine(warning);
            await Console.Error.WriteLineAsync(warning).ConfigureAwait(false);
            stream = ReplayStream.CreateSynthetic(model, options.Records, 6);
        }

        var root = options.Directory ?? Path.Combine(Path.GetTempPath(), $"healthledger-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        if (System.IO.Directory.Exists(root))
        {
            await Console.Error.WriteLineAsync($"{root} exists; give a new --dir.").ConfigureAwait(false);
            return 2;
        }

        var net = Path.Combine(root, "net");
        var logs = Path.Combine(root, "logs");
        System.IO.Directory.CreateDirectory(logs);
        using var children = new ChildProcesses();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var records = new RecordsHttp(options.Nodes);
        try
        {
            return await RunNetworkAsync(children, http, records, stream, net, logs, ct).ConfigureAwait(false);
        }
        finally
        {
            children.Dispose();
            if (options.Directory is null && !options.Keep)
            {
                TryDelete(root);
            }
        }
    }

    private async Task<int> RunNetworkAsync(ChildProcesses children, HttpClient http, RecordsHttp recordsHttp, ReplayStream stream, string net, string logs, CancellationToken ct)
    {
        var n = options.Nodes;
        var inv = CultureInfo.InvariantCulture;
        var peerBase = LoopbackPorts.FreeBlock(n);
        var apiBase = LoopbackPorts.FreeBlock(n, Enumerable.Range(peerBase, n).ToHashSet());
        output.WriteLine($"HealthLedger demo: {n} node processes on 127.0.0.1 (peers {peerBase}..{peerBase + n - 1} over TLS 1.3, API {apiBase}..{apiBase + n - 1}), {options.Consensus}, network in {net}");
        output.WriteLine($"Records: {stream.Description}");
        output.WriteLine(options.Ipfs is null ? "Record store: each node's local store (data/records), encrypted envelopes" : $"Record store: IPFS at {options.Ipfs} (Kubo RPC), encrypted envelopes");

        _phase = "init";
        string[] initArgs =
        [
            "init", "--nodes", n.ToString(inv), "--dir", net, "--consensus", options.Consensus,
            "--difficulty", options.Difficulty.ToString(inv), "--block-interval-ms", options.BlockIntervalMs.ToString(inv),
            "--base-port", peerBase.ToString(inv), "--api-port", apiBase.ToString(inv), .. (options.Ipfs is null ? Array.Empty<string>() : ["--ipfs", options.Ipfs]),
        ];
        var init = children.Start(Path.Combine(logs, "init.log"), initArgs);
        using (var initTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            initTimeout.CancelAfter(StartTimeout);
            await init.WaitForExitAsync(initTimeout.Token).ConfigureAwait(false);
        }

        if (init.ExitCode != 0)
        {
            throw new DemoFailedException($"init exited with {init.ExitCode}; see {Path.Combine(logs, "init.log")}");
        }

        var processes = new Process[n];
        Process StartNode(int i) => children.Start(Path.Combine(logs, $"node-{i}.log"), "node", "run", "--config", Path.Combine(net, $"node-{i}", "config.json"), "--exit-with-parent", Environment.ProcessId.ToString(inv));
        for (var i = 0; i < n; i++)
        {
            processes[i] = StartNode(i);
        }

        var nodes = Enumerable.Range(0, n).Select(i => new NodeApiClient(http, $"http://127.0.0.1:{apiBase + i}")).ToArray();
        recordsHttp.Connect(apiBase);
        _phase = "waiting for the nodes";
        await WaitAsync(
            async () =>
            {
                // A node that exited cannot come up: say which and why now instead of waiting out the timeout.
                if (processes.Select((p, i) => (p, i)).FirstOrDefault(x => x.p.HasExited) is { p: not null } exited)
                {
                    var log = Path.Combine(logs, $"node-{exited.i}.log");
                    var tail = File.Exists(log) ? string.Join(Environment.NewLine, File.ReadLines(log).TakeLast(5)) : "";
                    throw new DemoFailedException($"node-{exited.i} exited with {exited.p.ExitCode} while starting; see {log}:{Environment.NewLine}{tail}");
                }

                return (await Task.WhenAll(nodes.Select(c => c.HealthAsync(ct))).ConfigureAwait(false)).All(h => h is not null && h.Peers >= n - 1);
            },
            StartTimeout,
            "every node's API answers and it has all its peers",
            ct).ConfigureAwait(false);
        output.WriteLine($"[{Elapsed}] {n} nodes up, fully connected over TLS");

        // Identities: the genesis authority registers a provider (and a second one no patient grants anything); patients
        // register themselves and grant the first access; the provider registers each patient's device, which proves
        // possession of its key.
        _phase = "registering";
        var genesis = NetworkFiles.ReadJson<GenesisFile>(Path.Combine(net, "genesis.json")).ToConfig();
        var chainId = genesis.ChainId;
        using var authority = NetworkFiles.ReadKey(Path.Combine(net, "authority.key"));
        using var provider = KeyPair.Generate();
        using var stranger = KeyPair.Generate();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await SubmitUntilAdmittedAsync(nodes[0], Transaction.Create(authority, chainId, 0, now, new NodeRegistration(provider.PublicKey, NodeRoles.Provider, "st-mary-records")), ct).ConfigureAwait(false);
        await SubmitUntilAdmittedAsync(nodes[0], Transaction.Create(authority, chainId, 1, now, new NodeRegistration(stranger.PublicKey, NodeRoles.Provider, "unrelated-clinic")), ct).ConfigureAwait(false);
        var deviceCount = stream.Devices.Count;
        var patients = Enumerable.Range(0, deviceCount).Select(_ => KeyPair.Generate()).ToArray();
        var devices = Enumerable.Range(0, deviceCount).Select(_ => KeyPair.Generate()).ToArray();
        try
        {
            for (var d = 0; d < deviceCount; d++)
            {
                var salt = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
                var gateway = nodes[d % n];
                await SubmitUntilAdmittedAsync(gateway, Transaction.Create(patients[d], chainId, 0, now, new PatientRegistration(Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes($"MRN-{d:D6}:{salt}")))), ct).ConfigureAwait(false);
                await SubmitUntilAdmittedAsync(gateway, Transaction.Create(patients[d], chainId, 1, now, new AccessGrant(provider.Address, RecordScope.All, now + 86_400_000)), ct).ConfigureAwait(false);
                var pop = devices[d].Sign(DeviceRegistration.ProofOfPossessionMessage(chainId, devices[d].PublicKey, patients[d].Address, provider.Address));
                await SubmitUntilAdmittedAsync(nodes[0], Transaction.Create(provider, chainId, (ulong)d, now, new DeviceRegistration(devices[d].PublicKey, patients[d].Address, d % 2 == 0 ? DeviceClass.Wearable : DeviceClass.BedsideMonitor, pop)), ct).ConfigureAwait(false);
            }

            var registrations = 2 + 3 * deviceCount;
            await WaitAsync(async () =>
            {
                foreach (var node in nodes)
                {
                    foreach (var device in devices)
                    {
                        if (await node.DeviceAsync(device.Address.ToString(), ct).ConfigureAwait(false) is null)
                        {
                            return false;
                        }
                    }
                }

                return true;
            }, StepTimeout, "every node knows every device", ct).ConfigureAwait(false);
            output.WriteLine($"[{Elapsed}] {registrations} transactions admitted (two providers, {deviceCount} patients and their grants to the first, {deviceCount} devices with proofs of possession); every node has every device in its chain");

            var people = new DemoPeople(chainId, provider, stranger, patients, devices);
            return await ReplayAndFinishAsync(nodes, recordsHttp, processes, StartNode, stream, people, registrations, net, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var k in patients.Concat(devices))
            {
                k.Dispose();
            }
        }
    }

    private async Task<int> ReplayAndFinishAsync(NodeApiClient[] nodes, RecordsHttp recordsHttp, Process[] processes, Func<int, Process> startNode, ReplayStream stream, DemoPeople people, int registrations, string net, CancellationToken ct)
    {
        var (chainId, patients, devices) = (people.ChainId, people.Patients, people.Devices);
        var codec = new Records.Fhir.FhirRecordCodec();
        var stored = Enumerable.Range(0, devices.Length).Select(_ => new List<StoredRecord>()).ToArray();
        var n = nodes.Length;
        var total = stream.Count;
        var victim = n - 1;
        var paused = new bool[n];
        var inFlight = new int[n];
        var admitted = new int[devices.Length];
        var replayDone = new CancellationTokenSource();
        _phase = "replaying";
        output.WriteLine($"[{Elapsed}] replaying {total} records from {devices.Length} devices as FHIR vital-signs bundles through POST /v1/records and /v1/records/{{cid}}/anchor (device i → node i mod {n}){(options.Rate > 0 ? string.Create(CultureInfo.InvariantCulture, $", {options.Rate:0.#} records/s per device") : "")}");

        async Task Device(int d)
        {
            var gateway = d % n;
            var interval = options.Rate > 0 ? TimeSpan.FromSeconds(1 / options.Rate) : TimeSpan.Zero;
            var records = stream.Devices[d].Records;
            var client = new RecordsClient(recordsHttp.Clients[gateway], chainId);
            var lastMeasured = 0L;
            for (var i = 0; i < records.Count; i++)
            {
                var next = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref paused[gateway]))
                {
                    await Task.Delay(50, ct).ConfigureAwait(false);
                }

                Interlocked.Increment(ref inFlight[gateway]);
                ApiOutcome outcome;
                StoredRecord? record = null;
                try
                {
                    if (Volatile.Read(ref paused[gateway]))
                    {
                        i--;
                        continue;
                    }

                    // Measurement times strictly increase per device: the time is how a lost answer is found again below.
                    var measured = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), lastMeasured + 1);
                    lastMeasured = measured;
                    var at = DateTimeOffset.FromUnixTimeMilliseconds(measured);
                    var fhir = ReplayVitals.BundleJson(codec, patients[d].Address, devices[d].Address, at, records[i].Fields);
                    if (fhir is null)
                    {
                        Interlocked.Increment(ref _withoutVitals);
                        Interlocked.Increment(ref _submitted);
                        continue;
                    }

                    (outcome, var anchored) = await IngestRecordAsync(client, nodes[gateway], devices[d], patients[d], at, fhir, records[i].Fields, ct).ConfigureAwait(false);
                    if (anchored is not null)
                    {
                        record = new StoredRecord(anchored.ContentAddress, Hash256.Parse(anchored.CiphertextHash), measured, fhir);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref inFlight[gateway]);
                }

                Count(records[i].IsAttack, outcome, d);
                if (outcome.Admitted && record is not null)
                {
                    stored[d].Add(record);
                    Interlocked.Increment(ref admitted[d]);
                }

                Interlocked.Increment(ref _submitted);
                var wait = interval - Stopwatch.GetElapsedTime(next);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, ct).ConfigureAwait(false);
                }
            }
        }

        // Part-way through, the last node is killed with SIGKILL and restarted: its devices hold their records meanwhile.
        double killedFor = 0, catchUp = 0;
        async Task Crash()
        {
            await WaitAsync(() => Task.FromResult(Volatile.Read(ref _submitted) >= total * 35 / 100), TimeSpan.FromHours(1), "a third of the records", ct).ConfigureAwait(false);
            Volatile.Write(ref paused[victim], true);
            await WaitAsync(() => Task.FromResult(Volatile.Read(ref inFlight[victim]) == 0), StepTimeout, "the victim's requests to finish", ct).ConfigureAwait(false);
            await Task.Delay(1_000, ct).ConfigureAwait(false); // its last admissions reach its peers
            ChildProcesses.Kill(processes[victim]);
            var down = Stopwatch.StartNew();
            Line($"node-{victim} killed with SIGKILL; the other {n - 1} keep mining and finalising");
            await Task.Delay(3_000, ct).ConfigureAwait(false);
            processes[victim] = startNode(victim);
            var reference = (await nodes[0].HealthAsync(ct).ConfigureAwait(false))?.Height ?? 0;
            await WaitAsync(async () => (await nodes[victim].HealthAsync(ct).ConfigureAwait(false))?.Height >= reference, StepTimeout, $"node-{victim} to catch up to #{reference}", ct).ConfigureAwait(false);
            killedFor = down.Elapsed.TotalSeconds;
            catchUp = killedFor - 3;
            Line(string.Create(CultureInfo.InvariantCulture, $"node-{victim} restarted from its store and caught up from its peers to #{reference} ({catchUp:F1} s after restart)"));

            // Its devices resume once the node holds their admitted records (their next sequence numbers follow them).
            await WaitAsync(async () =>
            {
                for (var d = victim; d < devices.Length; d += n)
                {
                    var records = await nodes[victim].PatientRecordsAsync(patients[d].Address.ToString(), ct).ConfigureAwait(false);
                    if (records is null || records.Count < Volatile.Read(ref admitted[d]))
                    {
                        return false;
                    }
                }

                return true;
            }, StepTimeout, $"node-{victim} to hold its devices' records", ct).ConfigureAwait(false);
            Volatile.Write(ref paused[victim], false);
        }

        var progress = Task.Run(() => ProgressAsync(nodes, total, replayDone.Token), CancellationToken.None);
        try
        {
            await Task.WhenAll([.. Enumerable.Range(0, devices.Length).Select(Device), Crash()]).ConfigureAwait(false);
        }
        finally
        {
            await replayDone.CancelAsync().ConfigureAwait(false);
            await progress.ConfigureAwait(false);
            replayDone.Dispose();
        }

        Line($"all {total} records submitted; waiting until every admitted record is final on every node");
        _phase = "finality";
        var anchors = admitted.Sum();
        var anchorsFinal = 0;
        var finalityStatus = string.Empty;
        var lastReport = Stopwatch.StartNew();
        await WaitAsync(async () =>
        {
            var finalEverywhere = int.MaxValue;
            var status = new List<string>(nodes.Length);
            foreach (var node in nodes)
            {
                var head = await node.HeadAsync(ct).ConfigureAwait(false);
                if (head is null)
                {
                    status.Add("down");
                    finalEverywhere = 0;
                    continue;
                }

                int final = 0, held = 0;
                foreach (var p in patients)
                {
                    var records = await node.PatientRecordsAsync(p.Address.ToString(), ct).ConfigureAwait(false);
                    final += records?.Count(r => r.Height <= head.LastFinal.Height) ?? 0;
                    held += records?.Count ?? 0;
                }

                status.Add($"#{head.Tip.Height}/{head.LastFinal.Height} final {final}/{held}");
                finalEverywhere = Math.Min(finalEverywhere, final);
            }

            anchorsFinal = finalEverywhere;
            finalityStatus = $"admitted {anchors}; per node tip/final, records final/on chain: {string.Join(", ", status)}";
            if (lastReport.Elapsed > TimeSpan.FromSeconds(10) && anchorsFinal < anchors)
            {
                Line(finalityStatus);
                lastReport.Restart();
            }

            return anchorsFinal >= anchors;
        }, StepTimeout, "every admitted record final on every node", ct, () => finalityStatus).ConfigureAwait(false);

        // Agreement: the same tip and the same last final block on every node (mining goes on, so ask until a moment they agree).
        var agreement = false;
        HeadResponse[] heads = [];
        var until = Stopwatch.StartNew();
        while (!agreement && until.Elapsed < TimeSpan.FromSeconds(30))
        {
            var read = await Task.WhenAll(nodes.Select(c => c.HeadAsync(ct))).ConfigureAwait(false);
            if (read.All(h => h is not null))
            {
                heads = read!;
                agreement = heads.Select(h => h.Tip.Hash).Distinct().Count() == 1 && heads.Select(h => h.LastFinal.Hash).Distinct().Count() == 1;
            }

            if (!agreement)
            {
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }

        var tip = heads.Length > 0 ? heads[0].Tip.Height : 0;
        var finalHeight = heads.Length > 0 ? heads.Min(h => h.LastFinal.Height) : 0;
        var chainTransactions = 0;
        for (var h = 1UL; h <= tip; h++)
        {
            chainTransactions += (await nodes[0].BlockAsync(h, ct).ConfigureAwait(false))?.Transactions.Count ?? 0;
        }

        // The demo's own transactions in final blocks: devices and grants by their heights, the provider and the patients
        // with them (a device's registration needs both, earlier in the chain), and the record anchors.
        var registrationsFinal = 0;
        for (var d = 0; d < devices.Length; d++)
        {
            var device = await nodes[0].DeviceAsync(devices[d].Address.ToString(), ct).ConfigureAwait(false);
            var grants = await nodes[0].GrantsAsync(patients[d].Address.ToString(), ct).ConfigureAwait(false);
            if (device is not null && device.RegisteredAtHeight <= finalHeight)
            {
                registrationsFinal += 2; // the patient and the device
            }

            // One grant transaction with RecordScope.All lists as one grant per record type.
            registrationsFinal += grants is { Count: > 0 } && grants.All(g => g.GrantedAtHeight <= finalHeight) ? 1 : 0;
        }

        registrationsFinal += registrationsFinal > 0 ? 2 : 0; // the two providers
        var finality = await nodes[0].FinalityAsync(ct).ConfigureAwait(false);

        // The records: every anchor's ciphertext held by its custodian, nothing else in the local stores, then key releases.
        _phase = "records";
        var check = new DemoRecordsCheck(nodes, recordsHttp, people, options.Ipfs is null ? net : null, Line);
        var storage = await check.CheckStoredAsync(ct).ConfigureAwait(false);
        Line($"{storage.Stored} of {storage.Anchored} anchored records' envelopes held by their custodian node and matching their anchors{(storage.WithoutAnchor is { } orphans ? $"; {orphans} envelope(s) in the local stores without an anchor" : "")}");
        var releases = await check.ReleaseAsync(stored, options.ReleasesPerDevice, ct).ConfigureAwait(false);
        Line($"provider: {releases.Released} record keys released, each envelope decrypted and equal to the FHIR sent; never-granted provider: {releases.Refused} refused; patients list {releases.Listed} releases on-chain{(releases.Errors > 0 ? $"; {releases.Errors} ERRORS" : "")}");
        var summary = new DemoSummary
        {
            Nodes = n,
            Consensus = options.Consensus,
            Agreement = agreement,
            Height = tip,
            FinalizedHeight = finalHeight,
            Transactions = registrationsFinal + anchorsFinal,
            Submitted = registrations + anchors,
            ChainTransactions = chainTransactions,
            Records = total,
            Synthetic = stream.Synthetic,
            Stream = stream.Description,
            BenignAdmitted = _benignAdmitted,
            BenignRefused = _benignRefused,
            AttacksRefused = _attacksRefused,
            AttacksAdmitted = _attacksAdmitted,
            UnlabelledAdmitted = _unlabelledAdmitted,
            UnlabelledRefused = _unlabelledRefused,
            OtherErrors = _otherErrors,
            AnchorsFinal = anchorsFinal,
            RecordStore = options.Ipfs is null ? "local" : $"ipfs {options.Ipfs}",
            RecordsWithoutVitals = _withoutVitals,
            RecordsStored = storage.Stored,
            CiphertextsWithoutAnchor = storage.WithoutAnchor,
            RecordsReleased = releases.Released,
            ReleasesRefused = releases.Refused,
            ReleasesListed = releases.Listed,
            ReleaseErrors = releases.Errors,
            FinalityP50Ms = finality?.P50Ms,
            FinalityP99Ms = finality?.P99Ms,
            KilledNode = $"node-{victim}",
            KilledForSeconds = Math.Round(killedFor, 1),
            CatchUpSeconds = Math.Round(catchUp, 1),
            DurationSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 1),
            LoadAverage = LoadAverage(),
        };
        output.WriteLine();
        output.WriteLine("Summary");
        output.Write(summary.Table());
        if (options.Json is { } json)
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(json));
            if (!string.IsNullOrEmpty(dir))
            {
                System.IO.Directory.CreateDirectory(dir);
            }

            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(summary, NetworkFiles.Json), ct).ConfigureAwait(false);
            output.WriteLine($"Summary written to {json}");
        }

        output.WriteLine(summary.Passed ? "Demo completed: every admitted record is final on every node, and the nodes agree." : "Demo FAILED its own checks (see the table above).");
        return summary.Passed ? 0 : 1;
    }

    /// <summary>
    /// One record through <see cref="RecordsClient.IngestAsync"/>. When the node does not answer (a timeout on a loaded
    /// machine) it may still have admitted the anchor: the device's records in the gateway's index are searched for the
    /// measurement time (unique per device) for up to 20 s.
    /// </summary>
    private static async Task<(ApiOutcome Outcome, RecordAnchorResponse? Anchored)> IngestRecordAsync(RecordsClient client, NodeApiClient gateway, KeyPair device, KeyPair patient,
        DateTimeOffset at, string fhir, IReadOnlyDictionary<string, JsonElement> fields, CancellationToken ct)
    {
        try
        {
            var result = await client.IngestAsync(device, RecordType.Vitals, at, fhir, fields, ct).ConfigureAwait(false);
            if (result.Value is { } anchored)
            {
                return (new ApiOutcome(202, 0, null), anchored);
            }

            var e = result.Error!;
            var code = e.CodeSet == "chain" && Enum.TryParse<Core.Validation.RejectionCode>(e.Title, out var c) ? (int)c : 0;
            return (new ApiOutcome(e.Status, code, $"{e.Stage}: {e.Title}: {e.Detail}"), null);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is TaskCanceledException && !ct.IsCancellationRequested))
        {
            var until = Stopwatch.StartNew();
            while (until.Elapsed < TimeSpan.FromSeconds(20))
            {
                var found = (await gateway.PatientRecordsAsync(patient.Address.ToString(), ct).ConfigureAwait(false))?.FirstOrDefault(r => r.MeasuredAtMs == at.ToUnixTimeMilliseconds());
                if (found is not null)
                {
                    return (new ApiOutcome(202, 0, "admitted by the attempt that timed out"), new RecordAnchorResponse(found.ContentAddress, found.CiphertextHash, "", "found in the index"));
                }

                await Task.Delay(500, ct).ConfigureAwait(false);
            }

            return (new ApiOutcome(0, 0, ex.Message), null);
        }
    }

    private void Count(bool? attack, ApiOutcome outcome, int device)
    {
        if (outcome.Admitted)
        {
            Interlocked.Increment(ref attack is null ? ref _unlabelledAdmitted : ref attack.Value ? ref _attacksAdmitted : ref _benignAdmitted);
        }
        else if (outcome.RefusedByGate)
        {
            Interlocked.Increment(ref attack is null ? ref _unlabelledRefused : ref attack.Value ? ref _attacksRefused : ref _benignRefused);
        }
        else if (Interlocked.Increment(ref _otherErrors) <= 5)
        {
            Line($"device {device}: submission failed with {outcome.Status} (code {outcome.Code}): {outcome.Detail}");
        }
    }

    private async Task ProgressAsync(NodeApiClient[] nodes, int total, CancellationToken stop)
    {
        var every = _interactive ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(5);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var health = await Task.WhenAll(nodes.Select(c => c.HealthAsync(CancellationToken.None))).ConfigureAwait(false);
            var heights = string.Join(" ", health.Select(h => h is null ? "down" : $"#{h.Height}/{h.FinalHeight}"));
            var line = $"[{Elapsed}] {Volatile.Read(ref _submitted),5}/{total} records  admitted {_benignAdmitted + _attacksAdmitted + _unlabelledAdmitted}  refused {_benignRefused + _attacksRefused + _unlabelledRefused}  errors {_otherErrors}  tip/final {heights}";
            lock (output)
            {
                if (_interactive)
                {
                    output.Write("\r" + line.PadRight(Math.Min(Console.WindowWidth > 0 ? Console.WindowWidth - 1 : 120, 160)));
                }
                else
                {
                    output.WriteLine(line);
                }
            }
        }

        if (_interactive)
        {
            lock (output)
            {
                output.WriteLine();
            }
        }
    }

    private void Line(string text)
    {
        lock (output)
        {
            output.WriteLine((_interactive ? "\r" : "") + $"[{Elapsed}] {text}");
        }
    }

    private string Elapsed => _clock.Elapsed.TotalSeconds.ToString("000.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Submits until admitted: a node may not yet hold the block that makes the sender known (bounded).</summary>
    private async Task SubmitUntilAdmittedAsync(NodeApiClient node, Transaction tx, CancellationToken ct)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            var outcome = await node.SubmitAsync(tx, ct).ConfigureAwait(false);
            if (outcome.Admitted)
            {
                return;
            }

            if (until.Elapsed > StepTimeout)
            {
                throw new DemoFailedException($"{tx.Kind} refused by {node.BaseUrl}: {outcome.Status} (code {outcome.Code}) {outcome.Detail}");
            }

            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct, Func<string>? detail = null)
    {
        var until = Stopwatch.StartNew();
        while (!await condition().ConfigureAwait(false))
        {
            if (until.Elapsed > timeout)
            {
                var state = detail?.Invoke();
                throw new DemoFailedException($"timed out after {timeout.TotalSeconds:0} s waiting for {what} (phase: {_phase}){(string.IsNullOrEmpty(state) ? "" : "; " + state)}");
            }

            await Task.Delay(100, ct).ConfigureAwait(false);
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "n/a";
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // a log still open; the temp folder is cleaned by the system
        }
    }
}

/// <summary>The demo could not go on (a timeout, a refusal it cannot work around); the message says which step.</summary>
internal sealed class DemoFailedException(string message) : Exception(message);

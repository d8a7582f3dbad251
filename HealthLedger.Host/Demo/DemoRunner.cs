using System.Diagnostics;
using System.Security.Cryptography;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Network;
using HealthLedger.Core.Transactions;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Host.Demo;

/// <summary>
/// The local multi-node demo: five ePoW validators (a hospital and four clinics) on crash-safe file stores, gossiping
/// blocks and transactions in process; a patient, a provider-registered wearable, encrypted off-chain readings anchored
/// on-chain, an access grant, per-block thresholds (k = 3, below the quorum floor of four), then one and two nodes stopped to show finality going on
/// and then stalling while mining continues.
/// </summary>
internal sealed class DemoRunner(TextWriter output, string directory, int difficultyLevel, int roundsPerPhase)
{
    private const ushort Threshold = 3;
    private readonly List<LocalNode> _nodes = [];
    private readonly InMemoryNetwork _network = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public int Run(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var authority = KeyPair.FromLabel("demo-authority");
        string[] names = ["st-mary-hospital", "clinic-north", "clinic-south", "clinic-east", "clinic-west"];
        var keys = names.Select(n => KeyPair.FromLabel("demo-" + n)).ToArray();
        var genesis = new GenesisConfig
        {
            ChainId = 2026,
            TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1000,
            Authorities = [authority.PublicKey],
            InitialNodes = [.. names.Select((n, i) => new GenesisNode(keys[i].PublicKey, i == 0 ? NodeRoles.All : NodeRoles.Validator, n))],
            Engine = ConsensusEngineId.EnhancedProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(difficultyLevel), FixedDifficulty = true, PowLimitBits = CompactTarget.FromDifficultyLevel(1) },
            MinThreshold = 1,
            MaxThreshold = 5,
        };

        var runDir = Path.Combine(directory, $"run-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}");
        for (var i = 0; i < names.Length; i++)
        {
            _nodes.Add(new LocalNode(names[i], keys[i], genesis, Path.Combine(runDir, names[i]), TimeProvider.System));
        }

        ConnectAll();
        output.WriteLine($"HealthLedger demo: {_nodes.Count} ePoW validators (full mesh, framed gossip over an in-memory transport), difficulty level {difficultyLevel} (fixed), threshold k = {Threshold}");
        output.WriteLine($"Block stores and off-chain records under {runDir}");
        output.WriteLine();

        // Healthcare flow: patient, device (with proof of possession), encrypted readings, access grant.
        var hospital = _nodes[0];
        using var patient = KeyPair.FromLabel("demo-patient");
        using var device = KeyPair.FromLabel("demo-wearable");
        var offChain = new OffChainStore(Path.Combine(runDir, "offchain"));
        var recordKey = RandomNumberGenerator.GetBytes(32);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Broadcast(Transaction.Create(patient, genesis.ChainId, 0, now, new PatientRegistration(Hash256.Sha256("MRN-000123:demo-salt"u8))));
        var pop = device.Sign(DeviceRegistration.ProofOfPossessionMessage(genesis.ChainId, device.PublicKey, patient.Address, hospital.Key.Address));
        Broadcast(Transaction.Create(hospital.Key, genesis.ChainId, hospital.NextSequence(), now, new DeviceRegistration(device.PublicKey, patient.Address, DeviceClass.Wearable, pop)));
        Broadcast(Transaction.Create(patient, genesis.ChainId, 1, now, new AccessGrant(hospital.Key.Address, RecordScope.Vitals, now + 86_400_000)));
        using var pump = KeyPair.FromLabel("demo-infusion-pump");
        var pumpPop = pump.Sign(DeviceRegistration.ProofOfPossessionMessage(genesis.ChainId, pump.PublicKey, patient.Address, hospital.Key.Address));
        Broadcast(Transaction.Create(hospital.Key, genesis.ChainId, hospital.NextSequence(), now, new DeviceRegistration(pump.PublicKey, patient.Address, DeviceClass.BedsideMonitor, pumpPop)));
        MineRound(0, cancellationToken);

        // Ingestion: st-mary-hospital is the gateway; the DSAE+BiLSTM screens device traffic before anything reaches its mempool.
        var traffic = DemoTraffic.Load(Path.Combine(AppContext.BaseDirectory, "Models", "wustl-ehms-binary.parity.json"));
        using var detector = traffic is null ? null : OnnxIntrusionDetector.CreateDefault(TimeProvider.System);
        var gate = detector is null ? null : new DetectorGate(detector, TimeProvider.System);
        var intrusions = 0;
        if (gate is not null)
        {
            hospital.Pool.AddGate(new DetectorAdmissionFilter(gate, alert =>
            {
                intrusions++;
                output.WriteLine($"  gateway: {alert.Description}");
                Broadcast(Transaction.Create(hospital.Key, genesis.ChainId, hospital.NextSequence(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), alert.ToReportPayload()), hospital);
            }));
            output.WriteLine($"Ingestion gate: {detector!.ModelId}, window {detector.Model.Window}, threshold {detector.Threshold:F3}; traffic = held-out WUSTL-EHMS-2020 validation windows (never fitted on)");
        }
        else
        {
            output.WriteLine("Ingestion gate: model parity data not found beside the executable; records are anchored without screening.");
        }

        var anchors = new List<(Transaction Tx, RecordAnchor Anchor)>();
        var features = detector?.Model.Metadata.Features ?? [];
        if (gate is not null)
        {
            // The pump's earlier traffic fills its window (the records before the one it tries to anchor).
            foreach (var row in traffic!.Attack.SkipLast(1))
            {
                gate.Screen(DemoTraffic.Submission(pump.Address, DateTimeOffset.UtcNow, features, row));
            }
        }

        for (var i = 0; i < 3; i++)
        {
            var reading = System.Text.Encoding.UTF8.GetBytes($"{{\"hr\":{72 + i},\"spo2\":{97 - i},\"temp\":36.{6 + i}}}");
            var (address, hash) = offChain.Put(reading, recordKey);
            var anchor = new RecordAnchor(address, hash, RecordType.Vitals, now + i);
            var tx = Transaction.Create(device, genesis.ChainId, (ulong)i, now + i, anchor);
            anchors.Add((tx, anchor));
            DeviceSubmission? attachment = null;
            if (gate is not null)
            {
                // The traffic that preceded this reading fills the device's window; the reading's own record is screened with it.
                foreach (var row in traffic!.Benign[i].SkipLast(1))
                {
                    gate.Screen(DemoTraffic.Submission(device.Address, DateTimeOffset.UtcNow, features, row));
                }

                attachment = DemoTraffic.Submission(device.Address, DateTimeOffset.UtcNow, features, traffic.Benign[i][^1]);
            }

            var admitted = hospital.Gossip.PublishTransaction(tx, attachment);
            _network.Pump();
            output.WriteLine($"  wearable record {i + 1}: {(admitted.Accepted ? "admitted by the gateway" : "REFUSED: " + admitted.Validation)}{(traffic is null ? "" : $" (PyTorch P(attack) for its window {traffic.BenignScores[i]:F3})")}");
        }

        var pumpRefused = false;
        if (gate is not null)
        {
            var (address, hash) = offChain.Put("{\"rate_ml_h\":400}"u8, recordKey);
            var spoofed = Transaction.Create(pump, genesis.ChainId, 0, now, new RecordAnchor(address, hash, RecordType.Vitals, now));
            var verdict = hospital.Gossip.PublishTransaction(spoofed, DemoTraffic.Submission(pump.Address, DateTimeOffset.UtcNow, features, traffic!.Attack[^1]));
            _network.Pump();
            pumpRefused = !verdict.Accepted && verdict.Validation.Code == Core.Validation.RejectionCode.RefusedByGate;
            output.WriteLine($"  infusion-pump record: {(verdict.Accepted ? "admitted" : "refused by " + verdict.Filter + $" (score {verdict.Validation.Actual / 10_000.0:F3} >= threshold {verdict.Validation.Limit / 10_000.0:F3})")}; PyTorch gave this window {traffic.AttackScore:F3}");
        }

        output.WriteLine("Phase 1: all five nodes online");
        for (var r = 0; r < roundsPerPhase; r++)
        {
            MineRound(r + 1, cancellationToken);
        }

        Report("after phase 1");
        output.WriteLine();
        output.WriteLine("Phase 2: clinic-west stopped (N = 5, f = 1 < N/3: the quorum of ⌊2N/3⌋ + 1 = 4 votes is still there, finality goes on)");
        Stop(_nodes[4]);
        var finalBefore = hospital.Chain.Height;
        for (var r = 0; r < roundsPerPhase; r++)
        {
            MineRound(r, cancellationToken);
        }

        var finalAfterPhase2 = hospital.Chain.LastFinal.Height;
        Report("after phase 2");
        output.WriteLine();
        output.WriteLine("Phase 3: clinic-east stopped too (f = 2 >= N/3: three votes never make the quorum of four, whatever k = 3 asks; mining goes on, finality stalls)");
        Stop(_nodes[3]);
        for (var r = 0; r < roundsPerPhase; r++)
        {
            MineRound(r, cancellationToken);
        }

        var finalAfterPhase3 = hospital.Chain.LastFinal.Height;
        Report("after phase 3");

        output.WriteLine();
        output.WriteLine("Phase 4: the two stopped nodes restart, sync over the network, vote again: finality resumes");
        foreach (var n in _nodes.Where(n => !n.Online))
        {
            n.Online = true;
        }

        ConnectAll();
        _network.Pump();
        output.WriteLine($"  after sync: heights {string.Join(", ", _nodes.Select(n => $"{n.Name}=#{n.Chain.Height}"))}");
        for (var r = 0; r < roundsPerPhase; r++)
        {
            MineRound(r, cancellationToken);
        }

        var finalAfterPhase4 = hospital.Chain.LastFinal.Height;
        Report("after phase 4");

        // Check what a user would check: the records are anchored, provable from headers, and readable by the grantee.
        output.WriteLine();
        var state = hospital.Chain.State;
        var readable = state.GetReadableRecords(patient.Address, hospital.Key.Address, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).ToList();
        var proofsOk = 0;
        foreach (var (tx, anchor) in anchors)
        {
            var record = state.GetRecord(anchor.CiphertextHash) ?? throw new InvalidOperationException("record not anchored");
            var entry = hospital.Chain.GetBestAt(record.Height)!;
            var index = entry.Block.Transactions.ToList().FindIndex(t => t.Id == tx.Id);
            if (MerkleTree.Verify(entry.Block.CreateProof(index), entry.Header.MerkleRoot))
            {
                proofsOk++;
            }
        }

        var first = readable[0];
        var plain = System.Text.Encoding.UTF8.GetString(offChain.Get(first.ContentAddress, first.CiphertextHash, recordKey));
        output.WriteLine($"Records anchored: {state.RecordCount}; Merkle proofs verified from headers: {proofsOk}/{anchors.Count}; readable by st-mary-hospital under its grant: {readable.Count}");
        output.WriteLine($"First record decrypted by the grantee: {plain}");
        var tips = _nodes.Select(n => n.Chain.Tip.Hash).Distinct().Count();
        output.WriteLine($"All five nodes agree on one tip: {tips == 1}; final blocks agree: {_nodes.Select(n => n.Chain.LastFinal.Hash).Distinct().Count() == 1}");

        var reports = _nodes[1].Chain.GetBestAt(0) is null ? 0 : Enumerable.Range(1, (int)_nodes[1].Chain.Height)
            .SelectMany(h => _nodes[1].Chain.GetBestAt((ulong)h)!.Block.Transactions).Count(t => t.Kind == TransactionKind.IntrusionReport);
        if (gate is not null)
        {
            output.WriteLine($"Intrusion reports on-chain (seen by clinic-north): {reports}; the refused record never reached any mempool: {_nodes.All(n => n.Chain.State.RecordCount == anchors.Count)}");
        }

        var ok = (gate is null || (pumpRefused && reports == intrusions && reports >= 1)) && proofsOk == anchors.Count && finalAfterPhase2 > finalBefore && finalAfterPhase3 <= finalAfterPhase2 + 1
            && finalAfterPhase4 > finalAfterPhase3 && _nodes.Select(n => n.Chain.Tip.Hash).Distinct().Count() == 1;
        output.WriteLine(ok ? "Demo completed: finality survived one stopped node, stalled with two, and resumed when they came back, as the quorum arithmetic says." : "Demo FAILED its own checks.");
        foreach (var n in _nodes)
        {
            n.Dispose();
        }

        return ok ? 0 : 1;
    }

    /// <summary>Submits a transaction at the first online node; gossip carries it to the others.</summary>
    private void Broadcast(Transaction tx, LocalNode? origin = null)
    {
        origin ??= _nodes.First(n => n.Online);
        var r = origin.Gossip.PublishTransaction(tx);
        if (!r.Accepted)
        {
            output.WriteLine($"  {origin.Name} refused {tx.Kind}: {r.Validation}");
        }

        _network.Pump();
    }

    private void ConnectAll()
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            for (var j = i + 1; j < _nodes.Count; j++)
            {
                var (a, b) = (_nodes[i], _nodes[j]);
                if (a.Online && b.Online && !a.Gossip.Peers.Any(p => p.Link.RemoteName == b.Name))
                {
                    var (ab, ba) = _network.Connect(a.Name, b.Name);
                    a.Gossip.Attach(ab);
                    b.Gossip.Attach(ba);
                }
            }
        }
    }

    private static void Stop(LocalNode node)
    {
        node.Online = false;
        foreach (var peer in node.Gossip.Peers)
        {
            peer.Link.Close();
        }
    }

    private void MineRound(int round, CancellationToken cancellationToken)
    {
        var online = _nodes.Where(n => n.Online).ToList();
        var miner = online[round % online.Count];
        var sw = Stopwatch.StartNew();
        var block = miner.Mine(Threshold, cancellationToken) ?? throw new OperationCanceledException();
        var mineMs = sw.ElapsedMilliseconds;
        _network.Pump();
        foreach (var node in online.Where(n => n.Chain.Tip.Hash != block.Hash))
        {
            output.WriteLine($"  {node.Name} did not adopt block #{block.Header.Height}");
        }

        // Every online validator attests the new tip; attestations gossip and travel in the next blocks.
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var node in online)
        {
            if (node.AttestTip(now) is { } vote)
            {
                Broadcast(vote, node);
            }
        }

        var finalHeight = miner.Chain.LastFinal.Height;
        output.WriteLine($"  #{block.Header.Height,-3} mined by {miner.Name,-17} in {mineMs,5} ms  txs={block.Transactions.Count,-3} final up to #{finalHeight}");
    }

    private void Report(string when)
    {
        var chain = _nodes[0].Chain;
        var log = chain.FinalityLog;
        var latencies = log.Select(f => f.LatencyMs).OrderBy(x => x).ToList();
        var median = latencies.Count > 0 ? latencies[latencies.Count / 2] : 0;
        output.WriteLine($"  {when}: tip #{chain.Height}, last final #{chain.LastFinal.Height}, {log.Count} blocks final, sealing-to-finality median {median} ms (elapsed {_clock.Elapsed.TotalSeconds:F1} s)");
    }
}

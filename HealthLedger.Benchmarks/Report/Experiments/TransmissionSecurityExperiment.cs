using System.Globalization;
using System.Text;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Detection.Evaluation;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Model;
using HealthLedger.Detection.Runtime;

namespace HealthLedger.Benchmarks.Report.Experiments;

/// <summary>
/// Figure 2 made concrete: a generated attack mix submitted to the real admission path — a <see cref="Blockchain"/>, its
/// <see cref="TransactionPool"/> and the intrusion detector's <see cref="DetectorAdmissionFilter"/> over the shipped WUSTL
/// model — and counted by the layer whose rejection code refused each submission. Device traffic comes from the WUSTL
/// rows of the model's <b>validation</b> blocks in order (a device per block, so its window fills as in service); the test
/// blocks are not read. Rows labelled attack are the "poisoned" submissions; normal rows are honest traffic, whose
/// refusals are the false alarms.
/// </summary>
internal sealed class TransmissionSecurityExperiment : IReportExperiment
{
    private const uint ChainId = 77;

    public string Id => "transmission-security";

    internal static readonly string[] Categories = ["honest", "tampered", "replayed", "forged", "poisoned", "unauthorised"];

    internal static readonly string[] Layers = ["signature", "state", "detector", "consensus", "access control", "shape", "mempool policy", "admitted"];

    /// <summary>The layer a rejection code belongs to (docs/format.md's code ranges, with access refusals split out of state).</summary>
    internal static string Layer(RejectionCode code) => code switch
    {
        RejectionCode.None => "admitted",
        RejectionCode.RefusedByGate => "detector",
        RejectionCode.NotAuthorized or RejectionCode.DeviceRevoked or RejectionCode.NodeRevoked or RejectionCode.Expired => "access control",
        RejectionCode.DuplicateInMempool => "state",
        _ when (int)code is >= 100 and < 200 => "shape",
        _ when (int)code is >= 200 and < 300 => "signature",
        _ when (int)code is >= 300 and < 400 => "consensus",
        _ when (int)code is >= 400 and < 500 => "state",
        _ => "mempool policy",
    };

    public (string Markdown, IReadOnlyList<string> Figures) Run(ReportContext context)
    {
        var scenario = new Scenario(context);
        var rowsPerDevice = context.Scale.Pick(60, 500, 500);
        var devices = context.Scale.Pick(2, 3, 7);
        var attacksPerKind = context.Scale.Pick(8, 100, 300);
        scenario.StreamDeviceTraffic(devices, rowsPerDevice);
        scenario.Tampered(attacksPerKind);
        scenario.Replayed(attacksPerKind);
        scenario.Forged(attacksPerKind);
        scenario.Unauthorised(attacksPerKind);

        var counts = scenario.Counts;
        var totals = Categories.ToDictionary(c => c, c => Layers.Sum(l => counts.GetValueOrDefault((c, l))));
        var (path, link) = context.Figure("transmission-security.png");
        var layersShown = Layers.Where(l => Categories.Any(c => counts.GetValueOrDefault((c, l)) > 0)).ToList();
        Figures.Stacked(
            path,
            "Submissions refused, by the layer that refused them (% of each kind)",
            "% of submissions",
            [.. Categories.Select(c => $"{c} (n = {totals[c]})")],
            [.. layersShown.Select(l => new BarSeries(l, [.. Categories.Select(c => totals[c] == 0 ? 0 : 100.0 * counts.GetValueOrDefault((c, l)) / totals[c])]))]);

        var table = new MarkdownTable(["Kind", "Submitted", "Refused %", .. layersShown.Select(l => l == "admitted" ? "admitted (not refused)" : l)]);
        foreach (var c in Categories)
        {
            var refused = totals[c] - counts.GetValueOrDefault((c, "admitted"));
            table.Row([c, totals[c].ToString(CultureInfo.InvariantCulture), totals[c] == 0 ? "—" : (100.0 * refused / totals[c]).ToString("F1", CultureInfo.InvariantCulture), .. layersShown.Select(l => counts.GetValueOrDefault((c, l)).ToString(CultureInfo.InvariantCulture))]);
        }

        var codes = new MarkdownTable("Kind", "Rejection codes seen (count)");
        foreach (var c in Categories)
        {
            codes.Row(c, string.Join(", ", scenario.Codes.Where(k => k.Key.Category == c).OrderByDescending(k => k.Value).Select(k => $"{k.Key.Code} {k.Value}")));
        }

        var md = new StringBuilder();
        md.AppendLine("### Transmission security: what is refused, and by which layer (Figure 3)").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Command: {context.CommandFor(Id)}. One `Blockchain` (proof of work, difficulty level 3) with its `TransactionPool` and the `DetectorAdmissionFilter` over the shipped model `{DetectorModel.DefaultModelFileName}` (threshold {scenario.Threshold:F4}); a provider, a patient, {devices} devices streaming {rowsPerDevice} WUSTL rows each (validation blocks of the model's split, in order; the test blocks are not read) as record anchors with their traffic features attached, a block mined every 100 admissions, then {attacksPerKind} submissions of each attack kind:").AppendLine();
        md.AppendLine("- **tampered**: a device's signed anchor with one field changed after signing (ciphertext hash, content address, sequence, timestamp);");
        md.AppendLine("- **replayed**: an anchor already in a block sent again, or re-signed for another chain id;");
        md.AppendLine("- **forged**: an anchor in a device's name signed by another key; a device registration with a forged proof of possession; a block with an unmined seal; a mined block carrying a forged transaction (through `Blockchain.AddBlock`);");
        md.AppendLine("- **poisoned**: anchors whose traffic rows are labelled attack (the detector's sensitivity decides how many get through);");
        md.AppendLine("- **unauthorised**: a provider granting itself access to a patient's records, a revoked device anchoring, an unregistered key registering a device, an unregistered device anchoring.").AppendLine();
        md.AppendLine("A layer is the rejection code's family: 2xx signature, 3xx consensus (block checks), 401/404/407/409 access control, other 4xx and 500 (already mined) state, 503 the detector gate, 1xx shape. Honest refusals are the detector's false alarms on normal traffic.").AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"![Transmission security]({link})").AppendLine();
        md.Append(table).AppendLine();
        md.Append(codes);
        return (md.ToString(), [path]);
    }

    /// <summary>The chain, the pool with its detector gate, and the actors; counts outcomes by (kind, layer).</summary>
    private sealed class Scenario
    {
        private readonly ReportContext _context;
        private readonly KeyPair _provider = KeyPair.FromLabel("security-provider");
        private readonly KeyPair _patient = KeyPair.FromLabel("security-patient");
        private readonly KeyPair _attacker = KeyPair.FromLabel("security-attacker");
        private readonly KeyPair _revoked = KeyPair.FromLabel("security-revoked-device");
        private readonly List<KeyPair> _devices = [];
        private readonly List<Transaction> _mined = [];
        private readonly GenesisConfig _genesis;
        private readonly Blockchain _chain;
        private readonly TransactionPool _pool;
        private readonly DetectorModel _model;
        private int _admittedSinceBlock;
        private long _clock;

        public Scenario(ReportContext context)
        {
            _context = context;
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            _clock = now;
            _genesis = new GenesisConfig
            {
                ChainId = ChainId,
                TimestampMs = now - 3_600_000,
                Authorities = [KeyPair.FromLabel("security-authority").PublicKey],
                InitialNodes = [new GenesisNode(_provider.PublicKey, NodeRoles.Provider, "provider")],
                Engine = ConsensusEngineId.ProofOfWork,
                Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(3), PowLimitBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true, MaxFutureDriftMs = long.MaxValue / 4 },
            };
            _chain = new Blockchain(_genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore());
            _pool = new TransactionPool(_chain, TimeProvider.System);
            _model = DetectorModel.LoadDefault();
            var detector = new OnnxIntrusionDetector(_model, TimeProvider.System, ownsModel: true);
            _pool.AddGate(new DetectorAdmissionFilter(new DetectorGate(detector, TimeProvider.System)));
            Threshold = detector.Threshold;

            // On chain before the traffic: the patient, the revoked device (registered, then revoked).
            Setup(Transaction.Create(_patient, ChainId, 0, Now(), new PatientRegistration(Hash256.Sha256("security-patient"u8))));
            Setup(Register(_provider, _revoked));
            MineBlock();
            Setup(Transaction.Create(_provider, ChainId, Sequence(_provider), Now(), new DeviceRevocation(_revoked.Address)));
            MineBlock();
        }

        public float Threshold { get; }

        public Dictionary<(string Category, string Layer), int> Counts { get; } = [];

        public Dictionary<(string Category, RejectionCode Code), int> Codes { get; } = [];

        /// <summary>Each device sends the rows of one validation block, in order, as anchors with the row attached.</summary>
        public void StreamDeviceTraffic(int devices, int rowsPerDevice)
        {
            var data = DataLocator.Find();
            if (data.Directory is null)
            {
                throw new DirectoryNotFoundException("The WUSTL-EHMS-2020 data are needed for the transmission-security experiment: " + data.Explanation);
            }

            var spec = EvaluationSplit.ParseValidation(_model.Metadata.SplitJson);
            var table = DatasetTable.Load(data.Directory, spec.File, _model.Metadata.Dataset);
            var blocks = spec.BlocksFor(table.Rows.Count).Take(devices).ToList();
            for (var d = 0; d < blocks.Count; d++)
            {
                var device = KeyPair.FromLabel($"security-device-{d}");
                Setup(Register(_provider, device));
                _devices.Add(device);
            }

            MineBlock();
            for (var offset = 0; offset < rowsPerDevice; offset++)
            {
                for (var d = 0; d < blocks.Count; d++)
                {
                    var r = blocks[d].Start + offset;
                    if (r >= blocks[d].End)
                    {
                        continue;
                    }

                    var row = table.Rows[r];
                    var fields = table.Header.Select((name, i) => (name, i)).ToDictionary(c => c.name, c => FeatureValue.FromText(row[c.i]));
                    var device = _devices[d];
                    var submission = new DeviceSubmission(device.Address, DateTimeOffset.FromUnixTimeMilliseconds(Now()), fields);
                    Submit(table.IsAttack(row) ? "poisoned" : "honest", Anchor(device, $"row-{r}"), submission);
                }
            }

            MineBlock();
            _context.Log.WriteLine($"  streamed {blocks.Count} devices × {rowsPerDevice} rows; chain #{_chain.Height}");
        }

        public void Tampered(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var device = _devices[i % _devices.Count];
                var tx = Anchor(device, $"tamper-{i}");
                var p = (RecordAnchor)tx.Payload;
                var forged = (i % 4) switch
                {
                    0 => Rebuild(tx, payload: p with { CiphertextHash = Hash256.Sha256(Encoding.UTF8.GetBytes($"altered-{i}")) }),
                    1 => Rebuild(tx, payload: p with { ContentAddress = p.ContentAddress + "x" }),
                    2 => Rebuild(tx, sequence: tx.Sequence + 1),
                    _ => Rebuild(tx, timestampMs: tx.TimestampMs - 60_000),
                };
                Submit("tampered", forged);
            }
        }

        public void Replayed(int count)
        {
            var anchors = _mined.Where(t => t.Payload is RecordAnchor).ToList();
            for (var i = 0; i < count; i++)
            {
                if (i % 2 == 0 && anchors.Count > 0)
                {
                    Submit("replayed", anchors[i * 7919 % anchors.Count]);
                }
                else
                {
                    var device = _devices[i % _devices.Count];
                    var original = Anchor(device, $"cross-chain-{i}");
                    Submit("replayed", Transaction.Create(device, ChainId + 1, original.Sequence, original.TimestampMs, original.Payload));
                }
            }
        }

        public void Forged(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var device = _devices[i % _devices.Count];
                switch (i % 4)
                {
                    case 0:
                        Submit("forged", ForgedAnchor(device, i));
                        break;
                    case 1:
                        {
                            using var newDevice = KeyPair.FromLabel($"security-forged-pop-{i}");
                            var pop = _attacker.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, newDevice.PublicKey, _patient.Address, _provider.Address));
                            Submit("forged", Transaction.Create(_provider, ChainId, Sequence(_provider), Now(), new DeviceRegistration(newDevice.PublicKey, _patient.Address, DeviceClass.Wearable, pop)));
                            break;
                        }

                    case 2:
                        {
                            // An unmined seal: a template whose nonce was never searched.
                            var template = _chain.CreateTemplate(PublicKey.Empty, [], 1);
                            var header = template.WithNonce((ulong)Random.Shared.NextInt64(), template.TimestampMs);
                            SubmitBlock("forged", new Block(header, []));
                            break;
                        }

                    default:
                        {
                            var txs = new[] { ForgedAnchor(device, i) };
                            SubmitBlock("forged", Mine(txs));
                            break;
                        }
                }
            }
        }

        public void Unauthorised(int count)
        {
            for (var i = 0; i < count; i++)
            {
                switch (i % 4)
                {
                    case 0:
                        Submit("unauthorised", Transaction.Create(_provider, ChainId, Sequence(_provider), Now(), new AccessGrant(_provider.Address, RecordScope.Vitals, Now() + 86_400_000)));
                        break;
                    case 1:
                        Submit("unauthorised", Anchor(_revoked, $"revoked-{i}"));
                        break;
                    case 2:
                        {
                            using var newDevice = KeyPair.FromLabel($"security-unauthorised-device-{i}");
                            Submit("unauthorised", Register(_attacker, newDevice));
                            break;
                        }

                    default:
                        {
                            using var stranger = KeyPair.FromLabel($"security-stranger-{i}");
                            Submit("unauthorised", Anchor(stranger, $"stranger-{i}"));
                            break;
                        }
                }
            }
        }

        private Transaction ForgedAnchor(KeyPair device, int i)
        {
            var honest = Anchor(device, $"forged-{i}");
            var attackerSigned = Transaction.Create(_attacker, ChainId, honest.Sequence, honest.TimestampMs, honest.Payload);
            return new Transaction(honest.Version, ChainId, device.PublicKey, honest.Sequence, honest.TimestampMs, honest.Payload, attackerSigned.Signature);
        }

        private Transaction Register(KeyPair provider, KeyPair device) =>
            Transaction.Create(provider, ChainId, Sequence(provider), Now(), new DeviceRegistration(
                device.PublicKey, _patient.Address, DeviceClass.Wearable, device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, device.PublicKey, _patient.Address, provider.Address))));

        private Transaction Anchor(KeyPair device, string label) =>
            Transaction.Create(device, ChainId, Sequence(device), Now(), new RecordAnchor("bafy" + label, Hash256.Sha256(Encoding.UTF8.GetBytes(label)), RecordType.Vitals, Now() - 1_000));

        private static Transaction Rebuild(Transaction tx, TransactionPayload? payload = null, ulong? sequence = null, long? timestampMs = null) =>
            new(tx.Version, tx.ChainId, tx.Sender, sequence ?? tx.Sequence, timestampMs ?? tx.TimestampMs, payload ?? tx.Payload, tx.Signature);

        private ulong Sequence(KeyPair sender) => _pool.PendingState.GetNextSequence(sender.Address);

        private long Now() => ++_clock;

        private void Setup(Transaction tx)
        {
            var r = _pool.Submit(tx, TransactionOrigin.Local);
            if (!r.Accepted)
            {
                throw new InvalidOperationException($"Setup transaction refused: {r.Validation}");
            }
        }

        private void Submit(string category, Transaction tx, DeviceSubmission? attachment = null)
        {
            var result = _pool.Submit(tx, TransactionOrigin.Local, attachment);
            Count(category, result.Validation.Code);
            if (result.Accepted && ++_admittedSinceBlock >= 100)
            {
                MineBlock();
            }
        }

        private void SubmitBlock(string category, Block block) => Count(category, _chain.AddBlock(block).Validation.Code);

        private void Count(string category, RejectionCode code)
        {
            var layer = Layer(code);
            Counts[(category, layer)] = Counts.GetValueOrDefault((category, layer)) + 1;
            Codes[(category, code)] = Codes.GetValueOrDefault((category, code)) + 1;
        }

        private Block Mine(IReadOnlyList<Transaction> txs)
        {
            var template = _chain.CreateTemplate(PublicKey.Empty, txs, 1);
            var sealedHeader = ProofOfWorkEngine.Instance.CreateSealer().Seal(template, CompactTarget.Decode(template.TargetBits), null).Header!;
            return new Block(sealedHeader, txs);
        }

        private void MineBlock()
        {
            var txs = _pool.SelectForBlock(5_000);
            var block = Mine(txs);
            var r = _chain.AddBlock(block);
            if (r.Status != BlockStatus.Connected)
            {
                throw new InvalidOperationException($"An honest block was refused: {r.Validation}");
            }

            _mined.AddRange(txs);
            _admittedSinceBlock = 0;
        }
    }
}

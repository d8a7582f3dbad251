// A custom detector behind the mempool's detection gate: any IIntrusionDetector plugs into DetectorGate and
// DetectorAdmissionFilter. This one refuses physiologically impossible vitals; a device's record anchor that carries
// them is refused with RefusedByGate (score and threshold in basis points), and the alert is reported.
using System.Text;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;
using HealthLedger.Detection.Features;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Runtime;

const uint chainId = 3;
var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
using var authority = KeyPair.Generate();
using var miner = KeyPair.Generate();
using var hospital = KeyPair.Generate();
using var patient = KeyPair.Generate();
using var pump = KeyPair.Generate();
var genesis = new GenesisConfig
{
    ChainId = chainId,
    TimestampMs = nowMs - 60_000,
    Authorities = [authority.PublicKey],
    InitialNodes = [new GenesisNode(hospital.PublicKey, NodeRoles.Provider, "hospital")],
    Engine = ConsensusEngineId.ProofOfWork,
};
var engine = ConsensusEngines.Create(genesis);
var chain = new Blockchain(genesis, engine, new InMemoryBlockStore());
var pool = new TransactionPool(chain);
var alerts = new List<IntrusionAlert>();
pool.AddGate(new DetectorAdmissionFilter(new DetectorGate(new VitalsRangeDetector(), TimeProvider.System), alerts.Add));

// The patient registers; the hospital registers the patient's infusion pump (the pump proves possession of its key).
Require(pool.Submit(Transaction.Create(patient, chainId, 0, nowMs, new PatientRegistration(Hash256.Sha256("mrn-0004:salt"u8)))));
Mine();
var proof = pump.Sign(DeviceRegistration.ProofOfPossessionMessage(chainId, pump.PublicKey, patient.Address, hospital.Address));
Require(pool.Submit(Transaction.Create(hospital, chainId, 0, nowMs, new DeviceRegistration(pump.PublicKey, patient.Address, DeviceClass.Implantable, proof))));
Mine();

// The pump anchors two records, each submitted with the traffic/vitals features the gate screens.
var normal = pool.Submit(Anchor(0, "reading-1"), TransactionOrigin.Local, Submission(heartRate: 72));
var spoofed = pool.Submit(Anchor(1, "reading-2"), TransactionOrigin.Local, Submission(heartRate: 410));
Console.WriteLine($"normal reading admitted: {normal.Accepted}; spoofed reading: {spoofed.Validation.Code} (score {spoofed.Validation.Actual}, threshold {spoofed.Validation.Limit}); alerts: {alerts.Count}");
if (!normal.Accepted || spoofed.Validation.Code != RejectionCode.RefusedByGate || alerts.Count != 1)
{
    throw new InvalidOperationException("the gate did not screen as expected");
}

Transaction Anchor(ulong sequence, string label) =>
    Transaction.Create(pump, chainId, sequence, nowMs, new RecordAnchor("bafy" + label, Hash256.Sha256(Encoding.UTF8.GetBytes(label)), RecordType.Vitals, nowMs - 1_000));

DeviceSubmission Submission(double heartRate) =>
    new(pump.Address, DateTimeOffset.FromUnixTimeMilliseconds(nowMs), new Dictionary<string, FeatureValue> { ["heart_rate"] = heartRate, ["spo2"] = 97.0 });

void Mine()
{
    var txs = pool.SelectForBlock(max: 100);
    var seal = engine.CreateSealer().Seal(chain.CreateTemplate(miner.PublicKey, txs, threshold: 1), engine.GetEffectiveTarget(miner.PublicKey, chain.GetView(chain.Tip)), miner);
    if (!chain.AddBlock(new Block(seal.Header!, txs)).IsAccepted)
    {
        throw new InvalidOperationException("block refused");
    }
}

static void Require(AdmissionResult result)
{
    if (!result.Accepted)
    {
        throw new InvalidOperationException($"refused: {result.Validation}");
    }
}

/// <summary>
/// A rule-based detector: P(attack) = 1 when the heart rate or SpO2 is outside what a living patient can show, else 0.
/// Stateless, so thread-safe, as the gate requires of a detector.
/// </summary>
internal sealed class VitalsRangeDetector : IIntrusionDetector
{
    public float Threshold => 0.5f;

    public string ModelId => "vitals-range-v1";

    public Hash256 ModelHash { get; } = Hash256.Sha256("vitals-range-v1"u8);

    public DetectionResult Classify(DeviceSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        var heartRate = submission.Fields.TryGetValue("heart_rate", out var hr) ? hr.Number : double.NaN;
        var spo2 = submission.Fields.TryGetValue("spo2", out var s) ? s.Number : double.NaN;
        var impossible = !(heartRate is >= 20 and <= 300) || !(spo2 is >= 50 and <= 100);
        var score = impossible ? 1f : 0f;
        return DetectionResult.Classified(new IntrusionVerdict(score, Threshold, impossible ? 1 : 0));
    }

    public IReadOnlyList<DetectionResult> ClassifyBatch(IReadOnlyList<DeviceSubmission> submissions) =>
        [.. submissions.Select(Classify)];
}

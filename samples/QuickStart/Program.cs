// The README's quick start: a chain, a mempool gated by the shipped intrusion detector, a patient's first
// transaction, and a block mined with it. (.ci/check-packages checks that the README shows this file verbatim.)
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Detection.Gate;
using HealthLedger.Detection.Runtime;

using var authority = KeyPair.Generate();
using var miner = KeyPair.Generate();
var genesis = new GenesisConfig { ChainId = 1, TimestampMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Authorities = [authority.PublicKey], Engine = ConsensusEngineId.ProofOfWork };
var engine = ConsensusEngines.Create(genesis);                                 // classic PoW; ePoW binds blocks to registered miners
var chain = new Blockchain(genesis, engine, new InMemoryBlockStore());        // FileBlockStore for real
var mempool = new TransactionPool(chain);
using var detector = OnnxIntrusionDetector.CreateDefault(TimeProvider.System); // the shipped DSAE+BiLSTM (ONNX Runtime)
mempool.AddGate(new DetectorAdmissionFilter(new DetectorGate(detector, TimeProvider.System)));

using var patient = KeyPair.Generate();                                        // Ed25519 identity
var tx = Transaction.Create(patient, genesis.ChainId, sequence: 0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(),
    new PatientRegistration(Hash256.Sha256("mrn-0001:salt"u8)));              // no personal data on-chain
var admitted = mempool.Submit(Transaction.Decode(tx.Encode()));                // canonical bytes in, typed AdmissionResult out

var txs = mempool.SelectForBlock(max: 100);
var template = chain.CreateTemplate(miner.PublicKey, txs, threshold: 1);
var seal = engine.CreateSealer().Seal(template, engine.GetEffectiveTarget(miner.PublicKey, chain.GetView(chain.Tip)), miner);
var added = chain.AddBlock(new Block(seal.Header!, txs));
Console.WriteLine($"admitted: {admitted.Accepted}; block {chain.Height} {added.Status} with {txs.Count} transaction(s) after {seal.Attempts} hashes");

if (!admitted.Accepted || !added.IsAccepted || chain.Height != 1 || chain.State.GetPatient(patient.Address) is null)
{
    throw new InvalidOperationException($"quick start failed: {admitted.Validation} / {added.Validation}");
}

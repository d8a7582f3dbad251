// A record written and released: the patient registers and grants a clinic access on-chain; the hospital encrypts a
// FHIR vital-signs bundle into a content store (RecordVault); the clinic asks for the record key with a signed request
// and KeyReleaseService releases it only because the chain holds the patient's grant. A stranger is refused.
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;

const uint chainId = 7;
var random = SystemRandomSource.Instance;
var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
using var authority = KeyPair.Generate();
using var miner = KeyPair.Generate();
using var patient = KeyPair.Generate();
using var device = KeyPair.Generate();
using var hospital = KeyPair.Generate();
using var clinic = KeyPair.Generate();
using var stranger = KeyPair.Generate();
var genesis = new GenesisConfig
{
    ChainId = chainId,
    TimestampMs = nowMs - 60_000,
    Authorities = [authority.PublicKey],
    InitialNodes = [new GenesisNode(clinic.PublicKey, NodeRoles.Provider, "clinic")],
    Engine = ConsensusEngineId.ProofOfWork,
};
var engine = ConsensusEngines.Create(genesis);
var chain = new Blockchain(genesis, engine, new InMemoryBlockStore());
var pool = new TransactionPool(chain);

// 1. On-chain: the patient registers and grants the clinic its vitals for 30 days; one block is mined.
Require(pool.Submit(Transaction.Create(patient, chainId, 0, nowMs, new PatientRegistration(Hash256.Sha256("mrn-0003:salt"u8)))));
Require(pool.Submit(Transaction.Create(patient, chainId, 1, nowMs, new AccessGrant(clinic.Address, RecordScope.Vitals, nowMs + (long)TimeSpan.FromDays(30).TotalMilliseconds))));
var txs = pool.SelectForBlock(max: 100);
var seal = engine.CreateSealer().Seal(chain.CreateTemplate(miner.PublicKey, txs, threshold: 1), engine.GetEffectiveTarget(miner.PublicKey, chain.GetView(chain.Tip)), miner);
var added = chain.AddBlock(new Block(seal.Header!, txs));
Console.WriteLine($"block {chain.Height}: {added.Status}, {txs.Count} transactions");

// 2. Off-chain: the hospital encrypts the device's bundle into a content store (a local folder here; Kubo for IPFS).
var folder = Directory.CreateTempSubdirectory("healthledger-records-");
try
{
    using var hospitalKey = EncryptionKeyPair.Generate(random);
    using var clinicKey = EncryptionKeyPair.Generate(random);
    var vault = new RecordVault(chainId, new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = folder.FullName }),
        new RecordCustodian(hospital.Address, hospitalKey), new FhirRecordCodec(), random);
    var measuredAt = DateTimeOffset.FromUnixTimeMilliseconds(nowMs - 1_000);
    var bundle = VitalSignsBundle.Build(patient.Address, device.Address, measuredAt, [new(VitalSign.HeartRate, 72m), new(VitalSign.OxygenSaturation, 97m)], random);
    var ingested = await vault.IngestAsync(new RecordSubmission(device.Address, patient.PublicKey, RecordType.Vitals, measuredAt, bundle), CancellationToken.None);
    if (!ingested.IsSuccess)
    {
        throw new InvalidOperationException($"ingest failed: {ingested.Error}");
    }

    var record = ingested.Value;
    var anchor = record.ToAnchoredRecord(); // the device's RecordAnchor transaction carries record.ToAnchor()
    Console.WriteLine($"stored {anchor.ContentAddress} ({record.EnvelopeBytes} bytes sealed)");

    // 3. Key release, checked against the grants on the chain.
    var release = new KeyReleaseService(vault, new ChainGrants(chain), TimeProvider.System);
    var wrap = await release.ReleaseAsync(KeyReleaseRequest.Create(clinic, chainId, anchor.ContentAddress, anchor.CiphertextHash, clinicKey.PublicKey, nowMs, random), anchor, CancellationToken.None);
    var opened = await vault.OpenAsync(anchor, clinic.Address, clinicKey, wrap.Value.Wrap, CancellationToken.None);
    var refused = await release.ReleaseAsync(KeyReleaseRequest.Create(stranger, chainId, anchor.ContentAddress, anchor.CiphertextHash, clinicKey.PublicKey, nowMs, random), anchor, CancellationToken.None);
    Console.WriteLine($"clinic opened the record: {opened.IsSuccess}; stranger refused: {refused.Error?.Code}");
    if (!opened.IsSuccess || refused.IsSuccess)
    {
        throw new InvalidOperationException("key release did not follow the grants");
    }
}
finally
{
    folder.Delete(recursive: true);
}

static void Require(AdmissionResult result)
{
    if (!result.Accepted)
    {
        throw new InvalidOperationException($"refused: {result.Validation}");
    }
}

/// <summary>Answers key release's one question from the chain's current state (grants by patient, provider and type).</summary>
internal sealed class ChainGrants(Blockchain chain) : IGrantOracle
{
    public ValueTask<GrantCheck> CheckAsync(Address patient, Address provider, RecordType type, DateTimeOffset at, CancellationToken cancellationToken) =>
        ValueTask.FromResult(chain.State.GetGrant(patient, provider, type) switch
        {
            null => new GrantCheck(GrantStatus.NotGranted),
            var grant when grant.ExpiresAtMs <= at.ToUnixTimeMilliseconds() => new GrantCheck(GrantStatus.Expired),
            var grant => new GrantCheck(GrantStatus.Active, grant.GrantedAtHeight),
        });
}

using BenchmarkDotNet.Attributes;
using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Core;

/// <summary>
/// Admitting registrations to the mempool: a patient registration (one signature, the baseline) against a device
/// registration (the provider's signature, the device's proof of possession, the provider's and patient's state), in
/// batches of 500 into a fresh pool, from a local submitter or a peer. The end-to-end registration time over a node
/// network is the report's <c>registration-time</c> experiment.
/// Run: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*RegistrationBenchmarks*' --job short</c>.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
public class RegistrationBenchmarks
{
    private const int Batch = 500;
    private const uint ChainId = 44;
    private readonly KeyPair _provider = KeyPair.FromLabel("bench-registration-provider");
    private readonly KeyPair _patient = KeyPair.FromLabel("bench-registration-patient");
    private GenesisConfig _genesis = null!;
    private Block _setupBlock = null!;
    private Transaction[] _patients = [];
    private Transaction[] _devices = [];
    private TransactionPool _pool = null!;

    /// <summary>Where the registrations come from.</summary>
    [Params(TransactionOrigin.Local, TransactionOrigin.Peer)]
    public TransactionOrigin Origin { get; set; }

    /// <summary>A chain holding the provider (genesis) and the patient, and the signed registrations.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        _genesis = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = now - 3_600_000,
            Authorities = [KeyPair.FromLabel("bench-registration-authority").PublicKey],
            InitialNodes = [new GenesisNode(_provider.PublicKey, NodeRoles.Provider, "provider")],
            Engine = ConsensusEngineId.ProofOfWork,
            Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true, MaxFutureDriftMs = long.MaxValue / 4 },
        };
        var chain = new Blockchain(_genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore());
        var patientTx = Transaction.Create(_patient, ChainId, 0, now, new PatientRegistration(Hash256.Sha256("bench-registration-patient"u8)));
        var template = chain.CreateTemplate(PublicKey.Empty, [patientTx], 1);
        _setupBlock = new Block(ProofOfWorkEngine.Instance.CreateSealer().Seal(template, CompactTarget.Decode(template.TargetBits), null).Header!, [patientTx]);
        _patients = [.. Enumerable.Range(0, Batch).AsParallel().AsOrdered().Select(i =>
        {
            using var key = KeyPair.FromLabel($"bench-registration-new-patient-{i}");
            return Transaction.Create(key, ChainId, 0, now, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes(i))));
        })];
        _devices = [.. Enumerable.Range(0, Batch).AsParallel().AsOrdered().Select(i =>
        {
            using var device = KeyPair.FromLabel($"bench-registration-device-{i}");
            var pop = device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, device.PublicKey, _patient.Address, _provider.Address));
            return Transaction.Create(_provider, ChainId, (ulong)i, now, new DeviceRegistration(device.PublicKey, _patient.Address, DeviceClass.Wearable, pop));
        })];
    }

    /// <summary>A fresh chain and pool for each iteration (signature cache cold).</summary>
    [IterationSetup]
    public void FreshPool()
    {
        var chain = new Blockchain(_genesis, ProofOfWorkEngine.Instance, new InMemoryBlockStore());
        if (chain.AddBlock(_setupBlock).Status != BlockStatus.Connected)
        {
            throw new InvalidOperationException("setup block refused");
        }

        _pool = new TransactionPool(chain, TimeProvider.System);
    }

    /// <summary>500 patient registrations from fresh keys.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public int AdmitPatientRegistrations() => Admit(_patients);

    /// <summary>500 device registrations from one provider (sequences 0..499).</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public int AdmitDeviceRegistrations() => Admit(_devices);

    private int Admit(Transaction[] txs)
    {
        var admitted = 0;
        foreach (var tx in txs)
        {
            admitted += _pool.Submit(tx, Origin).Accepted ? 1 : 0;
        }

        return admitted == txs.Length ? admitted : throw new InvalidOperationException($"only {admitted} of {txs.Length} admitted");
    }
}

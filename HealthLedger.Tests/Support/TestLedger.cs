using System.Security.Cryptography;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Tests.Support;

/// <summary>
/// A ready-made consortium for tests: one authority, five validators, a provider, a gateway, a patient and a device,
/// deterministic keys, a manual clock, and builders for transactions and blocks that read like prose.
/// </summary>
internal sealed class TestLedger
{
    public const uint ChainId = 7;

    public TestLedger(ushort minThreshold = 1, ushort maxThreshold = 5, Func<GenesisConfig, GenesisConfig>? configure = null)
    {
        Time = new ManualTimeProvider();
        var config = new GenesisConfig
        {
            ChainId = ChainId,
            TimestampMs = Time.NowMs - 60_000,
            Authorities = [Authority.PublicKey],
            InitialNodes =
            [
                .. Validators.Select((v, i) => new GenesisNode(v.PublicKey, NodeRoles.Validator, $"validator-{i}")),
                new GenesisNode(Provider.PublicKey, NodeRoles.Provider, "st-mary"),
                new GenesisNode(Gateway.PublicKey, NodeRoles.Gateway, "gateway"),
            ],
            Engine = ConsensusEngineId.ProofOfWork,
            MinThreshold = minThreshold,
            MaxThreshold = maxThreshold,
        };
        Genesis = configure is null ? config : configure(config);
    }

    public ManualTimeProvider Time { get; }

    public GenesisConfig Genesis { get; }

    public KeyPair Authority { get; } = KeyPair.FromLabel("authority");

    public KeyPair[] Validators { get; } = [.. Enumerable.Range(0, 5).Select(i => KeyPair.FromLabel($"validator-{i}"))];

    public KeyPair Provider { get; } = KeyPair.FromLabel("provider");

    public KeyPair Gateway { get; } = KeyPair.FromLabel("gateway");

    public KeyPair Patient { get; } = KeyPair.FromLabel("patient");

    public KeyPair Device { get; } = KeyPair.FromLabel("device");

    public Blockchain NewChain(IBlockStore? store = null, IConsensusEngine? engine = null) =>
        new(Genesis, engine ?? new TestEngine(), store ?? new InMemoryBlockStore(), Time);

    public Transaction Tx(KeyPair signer, ulong sequence, TransactionPayload payload) =>
        Transaction.Create(signer, ChainId, sequence, Time.NowMs, payload);

    public Transaction RegisterPatient(ulong seq = 0) =>
        Tx(Patient, seq, new PatientRegistration(Hash256.Sha256("mrn-0001:salt"u8)));

    public Transaction RegisterDevice(ulong seq = 0, KeyPair? device = null, KeyPair? provider = null)
    {
        device ??= Device;
        provider ??= Provider;
        var pop = device.Sign(DeviceRegistration.ProofOfPossessionMessage(ChainId, device.PublicKey, Patient.Address, provider.Address));
        return Tx(provider, seq, new DeviceRegistration(device.PublicKey, Patient.Address, DeviceClass.Wearable, pop));
    }

    public Transaction Anchor(ulong seq, string label = "record") =>
        Tx(Device, seq, new RecordAnchor("bafy" + label, Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(label)), RecordType.Vitals, Time.NowMs - 1000));

    /// <summary>A finality vote of <paramref name="validator"/> for <paramref name="block"/>, from <paramref name="source"/> (genesis when null); votes carry sequence 0.</summary>
    public Transaction Attest(int validator, ChainEntry block, ChainEntry? source = null)
    {
        source ??= block.GetAncestor(0)!;
        return Tx(Validators[validator], 0, new Attestation(block.Hash, block.Height, source.Hash, source.Height));
    }

    /// <summary>A block on <paramref name="parent"/> (test engine: any nonce but 0xBAD is a valid seal).</summary>
    public Block MakeBlock(ChainEntry parent, IReadOnlyList<Transaction>? txs = null, ushort threshold = 1, long? timestampMs = null, ulong nonce = 1, int miner = 0, Hash256? merkleRoot = null)
    {
        txs ??= [];
        var header = new BlockHeader(
            BlockHeader.CurrentVersion, ChainId, parent.Height + 1, timestampMs ?? parent.Header.TimestampMs + 1000,
            parent.Hash, merkleRoot ?? MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray()),
            Genesis.Consensus.InitialTargetBits, threshold, Genesis.Engine, Validators[miner].PublicKey, nonce, Signature.Empty);
        return new Block(header, txs);
    }

    /// <summary>Adds <paramref name="block"/> to <paramref name="chain"/>, asserts it joined the best chain, and returns its entry.</summary>
    public static ChainEntry Connect(Blockchain chain, Block block)
    {
        Assert.That(chain.AddBlock(block).Status, Is.EqualTo(BlockStatus.Connected));
        return chain.GetEntry(block.Hash)!;
    }

    /// <summary>Extends <paramref name="chain"/>'s tip with empty blocks and returns the new tip.</summary>
    public ChainEntry Extend(Blockchain chain, ChainEntry from, int count, ulong nonceSalt = 1)
    {
        var tip = from;
        for (var i = 0; i < count; i++)
        {
            if (tip.Header.TimestampMs + 1000 > Time.NowMs)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
            }

            var block = MakeBlock(tip, nonce: nonceSalt + ((ulong)i << 16));
            var r = chain.AddBlock(block);
            Assert.That(r.IsAccepted, Is.True, r.Validation.ToString());
            tip = chain.GetEntry(block.Hash)!;
        }

        return tip;
    }

    public static byte[] RandomBytes(int n) => RandomNumberGenerator.GetBytes(n);
}

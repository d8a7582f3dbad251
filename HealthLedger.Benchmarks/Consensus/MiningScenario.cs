using System.Collections.Immutable;
using System.Numerics;
using HealthLedger.Consensus.Engines;
using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Benchmarks.Consensus;

/// <summary>Who is mining: classic PoW, or an ePoW validator with a given credit history.</summary>
public enum MinerProfile
{
    /// <summary>Classic proof of work (no identity, no signature).</summary>
    ProofOfWork,

    /// <summary>ePoW validator with no recorded activity: credit 0.</summary>
    Neutral,

    /// <summary>ePoW validator attesting every other miner's block and mining its share, all endorsed by a quorum: credit +4.</summary>
    HighCredit,

    /// <summary>ePoW validator with one fresh piece of misbehaviour evidence: credit −4.</summary>
    Penalised,
}

/// <summary>
/// A fixed-difficulty chain of 64 blocks mined in rotation by 8 validators, seen by the miner about to mine block 65,
/// with the miner's activity set up for its <see cref="MinerProfile"/>. Templates differ only in their Merkle root.
/// </summary>
internal sealed class MiningScenario
{
    private const int Validators = 8;
    private const int Blocks = 64;
    private readonly List<BlockHeader> _headers = [];

    public MiningScenario(int difficultyLevel, MinerProfile profile)
    {
        Profile = profile;
        var keys = Enumerable.Range(0, Validators).Select(i => KeyPair.FromLabel($"bench-validator-{i}")).ToArray();
        MinerKey = keys[0];
        var engineId = profile == MinerProfile.ProofOfWork ? ConsensusEngineId.ProofOfWork : ConsensusEngineId.EnhancedProofOfWork;
        var bits = CompactTarget.FromDifficultyLevel(difficultyLevel);
        Genesis = new GenesisConfig
        {
            ChainId = 11,
            TimestampMs = 1_700_000_000_000,
            Authorities = [KeyPair.FromLabel("bench-authority").PublicKey],
            Engine = engineId,
            Consensus = new ConsensusParameters { InitialTargetBits = bits, PowLimitBits = bits, FixedDifficulty = true },
        };
        Engine = ConsensusEngines.Create(Genesis);

        _headers.Add(Header(0, Hash256.Zero, PublicKey.Empty, Hash256.Zero, bits, engineId));
        for (var h = 1; h <= Blocks; h++)
        {
            _headers.Add(Header((ulong)h, _headers[^1].Hash, keys[h % Validators].PublicKey, Hash256.Zero, bits, engineId));
        }

        var nodes = new List<NodeInfo>();
        for (var i = 0; i < Validators; i++)
        {
            var key = keys[i].PublicKey;
            var mined = Enumerable.Range(1, Blocks).Where(h => h % Validators == i).Select(h => (ulong)h).ToImmutableArray();
            var activity = NodeActivity.Empty;
            if (profile == MinerProfile.HighCredit)
            {
                // Every validator attests every block it did not mine, so every height is endorsed by a finality quorum
                // (⌊2N/3⌋ + 1 of 8); the miner attested all 56 blocks of the others and mined endorsed ones: bonus 2 + 2.
                var others = Enumerable.Range(1, Blocks).Where(h => h % Validators != i).Select(h => (ulong)h).ToImmutableArray();
                activity = new NodeActivity(mined, others, []);
            }
            else if (i == 0 && profile == MinerProfile.Penalised)
            {
                activity = new NodeActivity(mined, [], [(ulong)Blocks]);
            }

            nodes.Add(new NodeInfo(key.ToAddress(), key, NodeRoles.Validator, $"v{i}", 0, false, activity));
        }

        View = new BenchChainView(_headers, new BenchLedgerState((ulong)Blocks, nodes), Genesis);
        Bits = Engine.GetNextTargetBits(View);
        Credit = profile == MinerProfile.ProofOfWork ? 0 : EnhancedProofOfWorkEngine.GetCredit(MinerKey.PublicKey, View).Levels;

    }

    public MinerProfile Profile { get; }

    public GenesisConfig Genesis { get; }

    public IMiningEngine Engine { get; }

    public KeyPair MinerKey { get; }

    public IChainView View { get; }

    public uint Bits { get; }

    /// <summary>The credit exponent m the engine computes for the miner (0 for PoW).</summary>
    public int Credit { get; }

    /// <summary>Expected hashes per block: 2^256 / (effective target + 1).</summary>
    public BigInteger ExpectedHashes => CompactTarget.Work(Engine.GetEffectiveTarget(MinerKey.PublicKey, View));

    /// <summary>The template of the <paramref name="index"/>-th independent trial (distinct Merkle root, nonce 0).</summary>
    public BlockHeader Template(int index)
    {
        Span<byte> seed = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(seed, index);
        return Header((ulong)Blocks + 1, _headers[^1].Hash, MinerKey.PublicKey, Hash256.Sha256(seed), Bits, Genesis.Engine);
    }

    /// <summary>Mines one block the way a miner does: effective target from the engine, then seal (search and sign).</summary>
    public SealResult Mine(ISealer sealer, int index) =>
        sealer.Seal(Template(index), Engine.GetEffectiveTarget(MinerKey.PublicKey, View), Profile == MinerProfile.ProofOfWork ? null : MinerKey);

    private BlockHeader Header(ulong height, Hash256 previous, PublicKey miner, Hash256 merkleRoot, uint bits, ConsensusEngineId engine) =>
        new(BlockHeader.CurrentVersion, 11, height, 1_700_000_000_000 + ((long)height * 5_000), previous, merkleRoot, bits, 1, engine, miner, 0, Signature.Empty);

    private sealed class BenchChainView(IReadOnlyList<BlockHeader> headers, ILedgerStateView state, GenesisConfig genesis) : IChainView
    {
        public BlockHeader Tip => headers[^1];

        public ILedgerStateView State => state;

        public GenesisConfig Genesis => genesis;

        public BlockHeader? GetAncestor(ulong height) => height < (ulong)headers.Count ? headers[(int)height] : null;
    }

    private sealed class BenchLedgerState(ulong height, IReadOnlyList<NodeInfo> nodes) : ILedgerStateView
    {
        private readonly Dictionary<Address, NodeInfo> _byId = nodes.ToDictionary(n => n.Id);

        public ulong Height => height;

        public IEnumerable<NodeInfo> Nodes => nodes;

        public int RecordCount => 0;

        public NodeInfo? GetNode(Address id) => _byId.GetValueOrDefault(id);

        public PatientInfo? GetPatient(Address id) => null;

        public DeviceInfo? GetDevice(Address id) => null;

        public AccessGrantInfo? GetGrant(Address patient, Address grantee, HealthLedger.Core.Transactions.RecordType recordType) => null;

        public IEnumerable<AccessGrantInfo> GetGrants(Address patient) => [];

        public RecordInfo? GetRecord(Hash256 ciphertextHash) => null;

        public ulong GetNextSequence(Address sender) => 0;
    }
}

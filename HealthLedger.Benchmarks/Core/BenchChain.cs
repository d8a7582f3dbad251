using HealthLedger.Consensus.Engines;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Benchmarks.Core;

/// <summary>Builds a realistic chain for the ledger benchmarks: classic PoW at difficulty level 1, real signatures.</summary>
internal static class BenchChain
{
    public const uint ChainId = 42;

    public static GenesisConfig Genesis { get; } = new()
    {
        ChainId = ChainId,
        TimestampMs = 1_700_000_000_000,
        Authorities = [KeyPair.FromLabel("bench-authority").PublicKey],
        Engine = ConsensusEngineId.ProofOfWork,
        Consensus = new ConsensusParameters { InitialTargetBits = CompactTarget.FromDifficultyLevel(1), FixedDifficulty = true, MaxFutureDriftMs = long.MaxValue / 4 },
        Limits = new LedgerLimits { MaxTransactionsPerBlock = 5_000 },
    };

    public static Blockchain Open(IBlockStore store) => new(Genesis, ProofOfWorkEngine.Instance, store);

    /// <summary>Signed patient registrations from distinct keys (each valid at sequence 0).</summary>
    public static Transaction[] Registrations(int count, int salt) =>
        [.. Enumerable.Range(0, count).AsParallel().AsOrdered().Select(i =>
        {
            using var key = KeyPair.FromLabel($"bench-patient-{salt}-{i}");
            return Transaction.Create(key, ChainId, 0, Genesis.TimestampMs, new PatientRegistration(Hash256.Sha256(BitConverter.GetBytes((long)salt << 32 | (uint)i))));
        })];

    /// <summary>Mines a block on <paramref name="parent"/> holding <paramref name="txs"/>.</summary>
    public static Block Mine(ChainEntry parent, IReadOnlyList<Transaction> txs)
    {
        var root = MerkleTree.ComputeRoot(txs.Select(t => t.Id).ToArray());
        var template = new BlockHeader(BlockHeader.CurrentVersion, ChainId, parent.Height + 1, parent.Header.TimestampMs + 1000, parent.Hash, root,
            Genesis.Consensus.InitialTargetBits, 1, ConsensusEngineId.ProofOfWork, PublicKey.Empty, 0, Signature.Empty);
        var sealer = ProofOfWorkEngine.Instance.CreateSealer();
        var result = sealer.Seal(template, CompactTarget.Decode(template.TargetBits), null);
        return new Block(result.Header!, txs);
    }

    /// <summary>A chain of <paramref name="blocks"/> blocks with <paramref name="txPerBlock"/> transactions each.</summary>
    public static List<Block> BuildChain(int blocks, int txPerBlock)
    {
        var all = Registrations(blocks * txPerBlock, 7);
        var chain = Open(new InMemoryBlockStore());
        var result = new List<Block>(blocks);
        for (var b = 0; b < blocks; b++)
        {
            var block = Mine(chain.Tip, all.AsSpan(b * txPerBlock, txPerBlock).ToArray());
            var r = chain.AddBlock(block);
            if (!r.IsAccepted)
            {
                throw new InvalidOperationException(r.Validation.ToString());
            }

            result.Add(block);
        }

        return result;
    }
}

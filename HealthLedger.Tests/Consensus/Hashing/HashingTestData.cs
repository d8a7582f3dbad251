using System.Buffers.Binary;
using System.Numerics;
using System.Security.Cryptography;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.Hashing;

/// <summary>Random headers and the reference hash (SHA256.HashData twice) shared by the hashing and mining tests.</summary>
internal static class HashingTestData
{
    public static byte[] RandomInput(Random random)
    {
        var input = new byte[BlockHeader.HashInputSize];
        random.NextBytes(input);
        return input;
    }

    public static BlockHeader RandomHeader(Random random, ConsensusEngineId engine = ConsensusEngineId.ProofOfWork)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        var previous = new Hash256(bytes);
        random.NextBytes(bytes);
        var merkle = new Hash256(bytes);
        random.NextBytes(bytes);
        var miner = new PublicKey(bytes);
        return new BlockHeader(
            BlockHeader.CurrentVersion,
            (uint)random.Next(),
            (ulong)random.NextInt64(0, 1_000_000),
            1_700_000_000_000 + random.NextInt64(0, 1_000_000_000),
            previous,
            merkle,
            CompactTarget.FromDifficultyLevel(1),
            (ushort)random.Next(1, 10),
            engine,
            miner,
            0,
            Signature.Empty);
    }

    /// <summary>Double SHA-256 of the input with the given full nonce, through the platform SHA-256.</summary>
    public static Hash256 ReferenceHash(ReadOnlySpan<byte> input, ulong nonce)
    {
        var copy = input.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(copy.AsSpan(BlockHeader.NonceOffset), nonce);
        var first = SHA256.HashData(copy);
        return new Hash256(SHA256.HashData(first));
    }

    /// <summary>The reference: the first nonce of the range meeting the target, tried one by one.</summary>
    public static (ulong? Nonce, ulong Hashes) BruteForce(ReadOnlySpan<byte> input, Hash256 target, uint extra, uint first, uint count)
    {
        for (uint i = 0; i < count; i++)
        {
            var nonce = ((ulong)extra << 32) | (first + i);
            if (ReferenceHash(input, nonce) <= target)
            {
                return (nonce, i + 1UL);
            }
        }

        return (null, count);
    }

    /// <summary>A target that roughly one hash in 2^bits meets.</summary>
    public static Hash256 TargetWithLeadingZeroBits(int bits) => NonceSearch.ToTargetHash((BigInteger.One << (256 - bits)) - 1);

    /// <summary>Skips (inconclusive) a test of a kernel this machine cannot run at all (SHA-NI without the SHA extensions).</summary>
    public static void AssumeRunnable(HashKernel kernel) =>
        Assume.That(kernel != HashKernel.ShaNi || NonceSearch.IsAccelerated(kernel), "this CPU has no SHA extensions");

    public static IEnumerable<HashKernel> AllKernels =>
        [HashKernel.Naive, HashKernel.Scalar, HashKernel.Vector256, HashKernel.Vector512, HashKernel.ShaNi];
}

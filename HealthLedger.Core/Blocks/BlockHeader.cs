using System.Buffers.Binary;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Blocks;

/// <summary>
/// A block header. Immutable; its hash (double SHA-256 of the fixed 136-byte <see cref="HashInputSize"/> layout,
/// which excludes the seal signature) is computed once. See <c>docs/format.md</c> for the layout.
/// </summary>
/// <remarks>
/// The nonce sits in the last eight bytes of the hash input, so the first 128 bytes (two SHA-256 blocks)
/// are constant while mining: a miner precomputes their midstate and pays two compressions per nonce.
/// </remarks>
public sealed class BlockHeader : IEquatable<BlockHeader>
{
    /// <summary>Size of the hash input in bytes.</summary>
    public const int HashInputSize = 136;

    /// <summary>Offset of the nonce inside the hash input.</summary>
    public const int NonceOffset = 128;

    /// <summary>The current header version.</summary>
    public const uint CurrentVersion = 1;

    private Hash256? _hash;

    /// <summary>Creates a header.</summary>
    public BlockHeader(
        uint version,
        uint chainId,
        ulong height,
        long timestampMs,
        Hash256 previousHash,
        Hash256 merkleRoot,
        uint targetBits,
        ushort threshold,
        ConsensusEngineId engine,
        PublicKey miner,
        ulong nonce,
        Signature seal)
    {
        Version = version;
        ChainId = chainId;
        Height = height;
        TimestampMs = timestampMs;
        PreviousHash = previousHash;
        MerkleRoot = merkleRoot;
        TargetBits = targetBits;
        Threshold = threshold;
        Engine = engine;
        Miner = miner;
        Nonce = nonce;
        Seal = seal;
    }

    /// <summary>Header format version (<see cref="CurrentVersion"/>).</summary>
    public uint Version { get; }

    /// <summary>The chain this block belongs to (from genesis); blocks never validate on another chain.</summary>
    public uint ChainId { get; }

    /// <summary>Height: 0 for genesis.</summary>
    public ulong Height { get; }

    /// <summary>Timestamp in milliseconds since the Unix epoch, UTC.</summary>
    public long TimestampMs { get; }

    /// <summary>Hash of the parent block (zero for genesis).</summary>
    public Hash256 PreviousHash { get; }

    /// <summary>Merkle root of the transaction ids.</summary>
    public Hash256 MerkleRoot { get; }

    /// <summary>The base proof-of-work target in compact form (see <see cref="CompactTarget"/>).</summary>
    public uint TargetBits { get; }

    /// <summary>The fault-tolerance threshold k: distinct registered nodes that must attest this block before it is final.</summary>
    public ushort Threshold { get; }

    /// <summary>The consensus engine that sealed this block.</summary>
    public ConsensusEngineId Engine { get; }

    /// <summary>The miner's public key (identity-bound under ePoW).</summary>
    public PublicKey Miner { get; }

    /// <summary>The proof-of-work nonce: low 32 bits rolled per lane, high 32 bits as the extra nonce.</summary>
    public ulong Nonce { get; }

    /// <summary>The miner's signature over <see cref="Hash"/> (ePoW); empty under classic PoW. Not part of the hash.</summary>
    public Signature Seal { get; }

    /// <summary>The block hash: double SHA-256 of the 136-byte hash input. Also the proof-of-work hash.</summary>
    public Hash256 Hash => _hash ??= ComputeHash();

    /// <summary>The miner's on-chain identity.</summary>
    public Address MinerAddress => Miner.ToAddress();

    /// <summary>Writes the fixed 136-byte hash input (all integers little-endian).</summary>
    public void WriteHashInput(Span<byte> destination)
    {
        if (destination.Length < HashInputSize)
        {
            throw new ArgumentException($"Need {HashInputSize} bytes.", nameof(destination));
        }

        BinaryPrimitives.WriteUInt32LittleEndian(destination, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], ChainId);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], Height);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], TimestampMs);
        PreviousHash.WriteTo(destination[24..]);
        MerkleRoot.WriteTo(destination[56..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[88..], TargetBits);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[92..], Threshold);
        destination[94] = (byte)Engine;
        destination[95] = 0; // reserved flags, must be zero
        Miner.WriteTo(destination[96..]);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[NonceOffset..], Nonce);
    }

    /// <summary>The 136-byte hash input as a new array.</summary>
    public byte[] GetHashInput()
    {
        var buffer = new byte[HashInputSize];
        WriteHashInput(buffer);
        return buffer;
    }

    /// <summary>The message a miner signs under ePoW: "HL-SEAL" || chain id || block hash.</summary>
    public byte[] GetSealMessage()
    {
        var message = new byte[7 + 4 + Hash256.Length];
        "HL-SEAL"u8.CopyTo(message);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(7), ChainId);
        Hash.WriteTo(message.AsSpan(11));
        return message;
    }

    /// <summary>A copy with another nonce and timestamp (used by miners).</summary>
    public BlockHeader WithNonce(ulong nonce, long timestampMs) =>
        new(Version, ChainId, Height, timestampMs, PreviousHash, MerkleRoot, TargetBits, Threshold, Engine, Miner, nonce, Signature.Empty);

    /// <summary>A copy carrying a seal signature.</summary>
    public BlockHeader WithSeal(Signature seal) =>
        new(Version, ChainId, Height, TimestampMs, PreviousHash, MerkleRoot, TargetBits, Threshold, Engine, Miner, Nonce, seal);

    private Hash256 ComputeHash()
    {
        Span<byte> buffer = stackalloc byte[HashInputSize];
        WriteHashInput(buffer);
        return Hash256.DoubleSha256(buffer);
    }

    /// <inheritdoc />
    public bool Equals(BlockHeader? other) => other is not null && Hash == other.Hash && Seal == other.Seal;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as BlockHeader);

    /// <inheritdoc />
    public override int GetHashCode() => Hash.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"#{Height} {Hash.ToShortString()} ({Engine}, k={Threshold})";
}

/// <summary>Identifies a consensus engine; stored in every header so that a block sealed by one engine is invalid under another.</summary>
public enum ConsensusEngineId : byte
{
    /// <summary>Not set (invalid in a header).</summary>
    None = 0,

    /// <summary>Classic proof of work: double SHA-256 of the header at or below the target.</summary>
    ProofOfWork = 1,

    /// <summary>Enhanced proof of work: identity-bound, credit-weighted (see docs/consensus.md).</summary>
    EnhancedProofOfWork = 2,
}

using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Transactions;
using MessagePack;

namespace HealthLedger.Core.Blocks;

/// <summary>A block: a header and its ordered transactions. Immutable.</summary>
public sealed class Block
{
    /// <summary>Largest encoded block the decoder accepts (the chain's limit may be lower).</summary>
    public const int MaxEncodedBytes = 8 * 1024 * 1024;

    /// <summary>Largest transaction count the decoder accepts.</summary>
    public const int MaxTransactions = 20_000;

    private byte[]? _encoded;

    /// <summary>Creates a block.</summary>
    public Block(BlockHeader header, IReadOnlyList<Transaction> transactions)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(transactions);
        Header = header;
        Transactions = transactions;
    }

    /// <summary>The header.</summary>
    public BlockHeader Header { get; }

    /// <summary>The transactions, in order.</summary>
    public IReadOnlyList<Transaction> Transactions { get; }

    /// <summary>The block hash (the header's).</summary>
    public Hash256 Hash => Header.Hash;

    /// <summary>The Merkle root of the transactions (computed, not read from the header).</summary>
    public Hash256 ComputeMerkleRoot() => MerkleTree.ComputeRoot(Transactions.Select(t => t.Id).ToArray());

    /// <summary>An inclusion proof for the transaction at <paramref name="index"/>.</summary>
    public MerkleProof CreateProof(int index) => MerkleTree.CreateProof(Transactions.Select(t => t.Id).ToArray(), index);

    /// <summary>
    /// The canonical MessagePack encoding, computed once and cached: the same bytes are stored and relayed, so they are
    /// handed out read-only (no copy is made). Use <c>ToArray()</c> for bytes of your own.
    /// </summary>
    public ReadOnlyMemory<byte> Encode() => EncodedArray();

    /// <summary>The cached encoding itself, for this assembly's callers that hand it on unchanged (never written).</summary>
    internal byte[] EncodedArray() => _encoded ??= MsgPack.Encode(this, static (ref MessagePackWriter w, Block b) => b.EncodeTo(ref w));

    /// <summary>Decodes a block, accepting only its canonical encoding.</summary>
    /// <exception cref="LedgerFormatException">The bytes are not a canonical block.</exception>
    public static Block Decode(ReadOnlyMemory<byte> bytes)
    {
        var block = MsgPack.DecodeCanonical(bytes, MaxEncodedBytes, "block", static (ref MessagePackReader r) => DecodeFrom(ref r), static (ref MessagePackWriter w, Block b) => b.EncodeTo(ref w));
        block._encoded = bytes.ToArray();
        return block;
    }

    /// <summary>
    /// Decodes a block from this node's own checksummed store: the same checks as <see cref="Decode"/> except the
    /// canonical re-encoding (the store only ever holds bytes this code encoded), to make replay cheap.
    /// </summary>
    internal static Block DecodeTrusted(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length > MaxEncodedBytes)
        {
            throw new LedgerFormatException("block", $"{bytes.Length} bytes exceeds the limit of {MaxEncodedBytes}");
        }

        var reader = new MessagePackReader(bytes);
        Block block;
        try
        {
            block = DecodeFrom(ref reader);
        }
        catch (Exception ex) when (MsgPack.IsReaderFailure(ex))
        {
            throw new LedgerFormatException("block", ex.Message, ex);
        }

        if (!reader.End)
        {
            throw new LedgerFormatException("block", "trailing bytes");
        }

        block._encoded = bytes.ToArray();
        return block;
    }

    internal void EncodeTo(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(2);
        HeaderCodec.EncodeTo(ref writer, Header);
        writer.WriteArrayHeader(Transactions.Count);
        foreach (var tx in Transactions)
        {
            tx.EncodeTo(ref writer);
        }
    }

    internal static Block DecodeFrom(ref MessagePackReader reader)
    {
        MsgPack.ReadArrayHeader(ref reader, "block", 2);
        var header = HeaderCodec.DecodeFrom(ref reader);
        var count = MsgPack.ReadArrayHeaderMax(ref reader, "transactions", MaxTransactions);
        var remaining = reader.Sequence.Length - reader.Consumed;
        if (count > remaining / 100)
        {
            // Every transaction takes at least ~130 bytes; refuse counts the remaining bytes cannot hold before allocating.
            throw new LedgerFormatException("transactions", $"{count} transactions cannot fit in {remaining} bytes");
        }

        var txs = new Transaction[count];
        for (var i = 0; i < count; i++)
        {
            txs[i] = Transaction.DecodeFrom(ref reader);
        }

        return new Block(header, txs);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Header} [{Transactions.Count} tx]";
}

/// <summary>MessagePack encoding of block headers (12-element array; see docs/format.md).</summary>
public static class HeaderCodec
{
    /// <summary>Largest encoded header.</summary>
    public const int MaxEncodedBytes = 512;

    /// <summary>Encodes a header canonically.</summary>
    public static byte[] Encode(BlockHeader header) => MsgPack.Encode(header, static (ref MessagePackWriter w, BlockHeader h) => EncodeTo(ref w, h));

    /// <summary>Decodes a header, accepting only its canonical encoding.</summary>
    /// <exception cref="LedgerFormatException">The bytes are not a canonical header.</exception>
    public static BlockHeader Decode(ReadOnlyMemory<byte> bytes) =>
        MsgPack.DecodeCanonical(bytes, MaxEncodedBytes, "header", static (ref MessagePackReader r) => DecodeFrom(ref r), static (ref MessagePackWriter w, BlockHeader h) => EncodeTo(ref w, h));

    internal static void EncodeTo(ref MessagePackWriter writer, BlockHeader h)
    {
        writer.WriteArrayHeader(12);
        writer.Write(h.Version);
        writer.Write(h.ChainId);
        writer.Write(h.Height);
        writer.Write(h.TimestampMs);
        MsgPack.WriteHash(ref writer, h.PreviousHash);
        MsgPack.WriteHash(ref writer, h.MerkleRoot);
        writer.Write(h.TargetBits);
        writer.Write(h.Threshold);
        writer.Write((byte)h.Engine);
        MsgPack.WriteKey(ref writer, h.Miner);
        writer.Write(h.Nonce);
        if (h.Seal.IsEmpty)
        {
            writer.Write(ReadOnlySpan<byte>.Empty);
        }
        else
        {
            MsgPack.WriteSignature(ref writer, h.Seal);
        }
    }

    internal static BlockHeader DecodeFrom(ref MessagePackReader reader)
    {
        MsgPack.ReadArrayHeader(ref reader, "header", 12);
        var version = MsgPack.ReadU32(ref reader, "header.version");
        if (version != BlockHeader.CurrentVersion)
        {
            throw new LedgerFormatException("header.version", $"unsupported header version {version}");
        }

        var chainId = MsgPack.ReadU32(ref reader, "header.chainId");
        var height = MsgPack.ReadU64(ref reader, "header.height");
        var timestamp = MsgPack.ReadI64(ref reader, "header.timestamp");
        var prev = MsgPack.ReadHash(ref reader, "header.previousHash");
        var merkle = MsgPack.ReadHash(ref reader, "header.merkleRoot");
        var bits = MsgPack.ReadU32(ref reader, "header.targetBits");
        var threshold = MsgPack.ReadU16(ref reader, "header.threshold");
        var engine = (ConsensusEngineId)MsgPack.ReadU8(ref reader, "header.engine");
        var miner = MsgPack.ReadKey(ref reader, "header.miner");
        var nonce = MsgPack.ReadU64(ref reader, "header.nonce");
        var sealBytes = MsgPack.ReadBin(ref reader, "header.seal", Signature.Length);
        Signature seal;
        if (sealBytes.Length == 0)
        {
            seal = Signature.Empty;
        }
        else if (sealBytes.Length == Signature.Length)
        {
            seal = new Signature(System.Buffers.BuffersExtensions.ToArray(sealBytes));
            if (seal.IsEmpty)
            {
                throw new LedgerFormatException("header.seal", "an absent seal is encoded as empty binary, not zeros");
            }
        }
        else
        {
            throw new LedgerFormatException("header.seal", $"expected 0 or {Signature.Length} bytes, got {sealBytes.Length}");
        }

        return new BlockHeader(version, chainId, height, timestamp, prev, merkle, bits, threshold, engine, miner, nonce, seal);
    }
}

using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Encoding;
using HealthLedger.Core.Transactions;
using MessagePack;

namespace HealthLedger.Core.Network;

/// <summary>
/// Frames and encodes peer messages: a frame is a u32 little-endian body length followed by the body, a MessagePack
/// array <c>[type, fields...]</c>. Limits are checked before anything is allocated; only canonical bodies decode; any
/// problem raises <see cref="LedgerFormatException"/> (a peer that sends one is disconnected).
/// </summary>
public static class MessageCodec
{
    /// <summary>Size of the length prefix.</summary>
    public const int PrefixSize = 4;

    /// <summary>
    /// Largest body accepted (16 MiB). It must hold the largest block the decoder accepts
    /// (<see cref="Block.MaxEncodedBytes"/>, 8 MiB, above every genesis <c>MaxBlockBytes</c> that can work) plus
    /// <see cref="MaxBlockMessageOverhead"/>, so a response carrying one maximal block always fits; sync responses are
    /// capped in bytes far below it (<see cref="GossipOptions.SyncResponseBytes"/>).
    /// </summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>
    /// Bytes a <see cref="BlocksMessage"/> or <see cref="NewBlockMessage"/> adds around one block at most: the
    /// message's array header and type (2), the batch array header (3, at most <see cref="BlocksMessage.MaxBlocks"/>
    /// blocks) and the block's binary header (5).
    /// </summary>
    public const int MaxBlockMessageOverhead = 2 + 3 + PerBlockOverhead;

    /// <summary>Bytes a batch adds per block beyond the block itself (its binary header, at most 5).</summary>
    public const int PerBlockOverhead = 5;

    /// <summary>Largest reject reason, in UTF-8 bytes.</summary>
    public const int MaxReasonBytes = 256;

    /// <summary>Largest hello <see cref="HelloMessage.NodeAuth"/> field, in bytes.</summary>
    public const int MaxNodeAuthBytes = 256;

    /// <summary>
    /// Encodes a message into a frame (prefix + body): the body is written once into a pooled buffer and copied once
    /// into the exact-size frame, so a frame costs its own size in allocation (plus the pool's first rent).
    /// </summary>
    /// <exception cref="ArgumentException">The body would exceed <see cref="MaxBodyBytes"/> (a caller bug: no peer could read it).</exception>
    public static byte[] EncodeFrame(NetworkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        using var buffer = new PooledBufferWriter(PrefixSize + EstimateBodySize(message));
        buffer.Advance(PrefixSize);
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, message);
        writer.Flush();
        var bodyLength = buffer.WrittenCount - PrefixSize;
        if (bodyLength > MaxBodyBytes)
        {
            throw new ArgumentException($"{message.Type} body of {bodyLength} bytes exceeds the frame limit of {MaxBodyBytes}", nameof(message));
        }

        var frame = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)bodyLength);
        return frame;
    }

    /// <summary>Encodes a message body (no prefix).</summary>
    public static byte[] EncodeBody(NetworkMessage message) => EncodeFrame(message).AsSpan(PrefixSize).ToArray();

    /// <summary>
    /// Decodes one body (no prefix), accepting only its canonical encoding. The re-encoding that proves canonicity is
    /// written into a pooled buffer, so decoding allocates the message (its blocks and transactions) and little else.
    /// </summary>
    /// <exception cref="LedgerFormatException">Not a valid message.</exception>
    public static NetworkMessage DecodeBody(ReadOnlyMemory<byte> body)
    {
        if (body.Length > MaxBodyBytes)
        {
            throw new LedgerFormatException("message", $"{body.Length} bytes exceeds the limit of {MaxBodyBytes}");
        }

        var reader = new MessagePackReader(body);
        NetworkMessage message;
        try
        {
            message = Read(ref reader);
        }
        catch (LedgerFormatException)
        {
            throw;
        }
        catch (Exception ex) when (MsgPack.IsReaderFailure(ex))
        {
            throw new LedgerFormatException("message", ex.Message, ex);
        }

        if (!reader.End)
        {
            throw new LedgerFormatException("message", $"{body.Length - reader.Consumed} trailing bytes");
        }

        using var again = new PooledBufferWriter(body.Length);
        var writer = new MessagePackWriter(again);
        Write(ref writer, message);
        writer.Flush();
        if (!again.WrittenSpan.SequenceEqual(body.Span))
        {
            throw new LedgerFormatException("message", "not the canonical encoding");
        }

        return message;
    }

    /// <summary>The exact body size of a <see cref="BlocksMessage"/> holding blocks of these encoded sizes.</summary>
    public static long BlocksBodySize(IEnumerable<int> blockSizes)
    {
        ArgumentNullException.ThrowIfNull(blockSizes);
        long total = 2;
        var count = 0;
        foreach (var size in blockSizes)
        {
            total += BinHeaderSize(size) + size;
            count++;
        }

        return total + ArrayHeaderSize(count);
    }

    /// <summary>Size of a MessagePack binary header for a payload of <paramref name="length"/> bytes.</summary>
    public static int BinHeaderSize(int length) => length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5;

    private static int ArrayHeaderSize(int count) => count <= 15 ? 1 : count <= ushort.MaxValue ? 3 : 5;

    private static int EstimateBodySize(NetworkMessage message) => message switch
    {
        BlocksMessage m => (int)Math.Min(BlocksBodySize(m.EncodedBlocks.Select(b => b.Length)), int.MaxValue - 64),
        NewBlockMessage m => m.EncodedBlock.Length + 16,
        NewTransactionMessage m => m.EncodedTransaction.Length + 16,
        GetBlocksMessage m => (m.Locator.Count * 34) + 16,
        GetHeadersMessage m => (m.Locator.Count * 34) + 16,
        HeadersMessage m => m.EncodedHeaders.Sum(h => h.Length + 3) + 8,
        GetBlockDataMessage m => (m.Hashes.Count * 34) + 8,
        BlockDataMessage m => (int)Math.Min(BlocksBodySize(m.EncodedBlocks.Select(b => b.Length)), int.MaxValue - 64),
        _ => 256,
    };

    private static void Write(ref MessagePackWriter w, NetworkMessage message)
    {
        switch (message)
        {
            case HelloMessage m:
                w.WriteArrayHeader(8);
                w.Write((byte)m.Type);
                w.Write(m.ProtocolVersion);
                w.Write(m.ChainId);
                MsgPack.WriteHash(ref w, m.GenesisHash);
                w.Write(m.Height);
                MsgPack.WriteHash(ref w, m.TipHash);
                w.Write(m.Nonce);
                w.Write(m.NodeAuth.Span);
                break;
            case PingMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                w.Write(m.Nonce);
                break;
            case PongMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                w.Write(m.Nonce);
                break;
            case GetBlocksMessage m:
                w.WriteArrayHeader(3);
                w.Write((byte)m.Type);
                w.WriteArrayHeader(m.Locator.Count);
                foreach (var h in m.Locator)
                {
                    MsgPack.WriteHash(ref w, h);
                }

                w.Write(m.MaxBlocks);
                break;
            case BlocksMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                w.WriteArrayHeader(m.EncodedBlocks.Count);
                foreach (var b in m.EncodedBlocks)
                {
                    w.Write(b);
                }

                break;
            case NewBlockMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                w.Write(m.EncodedBlock);
                break;
            case NewTransactionMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                w.Write(m.EncodedTransaction);
                break;
            case GetHeadersMessage m:
                w.WriteArrayHeader(3);
                w.Write((byte)m.Type);
                WriteHashes(ref w, m.Locator);
                w.Write(m.MaxHeaders);
                break;
            case HeadersMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                WriteBins(ref w, m.EncodedHeaders);
                break;
            case GetBlockDataMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                WriteHashes(ref w, m.Hashes);
                break;
            case BlockDataMessage m:
                w.WriteArrayHeader(2);
                w.Write((byte)m.Type);
                WriteBins(ref w, m.EncodedBlocks);
                break;
            case RejectMessage m:
                w.WriteArrayHeader(4);
                w.Write((byte)m.Type);
                w.Write(m.Code);
                MsgPack.WriteHash(ref w, m.Subject);
                w.Write(m.Reason);
                break;
            default:
                throw new ArgumentException($"Unknown message {message.GetType().Name}.", nameof(message));
        }
    }

    private static NetworkMessage Read(ref MessagePackReader r)
    {
        var count = MsgPack.ReadArrayHeaderMax(ref r, "message", 8);
        if (count < 1)
        {
            throw new LedgerFormatException("message", "empty message");
        }

        var type = (MessageType)MsgPack.ReadU8(ref r, "message.type");
        switch (type)
        {
            case MessageType.Hello:
                Expect(count, 8, type);
                return new HelloMessage(
                    MsgPack.ReadU32(ref r, "hello.version"),
                    MsgPack.ReadU32(ref r, "hello.chainId"),
                    MsgPack.ReadHash(ref r, "hello.genesis"),
                    MsgPack.ReadU64(ref r, "hello.height"),
                    MsgPack.ReadHash(ref r, "hello.tip"),
                    MsgPack.ReadU64(ref r, "hello.nonce"))
                {
                    NodeAuth = MsgPack.ReadBin(ref r, "hello.nodeAuth", MaxNodeAuthBytes).ToArray(),
                };
            case MessageType.Ping:
                Expect(count, 2, type);
                return new PingMessage(MsgPack.ReadU64(ref r, "ping.nonce"));
            case MessageType.Pong:
                Expect(count, 2, type);
                return new PongMessage(MsgPack.ReadU64(ref r, "pong.nonce"));
            case MessageType.GetBlocks:
            {
                Expect(count, 3, type);
                var n = MsgPack.ReadArrayHeaderMax(ref r, "getBlocks.locator", GetBlocksMessage.MaxLocator);
                var locator = new Crypto.Hash256[n];
                for (var i = 0; i < n; i++)
                {
                    locator[i] = MsgPack.ReadHash(ref r, "getBlocks.locator");
                }

                var max = MsgPack.Guard(ref r, "getBlocks.max", static (ref MessagePackReader x) => x.ReadInt32());
                if (max is < 1 or > BlocksMessage.MaxBlocks)
                {
                    throw new LedgerFormatException("getBlocks.max", $"{max} outside 1..{BlocksMessage.MaxBlocks}");
                }

                return new GetBlocksMessage(locator, max);
            }

            case MessageType.Blocks:
            {
                Expect(count, 2, type);
                var n = MsgPack.ReadArrayHeaderMax(ref r, "blocks", BlocksMessage.MaxBlocks);
                var remaining = r.Sequence.Length - r.Consumed;
                if (n > remaining)
                {
                    throw new LedgerFormatException("blocks", $"{n} blocks cannot fit in {remaining} bytes");
                }

                var blocks = new byte[n][];
                for (var i = 0; i < n; i++)
                {
                    blocks[i] = MsgPack.ReadBin(ref r, "blocks.block", Block.MaxEncodedBytes).ToArray();
                }

                return new BlocksMessage(blocks);
            }

            case MessageType.NewBlock:
                Expect(count, 2, type);
                return new NewBlockMessage(MsgPack.ReadBin(ref r, "newBlock.block", Block.MaxEncodedBytes).ToArray());
            case MessageType.NewTransaction:
                Expect(count, 2, type);
                return new NewTransactionMessage(MsgPack.ReadBin(ref r, "newTransaction.tx", Transaction.MaxEncodedBytes).ToArray());
            case MessageType.GetHeaders:
            {
                Expect(count, 3, type);
                var locator = ReadHashes(ref r, "getHeaders.locator", GetBlocksMessage.MaxLocator, min: 0);
                var max = MsgPack.Guard(ref r, "getHeaders.max", static (ref MessagePackReader x) => x.ReadInt32());
                if (max is < 1 or > HeadersMessage.MaxHeaders)
                {
                    throw new LedgerFormatException("getHeaders.max", $"{max} outside 1..{HeadersMessage.MaxHeaders}");
                }

                return new GetHeadersMessage(locator, max);
            }

            case MessageType.Headers:
                Expect(count, 2, type);
                return new HeadersMessage(ReadBins(ref r, "headers", HeadersMessage.MaxHeaders, Blocks.HeaderCodec.MaxEncodedBytes));
            case MessageType.GetBlockData:
                Expect(count, 2, type);
                return new GetBlockDataMessage(ReadHashes(ref r, "getBlockData.hashes", GetBlockDataMessage.MaxHashes, min: 1));
            case MessageType.BlockData:
                Expect(count, 2, type);
                return new BlockDataMessage(ReadBins(ref r, "blockData", GetBlockDataMessage.MaxHashes, Block.MaxEncodedBytes));
            case MessageType.Reject:
                Expect(count, 4, type);
                return new RejectMessage(MsgPack.ReadU16(ref r, "reject.code"), MsgPack.ReadHash(ref r, "reject.subject"), MsgPack.ReadString(ref r, "reject.reason", MaxReasonBytes));
            default:
                throw new LedgerFormatException("message.type", $"unknown message type {(byte)type}");
        }
    }

    private static void WriteHashes(ref MessagePackWriter w, IReadOnlyList<Crypto.Hash256> hashes)
    {
        w.WriteArrayHeader(hashes.Count);
        foreach (var h in hashes)
        {
            MsgPack.WriteHash(ref w, h);
        }
    }

    private static void WriteBins(ref MessagePackWriter w, IReadOnlyList<byte[]> items)
    {
        w.WriteArrayHeader(items.Count);
        foreach (var b in items)
        {
            w.Write(b);
        }
    }

    private static Crypto.Hash256[] ReadHashes(ref MessagePackReader r, string field, int max, int min)
    {
        var n = MsgPack.ReadArrayHeaderMax(ref r, field, max);
        if (n < min)
        {
            throw new LedgerFormatException(field, $"{n} hashes, at least {min} required");
        }

        var hashes = new Crypto.Hash256[n];
        for (var i = 0; i < n; i++)
        {
            hashes[i] = MsgPack.ReadHash(ref r, field);
        }

        return hashes;
    }

    /// <summary>An array of at most <paramref name="max"/> binaries of at most <paramref name="maxEach"/> bytes; a count the remaining bytes cannot hold is refused before anything is allocated.</summary>
    private static byte[][] ReadBins(ref MessagePackReader r, string field, int max, int maxEach)
    {
        var n = MsgPack.ReadArrayHeaderMax(ref r, field, max);
        var remaining = r.Sequence.Length - r.Consumed;
        if (n > remaining)
        {
            throw new LedgerFormatException(field, $"{n} items cannot fit in {remaining} bytes");
        }

        var items = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            items[i] = MsgPack.ReadBin(ref r, field, maxEach).ToArray();
        }

        return items;
    }

    private static void Expect(int count, int expected, MessageType type)
    {
        if (count != expected)
        {
            throw new LedgerFormatException("message", $"{type} has {expected} elements, got {count}");
        }
    }
}

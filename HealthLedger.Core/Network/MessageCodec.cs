using System.Buffers.Binary;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Encoding;
using MessagePack;

namespace HealthLedger.Core.Network;

/// <summary>
/// Frames and encodes peer messages: a frame is a u32 little-endian body length followed by the body, a MessagePack
/// array <c>[type, fields...]</c> whose fields, their order and their limits come from the message type's one
/// description (<see cref="IMessageFields{TSelf}"/>, through <see cref="MessageLayout"/>). Limits are checked before
/// anything is allocated; only canonical bodies decode; any problem raises <see cref="LedgerFormatException"/> (a peer that sends one is disconnected).
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

    private static void Write(ref MessagePackWriter w, NetworkMessage message) =>
        (MessageLayout.For(message.Type) ?? throw new ArgumentException($"Unknown message {message.GetType().Name}.", nameof(message))).Encode(message, ref w);

    private static NetworkMessage Read(ref MessagePackReader r)
    {
        var count = MsgPack.ReadArrayHeaderMax(ref r, "message", MessageLayout.MaxElements);
        if (count < 1)
        {
            throw new LedgerFormatException("message", "empty message");
        }

        var type = (MessageType)MsgPack.ReadU8(ref r, "message.type");
        var layout = MessageLayout.For(type) ?? throw new LedgerFormatException("message.type", $"unknown message type {(byte)type}");
        Expect(count, layout.Fields.Count + 1, type);
        try
        {
            return layout.Decode(ref r);
        }
        catch (LedgerFormatException ex)
        {
            throw new LedgerFormatException($"{type}.{ex.Field}", ex.Reason, ex);
        }
    }

    private static void Expect(int count, int expected, MessageType type)
    {
        if (count != expected)
        {
            throw new LedgerFormatException("message", $"{type} has {expected} elements, got {count}");
        }
    }
}

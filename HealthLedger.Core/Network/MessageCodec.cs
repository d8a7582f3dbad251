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

    /// <summary>Largest body accepted: one maximal block batch is refused long before this.</summary>
    public const int MaxBodyBytes = 16 * 1024 * 1024;

    /// <summary>Encodes a message into a frame (prefix + body).</summary>
    public static byte[] EncodeFrame(NetworkMessage message)
    {
        var body = EncodeBody(message);
        var frame = new byte[PrefixSize + body.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)body.Length);
        body.CopyTo(frame, PrefixSize);
        return frame;
    }

    /// <summary>Encodes a message body (no prefix).</summary>
    public static byte[] EncodeBody(NetworkMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MsgPack.Encode(message, static (ref MessagePackWriter w, NetworkMessage m) => Write(ref w, m));
    }

    /// <summary>Decodes one body (no prefix), accepting only its canonical encoding.</summary>
    /// <exception cref="LedgerFormatException">Not a valid message.</exception>
    public static NetworkMessage DecodeBody(ReadOnlyMemory<byte> body) =>
        MsgPack.DecodeCanonical(body, MaxBodyBytes, "message", static (ref MessagePackReader r) => Read(ref r), static (ref MessagePackWriter w, NetworkMessage m) => Write(ref w, m));

    private static void Write(ref MessagePackWriter w, NetworkMessage message)
    {
        switch (message)
        {
            case HelloMessage m:
                w.WriteArrayHeader(6);
                w.Write((byte)m.Type);
                w.Write(m.ProtocolVersion);
                w.Write(m.ChainId);
                MsgPack.WriteHash(ref w, m.GenesisHash);
                w.Write(m.Height);
                MsgPack.WriteHash(ref w, m.TipHash);
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
        var count = MsgPack.ReadArrayHeaderMax(ref r, "message", 6);
        if (count < 1)
        {
            throw new LedgerFormatException("message", "empty message");
        }

        var type = (MessageType)MsgPack.ReadU8(ref r, "message.type");
        switch (type)
        {
            case MessageType.Hello:
                Expect(count, 6, type);
                return new HelloMessage(MsgPack.ReadU32(ref r, "hello.version"), MsgPack.ReadU32(ref r, "hello.chainId"), MsgPack.ReadHash(ref r, "hello.genesis"), MsgPack.ReadU64(ref r, "hello.height"), MsgPack.ReadHash(ref r, "hello.tip"));
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
            case MessageType.Reject:
                Expect(count, 4, type);
                return new RejectMessage(MsgPack.ReadU16(ref r, "reject.code"), MsgPack.ReadHash(ref r, "reject.subject"), MsgPack.ReadString(ref r, "reject.reason", 256));
            default:
                throw new LedgerFormatException("message.type", $"unknown message type {(byte)type}");
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

/// <summary>
/// Reassembles frames from a byte stream that arrives in arbitrary pieces. A length prefix above the limit is refused
/// as soon as its four bytes arrive, before any body is buffered.
/// </summary>
public sealed class FrameReader
{
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly int _maxBody;

    /// <summary>Creates a reader with a body limit.</summary>
    public FrameReader(int maxBodyBytes = MessageCodec.MaxBodyBytes) => _maxBody = maxBodyBytes;

    /// <summary>Bytes buffered and not yet returned as a frame.</summary>
    public int Buffered => _buffer.WrittenCount;

    /// <summary>Appends received bytes and returns every complete message they finish.</summary>
    /// <exception cref="LedgerFormatException">A frame is oversized or its body is not a valid message.</exception>
    public IReadOnlyList<NetworkMessage> Feed(ReadOnlySpan<byte> bytes)
    {
        _buffer.Write(bytes);
        var result = new List<NetworkMessage>();
        var consumed = 0;
        var data = _buffer.WrittenMemory;
        while (data.Length - consumed >= MessageCodec.PrefixSize)
        {
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data.Span[consumed..]);
            if (length > (uint)_maxBody)
            {
                throw new LedgerFormatException("frame", $"body of {length} bytes exceeds the limit of {_maxBody}");
            }

            if (data.Length - consumed - MessageCodec.PrefixSize < length)
            {
                break;
            }

            result.Add(MessageCodec.DecodeBody(data.Slice(consumed + MessageCodec.PrefixSize, (int)length)));
            consumed += MessageCodec.PrefixSize + (int)length;
        }

        if (consumed > 0)
        {
            var rest = data[consumed..].ToArray();
            _buffer.Clear();
            _buffer.Write(rest);
        }

        return result;
    }
}

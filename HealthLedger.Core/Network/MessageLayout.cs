using System.Runtime.CompilerServices;
using HealthLedger.Core.Encoding;
using MessagePack;

namespace HealthLedger.Core.Network;

/// <summary>
/// A message type's one field-order description: visiting its fields after the type tag in order, by name, kind,
/// limit and value (read from <c>value</c> when writing, ignored when reading), and returning the message built from
/// the returned values when <c>V.Reads</c>, <c>value</c> otherwise. Its encoding and decoding follow from it (<see cref="MessageLayout{T}"/>).
/// </summary>
/// <typeparam name="TSelf">The message type.</typeparam>
internal interface IMessageFields<TSelf>
    where TSelf : NetworkMessage, IMessageFields<TSelf>
{
    static abstract TSelf Fields<V>(ref V v, TSelf value)
        where V : IMessageFieldVisitor, allows ref struct;
}

/// <summary>The MessagePack array <c>[type, fields...]</c> of one message type, as its description gives it.</summary>
internal abstract class MessageLayout(IReadOnlyList<FieldInfo> fields) : FieldLayout(fields)
{
    private static readonly MessageLayout?[] ByType = Table<MessageType, MessageLayout>(
        (MessageType.Hello, MessageLayout<HelloMessage>.Instance),
        (MessageType.Ping, MessageLayout<PingMessage>.Instance),
        (MessageType.Pong, MessageLayout<PongMessage>.Instance),
        (MessageType.GetBlocks, MessageLayout<GetBlocksMessage>.Instance),
        (MessageType.Blocks, MessageLayout<BlocksMessage>.Instance),
        (MessageType.NewBlock, MessageLayout<NewBlockMessage>.Instance),
        (MessageType.NewTransaction, MessageLayout<NewTransactionMessage>.Instance),
        (MessageType.Reject, MessageLayout<RejectMessage>.Instance),
        (MessageType.GetHeaders, MessageLayout<GetHeadersMessage>.Instance),
        (MessageType.Headers, MessageLayout<HeadersMessage>.Instance),
        (MessageType.GetBlockData, MessageLayout<GetBlockDataMessage>.Instance),
        (MessageType.BlockData, MessageLayout<BlockDataMessage>.Instance));

    /// <summary>The most elements a message array has (the type tag and the longest message's fields).</summary>
    public static int MaxElements { get; } = ByType.Max(l => l is null ? 0 : l.Fields.Count + 1);

    /// <summary>Every registered type and its layout, in type order.</summary>
    public static IEnumerable<(MessageType Type, MessageLayout Layout)> All => Entries<MessageType, MessageLayout>(ByType);

    /// <summary>The layout of <paramref name="type"/>, or null for a type this protocol does not have.</summary>
    public static MessageLayout? For(MessageType type) => (byte)type < ByType.Length ? ByType[(byte)type] : null;

    /// <summary>The array <c>[type, fields...]</c>.</summary>
    public abstract void Encode(NetworkMessage message, ref MessagePackWriter writer);

    /// <summary>Reads the fields after the type tag, each within its limit (the caller has read the array header and the tag).</summary>
    public abstract NetworkMessage Decode(ref MessagePackReader reader);
}

/// <inheritdoc />
internal sealed class MessageLayout<T> : MessageLayout
    where T : NetworkMessage, IMessageFields<T>
{
    /// <summary>A zeroed instance (no constructor run) that the reader and the lister pass as the value they ignore.</summary>
    private static readonly T Unread = (T)RuntimeHelpers.GetUninitializedObject(typeof(T));

    public static readonly MessageLayout<T> Instance = new(List());

    private readonly int _count;

    private MessageLayout(List<FieldInfo> fields)
        : base(fields) => _count = fields.Count;

    public override void Encode(NetworkMessage message, ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(_count + 1);
        writer.Write((byte)message.Type);
        var v = new MsgPackFieldWriter(writer);
        T.Fields(ref v, (T)message);
        writer = v.Writer;
    }

    public override NetworkMessage Decode(ref MessagePackReader reader)
    {
        var v = new MsgPackFieldReader(reader);
        var message = T.Fields(ref v, Unread);
        reader = v.Reader;
        return message;
    }

    private static List<FieldInfo> List()
    {
        var lister = new FieldLister();
        T.Fields(ref lister, Unread);
        return lister.Fields;
    }
}

using System.Runtime.CompilerServices;
using HealthLedger.Core.Encoding;
using MessagePack;

namespace HealthLedger.Core.Transactions;

/// <summary>
/// A payload type's one field-order description: visiting its fields in order with a visitor, by name,
/// kind, limit and value (read from <c>value</c> when writing, ignored when reading), and returning the payload built
/// from the returned values when <c>V.Reads</c>, <c>value</c> otherwise. Its hash input, MessagePack encoding and decoding all follow from it (<see cref="PayloadLayout{T}"/>).
/// </summary>
/// <typeparam name="TSelf">The payload type.</typeparam>
internal interface IPayloadFields<TSelf>
    where TSelf : TransactionPayload, IPayloadFields<TSelf>
{
    static abstract TSelf Fields<V>(ref V v, TSelf value)
        where V : IPayloadFieldVisitor, allows ref struct;
}

/// <summary>Hash input, encoding and decoding of one payload kind, as its description gives them.</summary>
internal abstract class PayloadLayout(IReadOnlyList<FieldInfo> fields) : FieldLayout(fields)
{
    private static readonly PayloadLayout?[] ByKind = Table<TransactionKind, PayloadLayout>(
        (TransactionKind.NodeRegistration, PayloadLayout<NodeRegistration>.Instance),
        (TransactionKind.NodeRevocation, PayloadLayout<NodeRevocation>.Instance),
        (TransactionKind.PatientRegistration, PayloadLayout<PatientRegistration>.Instance),
        (TransactionKind.DeviceRegistration, PayloadLayout<DeviceRegistration>.Instance),
        (TransactionKind.DeviceRevocation, PayloadLayout<DeviceRevocation>.Instance),
        (TransactionKind.RecordAnchor, PayloadLayout<RecordAnchor>.Instance),
        (TransactionKind.AccessGrant, PayloadLayout<AccessGrant>.Instance),
        (TransactionKind.AccessRevoke, PayloadLayout<AccessRevoke>.Instance),
        (TransactionKind.Attestation, PayloadLayout<Attestation>.Instance),
        (TransactionKind.MisbehaviourEvidence, PayloadLayout<MisbehaviourEvidence>.Instance),
        (TransactionKind.IntrusionReport, PayloadLayout<IntrusionReport>.Instance),
        (TransactionKind.KeyRelease, PayloadLayout<KeyRelease>.Instance));

    /// <summary>Every registered kind and its layout, in kind order.</summary>
    public static IEnumerable<(TransactionKind Kind, PayloadLayout Layout)> All => Entries<TransactionKind, PayloadLayout>(ByKind);

    /// <summary>The layout of <paramref name="kind"/>; an unknown kind is a format error (a peer sent it).</summary>
    public static PayloadLayout For(TransactionKind kind) =>
        (byte)kind < ByKind.Length && ByKind[(byte)kind] is { } layout ? layout
        : throw new LedgerFormatException("kind", $"unknown transaction kind {(byte)kind}");

    public abstract void WriteHashInput(TransactionPayload payload, HashInputWriter writer);

    /// <summary>The MessagePack array of the fields.</summary>
    public abstract void Encode(TransactionPayload payload, ref MessagePackWriter writer);

    /// <summary>Reads the array written by <see cref="Encode"/>: exactly as many elements as fields, each within its limit.</summary>
    public abstract TransactionPayload Decode(ref MessagePackReader reader);
}

/// <inheritdoc />
internal sealed class PayloadLayout<T> : PayloadLayout
    where T : TransactionPayload, IPayloadFields<T>
{
    /// <summary>A zeroed instance (no constructor run) that the reader and the lister pass as the value they ignore.</summary>
    private static readonly T Unread = (T)RuntimeHelpers.GetUninitializedObject(typeof(T));

    public static readonly PayloadLayout<T> Instance = new(List());

    private readonly int _count;

    private PayloadLayout(List<FieldInfo> fields)
        : base(fields) => _count = fields.Count;

    public override void WriteHashInput(TransactionPayload payload, HashInputWriter writer)
    {
        var v = new HashInputFields(writer);
        T.Fields(ref v, (T)payload);
    }

    public override void Encode(TransactionPayload payload, ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(_count);
        var v = new MsgPackFieldWriter(writer);
        T.Fields(ref v, (T)payload);
        writer = v.Writer;
    }

    public override TransactionPayload Decode(ref MessagePackReader reader)
    {
        MsgPack.ReadArrayHeader(ref reader, "payload", _count);
        var v = new MsgPackFieldReader(reader);
        var payload = T.Fields(ref v, Unread);
        reader = v.Reader;
        return payload;
    }

    private static List<FieldInfo> List()
    {
        var lister = new FieldLister();
        T.Fields(ref lister, Unread);
        return lister.Fields;
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using MessagePack;

namespace HealthLedger.Core.Transactions;

/// <summary>
/// The kind-specific part of a transaction. Each payload type describes its fields once (name, kind, limit, accessor,
/// in order: <see cref="IPayloadFields{TSelf}"/>), and its fixed hash-input layout, its MessagePack array and its
/// decoder all follow from that description (<see cref="PayloadLayout{T}"/>); the layouts are tabled in docs/format.md.
/// </summary>
public abstract record TransactionPayload
{
    /// <summary>Largest UTF-8 size of a name.</summary>
    public const int MaxNameBytes = 64;

    /// <summary>Largest UTF-8 size of a content address.</summary>
    public const int MaxContentAddressBytes = 128;

    /// <summary>Largest encoded size of one side of misbehaviour evidence.</summary>
    public const int MaxEvidenceItemBytes = 2048;

    private protected TransactionPayload()
    {
    }

    /// <summary>The transaction kind of this payload.</summary>
    public abstract TransactionKind Kind { get; }

    internal void WriteHashInput(HashInputWriter writer) => PayloadLayout.For(Kind).WriteHashInput(this, writer);

    internal void Encode(ref MessagePackWriter writer) => PayloadLayout.For(Kind).Encode(this, ref writer);

    /// <summary>State-independent range checks (enum values, empty keys, lengths).</summary>
    internal abstract string? CheckShape();

    internal static TransactionPayload Decode(ref MessagePackReader reader, TransactionKind kind) => PayloadLayout.For(kind).Decode(ref reader);

    private protected static string? CheckName(string value, string field, int max) =>
        System.Text.Encoding.UTF8.GetByteCount(value) is var n && (n == 0 || n > max) ? $"{field} must be 1..{max} UTF-8 bytes, got {n}" : null;
}

/// <summary>An authority registers a node.</summary>
/// <param name="NodeKey">The node's public key.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Name">A display name (organisation or host, never personal data).</param>
public sealed record NodeRegistration(PublicKey NodeKey, NodeRoles Roles, string Name) : TransactionPayload, IPayloadFields<NodeRegistration>
{
    static NodeRegistration IPayloadFields<NodeRegistration>.Fields<V>(ref V v, NodeRegistration p)
    {
        var nodeKey = v.Key("nodeKey", p.NodeKey);
        var roles = v.U8("roles", (byte)p.Roles);
        var name = v.Str("name", MaxNameBytes, p.Name);
        return V.Reads ? new(nodeKey, (NodeRoles)roles, name) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.NodeRegistration;

    internal override string? CheckShape() =>
        NodeKey.IsEmpty ? "node key is empty"
        : Roles == NodeRoles.None || (Roles & ~NodeRoles.All) != 0 ? $"roles 0x{(byte)Roles:x2} out of range"
        : CheckName(Name, "name", MaxNameBytes);
}

/// <summary>An authority revokes a node; a revoked node may no longer mine, attest or act in its roles.</summary>
/// <param name="Node">The node's address.</param>
public sealed record NodeRevocation(Address Node) : TransactionPayload, IPayloadFields<NodeRevocation>
{
    static NodeRevocation IPayloadFields<NodeRevocation>.Fields<V>(ref V v, NodeRevocation p)
    {
        var node = v.Address("node", p.Node);
        return V.Reads ? new(node) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.NodeRevocation;

    internal override string? CheckShape() => Node.IsZero ? "node address is zero" : null;
}

/// <summary>A patient registers a pseudonymous identity (the sender is the patient's key).</summary>
/// <param name="PseudonymCommitment">A salted hash linking the key to the provider's patient record; not reversible.</param>
public sealed record PatientRegistration(Hash256 PseudonymCommitment) : TransactionPayload, IPayloadFields<PatientRegistration>
{
    static PatientRegistration IPayloadFields<PatientRegistration>.Fields<V>(ref V v, PatientRegistration p)
    {
        var commitment = v.Hash("pseudonymCommitment", p.PseudonymCommitment);
        return V.Reads ? new(commitment) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.PatientRegistration;

    internal override string? CheckShape() => PseudonymCommitment.IsZero ? "pseudonym commitment is zero" : null;
}

/// <summary>
/// A provider (the sender) registers a device bound to a patient. The device proves possession of its key by
/// signing <see cref="ProofOfPossessionMessage"/>.
/// </summary>
/// <param name="DeviceKey">The device's public key.</param>
/// <param name="Patient">The patient the device is bound to.</param>
/// <param name="DeviceClass">Kind of device.</param>
/// <param name="ProofOfPossession">The device's signature over the proof-of-possession message.</param>
public sealed record DeviceRegistration(PublicKey DeviceKey, Address Patient, DeviceClass DeviceClass, Signature ProofOfPossession) : TransactionPayload, IPayloadFields<DeviceRegistration>
{
    static DeviceRegistration IPayloadFields<DeviceRegistration>.Fields<V>(ref V v, DeviceRegistration p)
    {
        var deviceKey = v.Key("deviceKey", p.DeviceKey);
        var patient = v.Address("patient", p.Patient);
        var deviceClass = v.U8("deviceClass", (byte)p.DeviceClass);
        var proof = v.Signature("proofOfPossession", p.ProofOfPossession);
        return V.Reads ? new(deviceKey, patient, (DeviceClass)deviceClass, proof) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.DeviceRegistration;

    /// <summary>
    /// What the device signs: "HL-POP" || chain id (u32 LE) || device key || patient || provider address.
    /// Binding the provider and chain stops a proof from being replayed by another provider or on another chain.
    /// </summary>
    public static byte[] ProofOfPossessionMessage(uint chainId, in PublicKey deviceKey, in Address patient, in Address provider)
    {
        var writer = new HashInputWriter(96);
        writer.WriteBytes("HL-POP"u8);
        writer.WriteU32(chainId);
        writer.Write(deviceKey);
        writer.Write(patient);
        writer.Write(provider);
        return writer.WrittenSpan.ToArray();
    }

    internal override string? CheckShape() =>
        DeviceKey.IsEmpty ? "device key is empty"
        : Patient.IsZero ? "patient address is zero"
        : !Enum.IsDefined(DeviceClass) ? $"device class {(byte)DeviceClass} unknown"
        : null;
}

/// <summary>A device is revoked by its provider, its patient or an authority (the sender).</summary>
/// <param name="Device">The device's address.</param>
public sealed record DeviceRevocation(Address Device) : TransactionPayload, IPayloadFields<DeviceRevocation>
{
    static DeviceRevocation IPayloadFields<DeviceRevocation>.Fields<V>(ref V v, DeviceRevocation p)
    {
        var device = v.Address("device", p.Device);
        return V.Reads ? new(device) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.DeviceRevocation;

    internal override string? CheckShape() => Device.IsZero ? "device address is zero" : null;
}

/// <summary>
/// A device (the sender) anchors an encrypted record stored off-chain. Only the content address and the
/// SHA-256 of the ciphertext go on-chain — never health data in clear.
/// </summary>
/// <param name="ContentAddress">Where the ciphertext is stored (IPFS CID or local content address).</param>
/// <param name="CiphertextHash">SHA-256 of the ciphertext.</param>
/// <param name="RecordType">Type of record.</param>
/// <param name="MeasuredAtMs">When the measurement was taken, UTC ms.</param>
public sealed record RecordAnchor(string ContentAddress, Hash256 CiphertextHash, RecordType RecordType, long MeasuredAtMs) : TransactionPayload, IPayloadFields<RecordAnchor>
{
    static RecordAnchor IPayloadFields<RecordAnchor>.Fields<V>(ref V v, RecordAnchor p)
    {
        var contentAddress = v.Str("contentAddress", MaxContentAddressBytes, p.ContentAddress);
        var ciphertextHash = v.Hash("ciphertextHash", p.CiphertextHash);
        var recordType = v.U8("recordType", (byte)p.RecordType);
        var measuredAt = v.I64("measuredAt", p.MeasuredAtMs);
        return V.Reads ? new(contentAddress, ciphertextHash, (RecordType)recordType, measuredAt) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.RecordAnchor;

    internal override string? CheckShape() =>
        CheckName(ContentAddress, "content address", MaxContentAddressBytes)
        ?? (CiphertextHash.IsZero ? "ciphertext hash is zero"
        : !Enum.IsDefined(RecordType) ? $"record type {(byte)RecordType} unknown"
        : MeasuredAtMs <= 0 ? $"measurement time {MeasuredAtMs} is not positive"
        : null);
}

/// <summary>A patient (the sender) grants a provider access to some record types until an expiry.</summary>
/// <param name="Grantee">The provider's address.</param>
/// <param name="Scope">Record types covered.</param>
/// <param name="ExpiresAtMs">Expiry, UTC ms.</param>
public sealed record AccessGrant(Address Grantee, RecordScope Scope, long ExpiresAtMs) : TransactionPayload, IPayloadFields<AccessGrant>
{
    static AccessGrant IPayloadFields<AccessGrant>.Fields<V>(ref V v, AccessGrant p)
    {
        var grantee = v.Address("grantee", p.Grantee);
        var scope = v.U8("scope", (byte)p.Scope);
        var expiresAt = v.I64("expiresAt", p.ExpiresAtMs);
        return V.Reads ? new(grantee, (RecordScope)scope, expiresAt) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.AccessGrant;

    internal override string? CheckShape() =>
        Grantee.IsZero ? "grantee is zero"
        : Scope == RecordScope.None || (Scope & ~RecordScope.All) != 0 ? $"scope 0x{(byte)Scope:x2} out of range"
        : ExpiresAtMs <= 0 ? "expiry is not positive"
        : null;
}

/// <summary>A patient (the sender) revokes some or all record types of a grant.</summary>
/// <param name="Grantee">The provider's address.</param>
/// <param name="Scope">Record types to revoke.</param>
public sealed record AccessRevoke(Address Grantee, RecordScope Scope) : TransactionPayload, IPayloadFields<AccessRevoke>
{
    static AccessRevoke IPayloadFields<AccessRevoke>.Fields<V>(ref V v, AccessRevoke p)
    {
        var grantee = v.Address("grantee", p.Grantee);
        var scope = v.U8("scope", (byte)p.Scope);
        return V.Reads ? new(grantee, (RecordScope)scope) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.AccessRevoke;

    internal override string? CheckShape() =>
        Grantee.IsZero ? "grantee is zero"
        : Scope == RecordScope.None || (Scope & ~RecordScope.All) != 0 ? $"scope 0x{(byte)Scope:x2} out of range"
        : null;
}

/// <summary>
/// A validator's (the sender's) finality vote, in the manner of Casper FFG: a link from a <em>source</em> block the
/// validator saw justified to a <em>target</em> block on its best chain, the source an ancestor of the target. A target
/// with links from a justified source signed by more than two thirds of the validators active in the target's parent
/// state (and at least the target's own threshold k) is justified; a justified block whose justified child is linked
/// from it is final (docs/consensus.md §5). Honest validators never sign two votes with the same target height and never
/// a vote whose span surrounds another of theirs; either is provable equivocation (<see cref="EvidenceKind.ConflictingAttestations"/>).
/// </summary>
/// <remarks>
/// A vote's transaction carries sequence 0 and does not advance its sender's sequence: votes are unique per
/// (validator, target height) on a branch, so one included only on a side branch can be included on the best chain
/// later, in any order relative to the sender's other transactions.
/// </remarks>
/// <param name="BlockHash">The target block.</param>
/// <param name="BlockHeight">Its height (a node votes at most once per target height).</param>
/// <param name="SourceHash">The source block: a justified ancestor of the target.</param>
/// <param name="SourceHeight">Its height, below <paramref name="BlockHeight"/>.</param>
public sealed record Attestation(Hash256 BlockHash, ulong BlockHeight, Hash256 SourceHash, ulong SourceHeight) : TransactionPayload, IPayloadFields<Attestation>
{
    static Attestation IPayloadFields<Attestation>.Fields<V>(ref V v, Attestation p)
    {
        var blockHash = v.Hash("blockHash", p.BlockHash);
        var blockHeight = v.U64("blockHeight", p.BlockHeight);
        var sourceHash = v.Hash("sourceHash", p.SourceHash);
        var sourceHeight = v.U64("sourceHeight", p.SourceHeight);
        return V.Reads ? new(blockHash, blockHeight, sourceHash, sourceHeight) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.Attestation;

    /// <summary>
    /// True when this vote and <paramref name="other"/> (by the same validator) cannot both be honest: the same target
    /// height with a different target or source (a double vote), or one span strictly surrounding the other
    /// (source lower and target higher).
    /// </summary>
    public bool ConflictsWith(Attestation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (BlockHeight == other.BlockHeight)
        {
            return BlockHash != other.BlockHash || SourceHash != other.SourceHash || SourceHeight != other.SourceHeight;
        }

        return Surrounds(other) || other.Surrounds(this);
    }

    /// <summary>True when this vote's span strictly surrounds <paramref name="other"/>'s: lower source, higher target.</summary>
    public bool Surrounds(Attestation other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return SourceHeight < other.SourceHeight && BlockHeight > other.BlockHeight;
    }

    internal override string? CheckShape() =>
        BlockHash.IsZero ? "block hash is zero"
        : SourceHash.IsZero ? "source hash is zero"
        : SourceHeight >= BlockHeight ? $"source height {SourceHeight} is not below target height {BlockHeight}"
        : SourceHash == BlockHash ? "source and target are the same block"
        : null;
}

/// <summary>What a piece of misbehaviour evidence proves.</summary>
public enum EvidenceKind : byte
{
    /// <summary>Two different headers at the same height, both sealed (signed) by the same ePoW miner.</summary>
    ConflictingHeaders = 1,
    /// <summary>
    /// Two finality votes from the same node that cannot both be honest: the same target height with a different
    /// target or source, or one span surrounding the other (<see cref="Attestation.ConflictsWith"/>).
    /// </summary>
    ConflictingAttestations = 2,
}

/// <summary>
/// Proof that a node equivocated. <see cref="First"/> and <see cref="Second"/> are canonical encodings of two
/// block headers or two attestation transactions, ordered so that the first's hash is the smaller (one form per proof).
/// </summary>
/// <param name="EvidenceKind">What is proven.</param>
/// <param name="First">The first encoded item.</param>
/// <param name="Second">The second encoded item.</param>
public sealed record MisbehaviourEvidence(EvidenceKind EvidenceKind, byte[] First, byte[] Second) : TransactionPayload, IPayloadFields<MisbehaviourEvidence>
{
    static MisbehaviourEvidence IPayloadFields<MisbehaviourEvidence>.Fields<V>(ref V v, MisbehaviourEvidence p)
    {
        var evidenceKind = v.U8("evidenceKind", (byte)p.EvidenceKind);
        var first = v.Bin("first", MaxEvidenceItemBytes, p.First);
        var second = v.Bin("second", MaxEvidenceItemBytes, p.Second);
        return V.Reads ? new((EvidenceKind)evidenceKind, first, second) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.MisbehaviourEvidence;

    /// <summary>An identifier of the proof (independent of who submits it), used to refuse the same evidence twice.</summary>
    public Hash256 EvidenceId
    {
        get
        {
            var writer = new HashInputWriter(First.Length + Second.Length + 8);
            writer.WriteBytes("HL-EVID"u8);
            writer.WriteU8((byte)EvidenceKind);
            writer.WriteVarBytes(First);
            writer.WriteVarBytes(Second);
            return Hash256.Sha256(writer.WrittenSpan);
        }
    }

    internal override string? CheckShape() =>
        !Enum.IsDefined(EvidenceKind) ? $"evidence kind {(byte)EvidenceKind} unknown"
        : First.Length == 0 || Second.Length == 0 ? "evidence item is empty"
        : First.Length > MaxEvidenceItemBytes || Second.Length > MaxEvidenceItemBytes ? "evidence item too large"
        : null;

    /// <inheritdoc />
    public bool Equals(MisbehaviourEvidence? other) =>
        other is not null && EvidenceKind == other.EvidenceKind && First.AsSpan().SequenceEqual(other.First) && Second.AsSpan().SequenceEqual(other.Second);

    /// <inheritdoc />
    public override int GetHashCode() => EvidenceId.GetHashCode();
}

/// <summary>
/// A gateway (the sender) reports a device whose submission the detector refused. Carries no health data:
/// only the device, the time and the detector's score.
/// </summary>
/// <param name="Device">The device's address.</param>
/// <param name="ObservedAtMs">When the submission arrived, UTC ms.</param>
/// <param name="ScoreBasisPoints">P(attack) × 10,000.</param>
/// <param name="ModelId">SHA-256 of the detector model that scored it.</param>
public sealed record IntrusionReport(Address Device, long ObservedAtMs, ushort ScoreBasisPoints, Hash256 ModelId) : TransactionPayload, IPayloadFields<IntrusionReport>
{
    static IntrusionReport IPayloadFields<IntrusionReport>.Fields<V>(ref V v, IntrusionReport p)
    {
        var device = v.Address("device", p.Device);
        var observedAt = v.I64("observedAt", p.ObservedAtMs);
        var score = v.U16("scoreBasisPoints", p.ScoreBasisPoints);
        var modelId = v.Hash("modelId", p.ModelId);
        return V.Reads ? new(device, observedAt, score, modelId) : p;
    }

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.IntrusionReport;

    internal override string? CheckShape() =>
        Device.IsZero ? "device is zero"
        : ScoreBasisPoints > 10_000 ? $"score {ScoreBasisPoints} exceeds 10000 basis points"
        : ObservedAtMs <= 0 ? "observation time is not positive"
        : null;
}

/// <summary>
/// A node (the sender, the record's custodian) records that it released a record's key: to whom, which record, when,
/// and under which grant. Written before the key leaves the node, and validated against the state it is applied to:
/// the recipient is the record's patient (<see cref="GrantHeight"/> 0), or holds the patient's grant for the record's
/// type, set at <see cref="GrantHeight"/> and unexpired at <see cref="ReleasedAtMs"/>, with its node not revoked.
/// Carries no key material.
/// </summary>
/// <param name="CiphertextHash">The record (its anchored ciphertext hash).</param>
/// <param name="Recipient">Who received the key.</param>
/// <param name="ReleasedAtMs">When the release was decided, UTC ms (within <see cref="MaxAgeMs"/> before and <see cref="MaxAheadMs"/> after the block time).</param>
/// <param name="GrantHeight">The height of the block holding the grant it was released under (<see cref="AccessGrantInfo.GrantedAtHeight"/>); 0 for the patient.</param>
/// <param name="RequestId">SHA-256 of the recipient's signed request (its signed bytes and signature), so the request can be produced as evidence.</param>
public sealed record KeyRelease(Hash256 CiphertextHash, Address Recipient, long ReleasedAtMs, ulong GrantHeight, Hash256 RequestId) : TransactionPayload, IPayloadFields<KeyRelease>
{
    static KeyRelease IPayloadFields<KeyRelease>.Fields<V>(ref V v, KeyRelease p)
    {
        var ciphertextHash = v.Hash("ciphertextHash", p.CiphertextHash);
        var recipient = v.Address("recipient", p.Recipient);
        var releasedAt = v.I64("releasedAt", p.ReleasedAtMs);
        var grantHeight = v.U64("grantHeight", p.GrantHeight);
        var requestId = v.Hash("requestId", p.RequestId);
        return V.Reads ? new(ciphertextHash, recipient, releasedAt, grantHeight, requestId) : p;
    }

    /// <summary>How long before the block time a release may be dated: older releases are refused (10 minutes).</summary>
    public const long MaxAgeMs = 10 * 60 * 1000;

    /// <summary>How far after the block time a release may be dated (5 minutes of clock skew).</summary>
    public const long MaxAheadMs = 5 * 60 * 1000;

    /// <inheritdoc />
    public override TransactionKind Kind => TransactionKind.KeyRelease;

    internal override string? CheckShape() =>
        CiphertextHash.IsZero ? "ciphertext hash is zero"
        : Recipient.IsZero ? "recipient is zero"
        : ReleasedAtMs <= 0 ? "release time is not positive"
        : RequestId.IsZero ? "request id is zero"
        : null;
}

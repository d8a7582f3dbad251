using System.Collections.Immutable;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Core.Chain;

/// <summary>Read-only view of the ledger state after some block.</summary>
public interface ILedgerStateView
{
    /// <summary>Height of the block this state follows.</summary>
    ulong Height { get; }

    /// <summary>The registered node with this address, or null.</summary>
    NodeInfo? GetNode(Address id);

    /// <summary>All registered nodes (including revoked ones), ordered by address.</summary>
    IEnumerable<NodeInfo> Nodes { get; }

    /// <summary>The registered patient, or null.</summary>
    PatientInfo? GetPatient(Address id);

    /// <summary>The registered device, or null.</summary>
    DeviceInfo? GetDevice(Address id);

    /// <summary>
    /// The patient's grant to <paramref name="grantee"/> for one record type, or null. Expired grants are returned
    /// (with their expiry) until the patient revokes them; use <see cref="AccessGrantInfo.IsActiveAt"/>.
    /// </summary>
    AccessGrantInfo? GetGrant(Address patient, Address grantee, Transactions.RecordType recordType);

    /// <summary>Every grant the patient holds on-chain (one per grantee and record type), ordered by grantee then type.</summary>
    IEnumerable<AccessGrantInfo> GetGrants(Address patient);

    /// <summary>The anchored record with this ciphertext hash, or null.</summary>
    RecordInfo? GetRecord(Hash256 ciphertextHash);

    /// <summary>The next sequence number the sender must use (0 for a new sender).</summary>
    ulong GetNextSequence(Address sender);

    /// <summary>Number of anchored records.</summary>
    int RecordCount { get; }
}

/// <summary>A registered node and its recent on-chain activity (used by ePoW credit).</summary>
/// <param name="Id">Address.</param>
/// <param name="Key">Public key.</param>
/// <param name="Roles">Roles.</param>
/// <param name="Name">Display name.</param>
/// <param name="RegisteredAtHeight">Height of registration.</param>
/// <param name="Revoked">True once revoked by an authority.</param>
/// <param name="Activity">Recent activity.</param>
public sealed record NodeInfo(Address Id, PublicKey Key, NodeRoles Roles, string Name, ulong RegisteredAtHeight, bool Revoked, NodeActivity Activity);

/// <summary>
/// Heights of a node's recent blocks, attestations and proven misbehaviour, most recent last,
/// each capped at <see cref="Window"/> entries.
/// </summary>
/// <param name="MinedHeights">Heights of blocks this node mined.</param>
/// <param name="AttestedHeights">Heights of blocks this node attested (attestations included on-chain).</param>
/// <param name="PenaltyHeights">Heights at which misbehaviour evidence against this node was included.</param>
public sealed record NodeActivity(ImmutableArray<ulong> MinedHeights, ImmutableArray<ulong> AttestedHeights, ImmutableArray<ulong> PenaltyHeights)
{
    /// <summary>Largest number of entries kept per list.</summary>
    public const int Window = 512;

    /// <summary>No activity.</summary>
    public static NodeActivity Empty { get; } = new([], [], []);

    internal static ImmutableArray<ulong> Push(ImmutableArray<ulong> list, ulong height) =>
        list.Length >= Window ? list.RemoveAt(0).Add(height) : list.Add(height);

    /// <summary>Value equality over the contents of the three lists (a record would compare the arrays by reference).</summary>
    public bool Equals(NodeActivity? other) =>
        other is not null
        && SameHeights(MinedHeights, other.MinedHeights)
        && SameHeights(AttestedHeights, other.AttestedHeights)
        && SameHeights(PenaltyHeights, other.PenaltyHeights);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        AddHeights(ref hash, MinedHeights);
        AddHeights(ref hash, AttestedHeights);
        AddHeights(ref hash, PenaltyHeights);
        return hash.ToHashCode();
    }

    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("MinedHeights = ");
        PrintHeights(builder, MinedHeights);
        builder.Append(", AttestedHeights = ");
        PrintHeights(builder, AttestedHeights);
        builder.Append(", PenaltyHeights = ");
        PrintHeights(builder, PenaltyHeights);
        return true;
    }

    // A default (uninitialised) ImmutableArray counts as empty, so default and [] compare equal and print alike.
    private static bool SameHeights(ImmutableArray<ulong> a, ImmutableArray<ulong> b) =>
        (a.IsDefault ? [] : a.AsSpan()).SequenceEqual(b.IsDefault ? [] : b.AsSpan());

    private static void AddHeights(ref HashCode hash, ImmutableArray<ulong> heights)
    {
        var span = heights.IsDefault ? [] : heights.AsSpan();
        hash.Add(span.Length);
        foreach (var h in span)
        {
            hash.Add(h);
        }
    }

    private static void PrintHeights(System.Text.StringBuilder builder, ImmutableArray<ulong> heights)
    {
        builder.Append('[');
        if (!heights.IsDefault)
        {
            builder.AppendJoin(", ", heights);
        }

        builder.Append(']');
    }
}

/// <summary>A registered patient (pseudonymous: the chain holds no personal data).</summary>
/// <param name="Id">Address of the patient's key.</param>
/// <param name="Key">Public key.</param>
/// <param name="PseudonymCommitment">A salted hash the patient's provider can link to its records; not reversible.</param>
/// <param name="RegisteredAtHeight">Height of registration.</param>
public sealed record PatientInfo(Address Id, PublicKey Key, Hash256 PseudonymCommitment, ulong RegisteredAtHeight);

/// <summary>A registered device.</summary>
/// <param name="Id">Address of the device key.</param>
/// <param name="Key">Device public key.</param>
/// <param name="Patient">The patient it is bound to.</param>
/// <param name="Provider">The provider that registered it.</param>
/// <param name="DeviceClass">Kind of device.</param>
/// <param name="RegisteredAtHeight">Height of registration.</param>
/// <param name="Revoked">True once revoked.</param>
public sealed record DeviceInfo(Address Id, PublicKey Key, Address Patient, Address Provider, Transactions.DeviceClass DeviceClass, ulong RegisteredAtHeight, bool Revoked);

/// <summary>
/// A patient's grant to a provider for one record type. Each type has its own expiry: a grant transaction covering
/// several types creates one of these per type, and a later grant of another type never changes this one.
/// </summary>
/// <param name="Patient">Grantor.</param>
/// <param name="Grantee">Provider receiving access.</param>
/// <param name="RecordType">The record type covered.</param>
/// <param name="ExpiresAtMs">Expiry, UTC ms (access ends at this instant).</param>
/// <param name="GrantedAtHeight">Height of the block holding the grant that set this expiry.</param>
public sealed record AccessGrantInfo(Address Patient, Address Grantee, Transactions.RecordType RecordType, long ExpiresAtMs, ulong GrantedAtHeight)
{
    /// <summary>The scope flag of <see cref="RecordType"/>.</summary>
    public Transactions.RecordScope Scope => Transactions.RecordScopeExtensions.ToScope(RecordType);

    /// <summary>True while the grant lets the grantee read: <paramref name="nowMs"/> is before the expiry.</summary>
    public bool IsActiveAt(long nowMs) => ExpiresAtMs > nowMs;
}

/// <summary>An anchored off-chain record.</summary>
/// <param name="CiphertextHash">SHA-256 of the ciphertext.</param>
/// <param name="ContentAddress">Where the ciphertext is stored (CID or local content address).</param>
/// <param name="Patient">Whose record.</param>
/// <param name="Device">Which device produced it.</param>
/// <param name="RecordType">Record type.</param>
/// <param name="MeasuredAtMs">Measurement time, UTC ms.</param>
/// <param name="Height">Height of the anchoring block.</param>
/// <param name="TransactionId">Anchoring transaction.</param>
public sealed record RecordInfo(Hash256 CiphertextHash, string ContentAddress, Address Patient, Address Device, Transactions.RecordType RecordType, long MeasuredAtMs, ulong Height, Hash256 TransactionId);

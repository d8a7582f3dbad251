using System.Collections.Immutable;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Chain;

/// <summary>
/// The state a <see cref="LedgerState"/>'s in-memory overlay sits on: the state after the last final block, kept in a
/// key-value store (docs/storage.md, "Chain state"), or nothing at all for a chain kept wholly in memory. Lookups go
/// overlay → base. The base only ever moves forward to a later final block, so an overlay built on an earlier base
/// stays correct: every key the base gained since is also in the overlay.
/// </summary>
internal interface ILedgerStateBase
{
    PatientInfo? GetPatient(Address id);

    DeviceInfo? GetDevice(Address id);

    /// <summary>The patient's grants (null when the base holds none).</summary>
    ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>? GetGrants(Address patient);

    RecordInfo? GetRecord(Hash256 ciphertextHash);

    ulong? GetSequence(Address sender);

    Hash256? GetAttestation(Address node, ulong height);

    ImmutableHashSet<Address>? GetAttesters(Hash256 blockHash);

    bool IsEvidenceUsed(Hash256 evidenceId);

    /// <summary>Every record in the base (a full scan: brute-force queries only).</summary>
    IEnumerable<RecordInfo> Records { get; }
}

/// <summary>The base of a chain kept wholly in memory: holds nothing.</summary>
internal sealed class EmptyLedgerStateBase : ILedgerStateBase
{
    public static EmptyLedgerStateBase Instance { get; } = new();

    public PatientInfo? GetPatient(Address id) => null;

    public DeviceInfo? GetDevice(Address id) => null;

    public ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>? GetGrants(Address patient) => null;

    public RecordInfo? GetRecord(Hash256 ciphertextHash) => null;

    public ulong? GetSequence(Address sender) => null;

    public Hash256? GetAttestation(Address node, ulong height) => null;

    public ImmutableHashSet<Address>? GetAttesters(Hash256 blockHash) => null;

    public bool IsEvidenceUsed(Hash256 evidenceId) => false;

    public IEnumerable<RecordInfo> Records => [];
}

/// <summary>
/// The keys one block (or one transaction, for the mempool's pending state) wrote into a state's overlay, so that a
/// descendant's overlay can be rebuilt on a newer base from its parent's in time proportional to the block.
/// </summary>
internal sealed record StateDelta(
    ImmutableArray<Address> Patients,
    ImmutableArray<Address> Devices,
    ImmutableArray<Address> Grants,
    ImmutableArray<Hash256> Records,
    ImmutableArray<Address> Sequences,
    ImmutableArray<(Address Node, ulong Height)> Attestations,
    ImmutableArray<Hash256> Attesters,
    ImmutableArray<Hash256> UsedEvidence)
{
    public static StateDelta Empty { get; } = new([], [], [], [], [], [], [], []);
}

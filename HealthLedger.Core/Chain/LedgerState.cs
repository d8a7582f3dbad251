using System.Collections.Immutable;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Chain;

/// <summary>
/// The ledger state after some block: nodes, patients, devices, grants, the record index, sequences and
/// attestations. Immutable and persistent (structural sharing), so every block keeps its own state cheaply and a
/// reorg simply switches to another block's state. Derived only by applying blocks to the genesis state.
/// </summary>
/// <remarks>
/// On a chain with a state store (docs/storage.md, "Chain state") the maps hold only an overlay: what the blocks after
/// the last final block changed; lookups fall back to the state after the last final block, kept on disk. Nodes (a
/// small set) are always held whole. Without a store the overlay is the whole state.
/// </remarks>
public sealed class LedgerState : ILedgerStateView
{
    internal LedgerState(
        ulong height,
        ImmutableHashSet<Address> authorities,
        ImmutableSortedDictionary<Address, NodeInfo> nodes,
        ImmutableDictionary<Address, PatientInfo> patients,
        ImmutableDictionary<Address, DeviceInfo> devices,
        ImmutableDictionary<Address, ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>> grants,
        ImmutableDictionary<Hash256, RecordInfo> records,
        ImmutableDictionary<Address, ulong> sequences,
        ImmutableDictionary<(Address Node, ulong Height), Hash256> attestations,
        ImmutableDictionary<Hash256, ImmutableHashSet<Address>> attesters,
        ImmutableHashSet<Hash256> usedEvidence,
        ILedgerStateBase stateBase,
        long recordTotal,
        StateDelta delta)
    {
        Base = stateBase;
        RecordTotal = recordTotal;
        Delta = delta;
        Height = height;
        Authorities = authorities;
        NodesById = nodes;
        Patients = patients;
        Devices = devices;
        Grants = grants;
        Records = records;
        Sequences = sequences;
        Attestations = attestations;
        Attesters = attesters;
        UsedEvidence = usedEvidence;
    }

    /// <inheritdoc />
    public ulong Height { get; }

    internal ImmutableHashSet<Address> Authorities { get; }

    internal ImmutableSortedDictionary<Address, NodeInfo> NodesById { get; }

    internal ImmutableDictionary<Address, PatientInfo> Patients { get; }

    internal ImmutableDictionary<Address, DeviceInfo> Devices { get; }

    /// <summary>Grants by patient, then by (grantee, record type): one entry per scope, each with its own expiry.</summary>
    internal ImmutableDictionary<Address, ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>> Grants { get; }

    internal ImmutableDictionary<Hash256, RecordInfo> Records { get; }

    internal ImmutableDictionary<Address, ulong> Sequences { get; }

    internal ImmutableDictionary<(Address Node, ulong Height), Hash256> Attestations { get; }

    internal ImmutableDictionary<Hash256, ImmutableHashSet<Address>> Attesters { get; }

    internal ImmutableHashSet<Hash256> UsedEvidence { get; }

    /// <summary>What the overlay sits on (<see cref="EmptyLedgerStateBase"/> for a chain kept wholly in memory).</summary>
    internal ILedgerStateBase Base { get; }

    /// <summary>The keys the last block (or transaction) applied wrote.</summary>
    internal StateDelta Delta { get; }

    /// <summary>Number of anchored records (base and overlay).</summary>
    public long RecordTotal { get; }

    /// <summary>The genesis state of a configuration.</summary>
    public static LedgerState CreateGenesis(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        var nodes = ImmutableSortedDictionary.CreateBuilder<Address, NodeInfo>();
        foreach (var n in genesis.InitialNodes)
        {
            var id = n.Key.ToAddress();
            nodes[id] = new NodeInfo(id, n.Key, n.Roles, n.Name, 0, false, NodeActivity.Empty);
        }

        return new LedgerState(
            0,
            genesis.Authorities.Select(a => a.ToAddress()).ToImmutableHashSet(),
            nodes.ToImmutable(),
            ImmutableDictionary<Address, PatientInfo>.Empty,
            ImmutableDictionary<Address, DeviceInfo>.Empty,
            ImmutableDictionary<Address, ImmutableSortedDictionary<(Address, RecordType), AccessGrantInfo>>.Empty,
            ImmutableDictionary<Hash256, RecordInfo>.Empty,
            ImmutableDictionary<Address, ulong>.Empty,
            ImmutableDictionary<(Address, ulong), Hash256>.Empty,
            ImmutableDictionary<Hash256, ImmutableHashSet<Address>>.Empty,
            [],
            EmptyLedgerStateBase.Instance,
            0,
            StateDelta.Empty);
    }

    /// <summary>The state after a final block read back from a state store: the nodes in memory, the rest in <paramref name="stateBase"/>.</summary>
    internal static LedgerState ForBase(GenesisConfig genesis, ulong height, ImmutableSortedDictionary<Address, NodeInfo> nodes, ILedgerStateBase stateBase, long recordTotal) =>
        EmptyOverlay(height, genesis.Authorities.Select(a => a.ToAddress()).ToImmutableHashSet(), nodes, stateBase, recordTotal);

    /// <summary>A state with this state's nodes and counts and no overlay, over <paramref name="stateBase"/> (which holds the rest).</summary>
    internal LedgerState WithBase(ILedgerStateBase stateBase) => EmptyOverlay(Height, Authorities, NodesById, stateBase, RecordTotal);

    private static LedgerState EmptyOverlay(ulong height, ImmutableHashSet<Address> authorities, ImmutableSortedDictionary<Address, NodeInfo> nodes, ILedgerStateBase stateBase, long recordTotal) => new(
        height,
        authorities,
        nodes,
        ImmutableDictionary<Address, PatientInfo>.Empty,
        ImmutableDictionary<Address, DeviceInfo>.Empty,
        ImmutableDictionary<Address, ImmutableSortedDictionary<(Address, RecordType), AccessGrantInfo>>.Empty,
        ImmutableDictionary<Hash256, RecordInfo>.Empty,
        ImmutableDictionary<Address, ulong>.Empty,
        ImmutableDictionary<(Address, ulong), Hash256>.Empty,
        ImmutableDictionary<Hash256, ImmutableHashSet<Address>>.Empty,
        [],
        stateBase,
        recordTotal,
        StateDelta.Empty);

    /// <summary>
    /// This state rebuilt on <paramref name="parent"/> (its parent's state, already rebuilt on a newer base): the
    /// parent's overlay plus the keys this state's block wrote, with this state's values. Time proportional to the block.
    /// </summary>
    internal LedgerState RebaseOn(LedgerState parent)
    {
        var d = Delta;
        return new LedgerState(
            Height,
            Authorities,
            NodesById,
            parent.Patients.SetItems(d.Patients.Select(k => KeyValuePair.Create(k, Patients[k]))),
            parent.Devices.SetItems(d.Devices.Select(k => KeyValuePair.Create(k, Devices[k]))),
            parent.Grants.SetItems(d.Grants.Select(k => KeyValuePair.Create(k, Grants[k]))),
            parent.Records.SetItems(d.Records.Select(k => KeyValuePair.Create(k, Records[k]))),
            parent.Sequences.SetItems(d.Sequences.Select(k => KeyValuePair.Create(k, Sequences[k]))),
            parent.Attestations.SetItems(d.Attestations.Select(k => KeyValuePair.Create(k, Attestations[k]))),
            parent.Attesters.SetItems(d.Attesters.Select(k => KeyValuePair.Create(k, Attesters[k]))),
            parent.UsedEvidence.Union(d.UsedEvidence),
            parent.Base,
            RecordTotal,
            Delta);
    }

    /// <inheritdoc />
    public NodeInfo? GetNode(Address id) => NodesById.GetValueOrDefault(id);

    /// <inheritdoc />
    public IEnumerable<NodeInfo> Nodes => NodesById.Values;

    /// <summary>Registered, non-revoked validators.</summary>
    public IEnumerable<NodeInfo> ActiveValidators => NodesById.Values.Where(n => !n.Revoked && (n.Roles & NodeRoles.Validator) != 0);

    /// <inheritdoc />
    public PatientInfo? GetPatient(Address id) => Patients.TryGetValue(id, out var p) ? p : Base.GetPatient(id);

    /// <inheritdoc />
    public DeviceInfo? GetDevice(Address id) => Devices.TryGetValue(id, out var d) ? d : Base.GetDevice(id);

    /// <inheritdoc />
    public AccessGrantInfo? GetGrant(Address patient, Address grantee, RecordType recordType) =>
        GrantsOf(patient)?.GetValueOrDefault((grantee, recordType));

    /// <inheritdoc />
    public IEnumerable<AccessGrantInfo> GetGrants(Address patient) =>
        GrantsOf(patient)?.Values ?? [];

    /// <inheritdoc />
    public RecordInfo? GetRecord(Hash256 ciphertextHash) => Records.TryGetValue(ciphertextHash, out var r) ? r : Base.GetRecord(ciphertextHash);

    /// <inheritdoc />
    public ulong GetNextSequence(Address sender) => Sequences.TryGetValue(sender, out var s) ? s : Base.GetSequence(sender) ?? 0;

    /// <inheritdoc />
    /// <remarks>Saturates at <see cref="int.MaxValue"/>; <see cref="RecordTotal"/> is the exact count.</remarks>
    public int RecordCount => (int)Math.Min(RecordTotal, int.MaxValue);

    /// <summary>The patient's grants: the overlay's map (possibly empty: all revoked) or the base's.</summary>
    internal ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>? GrantsOf(Address patient) =>
        Grants.TryGetValue(patient, out var g) ? g : Base.GetGrants(patient);

    /// <summary>Every anchored record, overlay then base (a full scan: brute-force queries and tests only).</summary>
    internal IEnumerable<RecordInfo> AllRecords => Records.Values.Concat(Base.Records.Where(r => !Records.ContainsKey(r.CiphertextHash)));

    /// <summary>True if <paramref name="authority"/> is a genesis authority.</summary>
    public bool IsAuthority(Address authority) => Authorities.Contains(authority);

    /// <summary>The distinct validators whose on-chain attestations name <paramref name="blockHash"/>.</summary>
    public IReadOnlySet<Address> GetAttesters(Hash256 blockHash) => AttestersOf(blockHash) ?? ImmutableHashSet<Address>.Empty;

    internal Hash256? GetAttestation(Address node, ulong height) =>
        Attestations.TryGetValue((node, height), out var h) ? h : Base.GetAttestation(node, height);

    internal bool IsEvidenceUsed(Hash256 id) => UsedEvidence.Contains(id) || Base.IsEvidenceUsed(id);

    internal ImmutableHashSet<Address>? AttestersOf(Hash256 blockHash) => Attesters.TryGetValue(blockHash, out var a) ? a : Base.GetAttesters(blockHash);

    /// <summary>The records of a patient that <paramref name="grantee"/> may read at <paramref name="nowMs"/>.</summary>
    /// <remarks>
    /// Each record type is judged by its own grant: a later grant of another type never extends this one. A grantee
    /// whose node an authority revoked reads nothing, whatever its grants say.
    /// </remarks>
    public IEnumerable<RecordInfo> GetReadableRecords(Address patient, Address grantee, long nowMs)
    {
        if (GetNode(grantee) is not { Revoked: false })
        {
            return [];
        }

        var readable = RecordScope.None;
        foreach (var grant in GetGrants(patient))
        {
            if (grant.Grantee == grantee && grant.IsActiveAt(nowMs))
            {
                readable |= grant.RecordType.ToScope();
            }
        }

        return readable == RecordScope.None
            ? []
            : AllRecords.Where(r => r.Patient == patient && readable.Covers(r.RecordType)).OrderBy(r => r.MeasuredAtMs);
    }

    /// <summary>Applies a whole block; returns the new state or the first failure (with the transaction index in the message).</summary>
    public (LedgerState? State, ValidationResult Result) ApplyBlock(Block block, BlockContext context)
    {
        ArgumentNullException.ThrowIfNull(block);
        var builder = new LedgerStateBuilder(this, context);
        for (var i = 0; i < block.Transactions.Count; i++)
        {
            var result = builder.Apply(block.Transactions[i]);
            if (!result.IsValid)
            {
                return (null, ValidationResult.Reject(result.Code, $"transaction {i} ({block.Transactions[i].Id.ToShortString()}): {result.Message}", result.Actual, result.Limit));
            }
        }

        builder.RecordMinedBlock(block.Header);
        return (builder.ToState(), ValidationResult.Ok);
    }

    /// <summary>Applies one transaction on top of this state (used by the mempool's pending state).</summary>
    public (LedgerState? State, ValidationResult Result) ApplyTransaction(Transaction tx, BlockContext context)
    {
        var builder = new LedgerStateBuilder(this, context);
        var result = builder.Apply(tx);
        return result.IsValid ? (builder.ToState(), result) : (null, result);
    }
}

/// <summary>
/// What state rules need to know about the block being applied.
/// </summary>
/// <param name="Height">Height of the block being applied.</param>
/// <param name="TimestampMs">Its timestamp.</param>
/// <param name="ChainId">The chain id.</param>
/// <param name="AncestorHashAt">The hash of the ancestor at a height strictly below <paramref name="Height"/> on this branch, or null.</param>
public sealed record BlockContext(ulong Height, long TimestampMs, uint ChainId, Func<ulong, Hash256?> AncestorHashAt);

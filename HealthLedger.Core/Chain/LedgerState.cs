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
        ImmutableHashSet<Hash256> usedEvidence)
    {
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
            []);
    }

    /// <inheritdoc />
    public NodeInfo? GetNode(Address id) => NodesById.GetValueOrDefault(id);

    /// <inheritdoc />
    public IEnumerable<NodeInfo> Nodes => NodesById.Values;

    /// <summary>Registered, non-revoked validators.</summary>
    public IEnumerable<NodeInfo> ActiveValidators => NodesById.Values.Where(n => !n.Revoked && (n.Roles & NodeRoles.Validator) != 0);

    /// <inheritdoc />
    public PatientInfo? GetPatient(Address id) => Patients.GetValueOrDefault(id);

    /// <inheritdoc />
    public DeviceInfo? GetDevice(Address id) => Devices.GetValueOrDefault(id);

    /// <inheritdoc />
    public AccessGrantInfo? GetGrant(Address patient, Address grantee, RecordType recordType) =>
        Grants.GetValueOrDefault(patient)?.GetValueOrDefault((grantee, recordType));

    /// <inheritdoc />
    public IEnumerable<AccessGrantInfo> GetGrants(Address patient) =>
        Grants.GetValueOrDefault(patient)?.Values ?? [];

    /// <inheritdoc />
    public RecordInfo? GetRecord(Hash256 ciphertextHash) => Records.GetValueOrDefault(ciphertextHash);

    /// <inheritdoc />
    public ulong GetNextSequence(Address sender) => Sequences.GetValueOrDefault(sender);

    /// <inheritdoc />
    public int RecordCount => Records.Count;

    /// <summary>True if <paramref name="authority"/> is a genesis authority.</summary>
    public bool IsAuthority(Address authority) => Authorities.Contains(authority);

    /// <summary>The distinct validators whose on-chain attestations name <paramref name="blockHash"/>.</summary>
    public IReadOnlySet<Address> GetAttesters(Hash256 blockHash) => Attesters.GetValueOrDefault(blockHash) ?? ImmutableHashSet<Address>.Empty;

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
            : Records.Values.Where(r => r.Patient == patient && readable.Covers(r.RecordType)).OrderBy(r => r.MeasuredAtMs);
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

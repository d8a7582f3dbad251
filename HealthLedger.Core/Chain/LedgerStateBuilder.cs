using System.Collections.Immutable;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Chain;

/// <summary>Applies transactions to a state with mutable builders, then freezes the result. The state rules live here.</summary>
internal sealed class LedgerStateBuilder
{
    private readonly LedgerState _base;
    private readonly BlockContext _ctx;
    private readonly ImmutableSortedDictionary<Address, NodeInfo>.Builder _nodes;
    private readonly ImmutableDictionary<Address, PatientInfo>.Builder _patients;
    private readonly ImmutableDictionary<Address, DeviceInfo>.Builder _devices;
    private readonly ImmutableDictionary<Address, ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>>.Builder _grants;
    private readonly ImmutableDictionary<Hash256, RecordInfo>.Builder _records;
    private readonly ImmutableDictionary<Address, ulong>.Builder _sequences;
    private readonly ImmutableDictionary<(Address Node, ulong Height), Hash256>.Builder _attestations;
    private readonly ImmutableDictionary<Hash256, ImmutableHashSet<Address>>.Builder _attesters;
    private readonly ImmutableHashSet<Hash256>.Builder _usedEvidence;
    private readonly ILedgerStateBase _store;
    private readonly HashSet<Address> _dPatients = [];
    private readonly HashSet<Address> _dDevices = [];
    private readonly HashSet<Address> _dGrants = [];
    private readonly List<Hash256> _dRecords = [];
    private readonly HashSet<Address> _dSequences = [];
    private readonly List<(Address Node, ulong Height)> _dAttestations = [];
    private readonly HashSet<Hash256> _dAttesters = [];
    private readonly List<Hash256> _dEvidence = [];

    public LedgerStateBuilder(LedgerState state, BlockContext context)
    {
        _base = state;
        _ctx = context;
        _nodes = state.NodesById.ToBuilder();
        _patients = state.Patients.ToBuilder();
        _devices = state.Devices.ToBuilder();
        _grants = state.Grants.ToBuilder();
        _records = state.Records.ToBuilder();
        _sequences = state.Sequences.ToBuilder();
        _attestations = state.Attestations.ToBuilder();
        _attesters = state.Attesters.ToBuilder();
        _usedEvidence = state.UsedEvidence.ToBuilder();
        _store = state.Base;
    }

    public LedgerState ToState() => new(
        _ctx.Height,
        _base.Authorities,
        _nodes.ToImmutable(),
        _patients.ToImmutable(),
        _devices.ToImmutable(),
        _grants.ToImmutable(),
        _records.ToImmutable(),
        _sequences.ToImmutable(),
        _attestations.ToImmutable(),
        _attesters.ToImmutable(),
        _usedEvidence.ToImmutable(),
        _store,
        _base.RecordTotal + _dRecords.Count,
        // Only a state over a store is ever rebased; a chain kept wholly in memory does not pay for the delta.
        _store is EmptyLedgerStateBase
            ? StateDelta.Empty
            : new StateDelta([.. _dPatients], [.. _dDevices], [.. _dGrants], [.. _dRecords], [.. _dSequences], [.. _dAttestations], [.. _dAttesters], [.. _dEvidence]));

    // Reads go overlay → base (the state after the last final block, on a chain with a state store).
    private bool HasPatient(Address id) => _patients.ContainsKey(id) || _store.GetPatient(id) is not null;

    private DeviceInfo? GetDevice(Address id) => _devices.TryGetValue(id, out var d) ? d : _store.GetDevice(id);

    private bool HasRecord(Hash256 hash) => _records.ContainsKey(hash) || _store.GetRecord(hash) is not null;

    private RecordInfo? GetRecord(Hash256 hash) => _records.TryGetValue(hash, out var r) ? r : _store.GetRecord(hash);

    private ulong GetSequence(Address sender) => _sequences.TryGetValue(sender, out var s) ? s : _store.GetSequence(sender) ?? 0;

    private ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>? GetGrants(Address patient) =>
        _grants.TryGetValue(patient, out var g) ? g : _store.GetGrants(patient);

    public void RecordMinedBlock(BlockHeader header)
    {
        var miner = header.MinerAddress;
        if (_nodes.TryGetValue(miner, out var node))
        {
            _nodes[miner] = node with { Activity = node.Activity with { MinedHeights = NodeActivity.Push(node.Activity.MinedHeights, header.Height) } };
        }
    }

    public ValidationResult Apply(Transaction tx)
    {
        if (tx.ChainId != _ctx.ChainId)
        {
            return ValidationResult.Reject(RejectionCode.WrongChainId, $"transaction for chain {tx.ChainId}, this is chain {_ctx.ChainId}", tx.ChainId, _ctx.ChainId);
        }

        var sender = tx.SenderAddress;

        // Finality votes are not sequenced: each is unique per (validator, target height) on a branch, so a vote
        // included only on a side branch can still be included on the best chain, by anyone, in any order.
        if (tx.Payload is Attestation vote)
        {
            return ApplyAttestation(sender, vote);
        }

        var expected = GetSequence(sender);
        if (tx.Sequence != expected)
        {
            return ValidationResult.Reject(RejectionCode.BadSequence, $"sequence {tx.Sequence}, expected {expected}", (long)tx.Sequence, (long)expected);
        }

        var result = tx.Payload switch
        {
            NodeRegistration p => ApplyNodeRegistration(sender, p),
            NodeRevocation p => ApplyNodeRevocation(sender, p),
            PatientRegistration p => ApplyPatientRegistration(tx, p),
            DeviceRegistration p => ApplyDeviceRegistration(sender, p),
            DeviceRevocation p => ApplyDeviceRevocation(sender, p),
            RecordAnchor p => ApplyRecordAnchor(tx, p),
            AccessGrant p => ApplyAccessGrant(sender, p),
            AccessRevoke p => ApplyAccessRevoke(sender, p),
            MisbehaviourEvidence p => ApplyEvidence(sender, p),
            IntrusionReport p => ApplyIntrusionReport(sender, p),
            KeyRelease p => ApplyKeyRelease(sender, p),
            _ => ValidationResult.Reject(RejectionCode.FieldOutOfRange, $"unknown payload {tx.Payload.GetType().Name}"),
        };
        if (result.IsValid)
        {
            _sequences[sender] = expected + 1;
            _dSequences.Add(sender);
        }

        return result;
    }

    private ValidationResult RequireActiveNode(Address id, NodeRoles role, out NodeInfo? node)
    {
        if (!_nodes.TryGetValue(id, out node))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{id} is not a registered node");
        }

        if (node.Revoked)
        {
            return ValidationResult.Reject(RejectionCode.NodeRevoked, $"node {id} is revoked");
        }

        return (node.Roles & role) == role
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.NotAuthorized, $"node {id} lacks the {role} role");
    }

    private ValidationResult ApplyNodeRegistration(Address sender, NodeRegistration p)
    {
        if (!_base.Authorities.Contains(sender))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{sender} is not a genesis authority");
        }

        var id = p.NodeKey.ToAddress();
        if (_nodes.ContainsKey(id))
        {
            return ValidationResult.Reject(RejectionCode.AlreadyRegistered, $"node {id} is already registered");
        }

        _nodes[id] = new NodeInfo(id, p.NodeKey, p.Roles, p.Name, _ctx.Height, false, NodeActivity.Empty);
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyNodeRevocation(Address sender, NodeRevocation p)
    {
        if (!_base.Authorities.Contains(sender))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{sender} is not a genesis authority");
        }

        if (!_nodes.TryGetValue(p.Node, out var node))
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"node {p.Node} is not registered");
        }

        if (node.Revoked)
        {
            return ValidationResult.Reject(RejectionCode.NodeRevoked, $"node {p.Node} is already revoked");
        }

        _nodes[p.Node] = node with { Revoked = true };
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyPatientRegistration(Transaction tx, PatientRegistration p)
    {
        var id = tx.SenderAddress;
        if (HasPatient(id))
        {
            return ValidationResult.Reject(RejectionCode.AlreadyRegistered, $"patient {id} is already registered");
        }

        _patients[id] = new PatientInfo(id, tx.Sender, p.PseudonymCommitment, _ctx.Height);
        _dPatients.Add(id);
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyDeviceRegistration(Address sender, DeviceRegistration p)
    {
        var auth = RequireActiveNode(sender, NodeRoles.Provider, out _);
        if (!auth.IsValid)
        {
            return auth;
        }

        if (!HasPatient(p.Patient))
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"patient {p.Patient} is not registered");
        }

        var id = p.DeviceKey.ToAddress();
        if (GetDevice(id) is not null || HasPatient(id) || _nodes.ContainsKey(id))
        {
            return ValidationResult.Reject(RejectionCode.AlreadyRegistered, $"key {id} is already registered");
        }

        _devices[id] = new DeviceInfo(id, p.DeviceKey, p.Patient, sender, p.DeviceClass, _ctx.Height, false);
        _dDevices.Add(id);
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyDeviceRevocation(Address sender, DeviceRevocation p)
    {
        if (GetDevice(p.Device) is not { } device)
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"device {p.Device} is not registered");
        }

        if (sender != device.Provider && sender != device.Patient && !_base.Authorities.Contains(sender))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{sender} is neither the device's provider, its patient nor an authority");
        }

        if (device.Revoked)
        {
            return ValidationResult.Reject(RejectionCode.DeviceRevoked, $"device {p.Device} is already revoked");
        }

        _devices[p.Device] = device with { Revoked = true };
        _dDevices.Add(p.Device);
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyRecordAnchor(Transaction tx, RecordAnchor p)
    {
        if (GetDevice(tx.SenderAddress) is not { } device)
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"sender {tx.SenderAddress} is not a registered device");
        }

        if (device.Revoked)
        {
            return ValidationResult.Reject(RejectionCode.DeviceRevoked, $"device {device.Id} is revoked");
        }

        if (HasRecord(p.CiphertextHash))
        {
            return ValidationResult.Reject(RejectionCode.AlreadyRegistered, $"ciphertext {p.CiphertextHash.ToShortString()} is already anchored");
        }

        _records[p.CiphertextHash] = new RecordInfo(p.CiphertextHash, p.ContentAddress, device.Patient, device.Id, p.RecordType, p.MeasuredAtMs, _ctx.Height, tx.Id);
        _dRecords.Add(p.CiphertextHash);
        return ValidationResult.Ok;
    }

    // One grant per (patient, grantee, record type), each with its own expiry. A grant covering several types writes
    // one entry per type; a re-grant of a type replaces that type's expiry (later or earlier: the patient's latest word
    // wins, so re-granting with a nearer expiry shortens access); other types are untouched.
    private ValidationResult ApplyAccessGrant(Address sender, AccessGrant p)
    {
        if (!HasPatient(sender))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{sender} is not a registered patient");
        }

        if (!_nodes.TryGetValue(p.Grantee, out var grantee) || grantee.Revoked || (grantee.Roles & NodeRoles.Provider) == 0)
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"grantee {p.Grantee} is not an active provider");
        }

        if (p.ExpiresAtMs <= _ctx.TimestampMs)
        {
            return ValidationResult.Reject(RejectionCode.Expired, $"grant expires at {p.ExpiresAtMs}, block time is {_ctx.TimestampMs}", p.ExpiresAtMs, _ctx.TimestampMs);
        }

        var grants = (GetGrants(sender) ?? ImmutableSortedDictionary<(Address, RecordType), AccessGrantInfo>.Empty).ToBuilder();
        foreach (var type in RecordTypesIn(p.Scope))
        {
            grants[(p.Grantee, type)] = new AccessGrantInfo(sender, p.Grantee, type, p.ExpiresAtMs, _ctx.Height);
        }

        _grants[sender] = grants.ToImmutable();
        _dGrants.Add(sender);
        return ValidationResult.Ok;
    }

    // Revoking removes exactly the named types' grants; the others keep their own expiry. Naming no type that has a grant
    // (expired or not) is refused, so a revoke always changes the state.
    private ValidationResult ApplyAccessRevoke(Address sender, AccessRevoke p)
    {
        var existing = GetGrants(sender);
        var grants = existing?.ToBuilder();
        var removed = 0;
        foreach (var type in RecordTypesIn(p.Scope))
        {
            removed += grants is not null && grants.Remove((p.Grantee, type)) ? 1 : 0;
        }

        if (removed == 0)
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"no grant from {sender} to {p.Grantee} for scope 0x{(byte)p.Scope:x2}");
        }

        // An empty map stays in the overlay (it hides the base's grants of this patient); it is "no grants" to every reader.
        _grants[sender] = grants!.ToImmutable();
        _dGrants.Add(sender);

        return ValidationResult.Ok;
    }

    private static IEnumerable<RecordType> RecordTypesIn(RecordScope scope) =>
        Enum.GetValues<RecordType>().Where(type => scope.Covers(type));

    private ValidationResult ApplyAttestation(Address sender, Attestation p)
    {
        var auth = RequireActiveNode(sender, NodeRoles.Validator, out var node);
        if (!auth.IsValid)
        {
            return auth;
        }

        var previous = _attestations.TryGetValue((sender, p.BlockHeight), out var inOverlay) ? inOverlay : _store.GetAttestation(sender, p.BlockHeight);
        if (previous is { } previousHash)
        {
            return previousHash == p.BlockHash
                ? ValidationResult.Reject(RejectionCode.AlreadyRegistered, $"{sender} already attested height {p.BlockHeight}")
                : ValidationResult.Reject(RejectionCode.ConflictingAttestation, $"{sender} attested {previousHash.ToShortString()} at height {p.BlockHeight} already");
        }

        if (p.BlockHeight >= _ctx.Height || _ctx.AncestorHashAt(p.BlockHeight) != p.BlockHash)
        {
            return ValidationResult.Reject(RejectionCode.UnknownAttestedBlock, $"block {p.BlockHash.ToShortString()} at height {p.BlockHeight} is not an ancestor on this branch", (long)p.BlockHeight, (long)_ctx.Height);
        }

        if (p.SourceHeight >= p.BlockHeight || _ctx.AncestorHashAt(p.SourceHeight) != p.SourceHash)
        {
            return ValidationResult.Reject(RejectionCode.UnknownAttestedBlock, $"source {p.SourceHash.ToShortString()} at height {p.SourceHeight} is not an ancestor of the target on this branch", (long)p.SourceHeight, (long)p.BlockHeight);
        }

        _attestations[(sender, p.BlockHeight)] = p.BlockHash;
        _dAttestations.Add((sender, p.BlockHeight));
        var set = (_attesters.TryGetValue(p.BlockHash, out var inSet) ? inSet : _store.GetAttesters(p.BlockHash)) ?? [];
        _attesters[p.BlockHash] = set.Add(sender);
        _dAttesters.Add(p.BlockHash);
        _nodes[sender] = node! with { Activity = node.Activity with { AttestedHeights = NodeActivity.Push(node.Activity.AttestedHeights, p.BlockHeight) } };
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyEvidence(Address sender, MisbehaviourEvidence p)
    {
        var auth = RequireActiveNode(sender, NodeRoles.None, out _);
        if (!auth.IsValid)
        {
            return auth;
        }

        if (!EvidenceVerifier.TryGetAccused(p, _ctx.ChainId, verifySignatures: false, out var accused, out var error))
        {
            return ValidationResult.Reject(RejectionCode.InvalidEvidence, error);
        }

        if (!_nodes.TryGetValue(accused, out var node))
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"accused {accused} is not a registered node");
        }

        var id = p.EvidenceId;
        if (_store.IsEvidenceUsed(id) || !_usedEvidence.Add(id))
        {
            return ValidationResult.Reject(RejectionCode.DuplicateEvidence, $"evidence {id.ToShortString()} was already used");
        }

        _dEvidence.Add(id);
        _nodes[accused] = node with { Activity = node.Activity with { PenaltyHeights = NodeActivity.Push(node.Activity.PenaltyHeights, _ctx.Height) } };
        return ValidationResult.Ok;
    }

    private ValidationResult ApplyIntrusionReport(Address sender, IntrusionReport p)
    {
        var auth = RequireActiveNode(sender, NodeRoles.Gateway, out _);
        if (!auth.IsValid)
        {
            return auth;
        }

        return GetDevice(p.Device) is not null
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.UnknownEntity, $"device {p.Device} is not registered");
    }

    // A release is judged at its own time against this state: the patient always; a grantee only while its node is
    // not revoked and the grant for the record's type, set at the named height, is unexpired at the release time.
    // The time must be near the block's, so a release cannot be dated back into a grant that has since expired.
    private ValidationResult ApplyKeyRelease(Address sender, KeyRelease p)
    {
        var auth = RequireActiveNode(sender, NodeRoles.None, out _);
        if (!auth.IsValid)
        {
            return auth;
        }

        if (p.ReleasedAtMs < _ctx.TimestampMs - KeyRelease.MaxAgeMs || p.ReleasedAtMs > _ctx.TimestampMs + KeyRelease.MaxAheadMs)
        {
            return ValidationResult.Reject(RejectionCode.FieldOutOfRange, $"release time {p.ReleasedAtMs} is not within [-{KeyRelease.MaxAgeMs}, +{KeyRelease.MaxAheadMs}] ms of block time {_ctx.TimestampMs}", p.ReleasedAtMs, _ctx.TimestampMs);
        }

        if (GetRecord(p.CiphertextHash) is not { } record)
        {
            return ValidationResult.Reject(RejectionCode.UnknownEntity, $"no record {p.CiphertextHash.ToShortString()}");
        }

        if (p.Recipient == record.Patient)
        {
            return p.GrantHeight == 0
                ? ValidationResult.Ok
                : ValidationResult.Reject(RejectionCode.FieldOutOfRange, $"a release to the patient names no grant, got height {p.GrantHeight}", (long)p.GrantHeight, 0);
        }

        if (!_nodes.TryGetValue(p.Recipient, out var recipient) || recipient.Revoked)
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"recipient {p.Recipient} is neither the patient nor an active node");
        }

        var grants = GetGrants(record.Patient);
        if (grants is null || !grants.TryGetValue((p.Recipient, record.RecordType), out var grant))
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"{record.Patient} holds no {record.RecordType} grant to {p.Recipient}");
        }

        if (grant.GrantedAtHeight != p.GrantHeight)
        {
            return ValidationResult.Reject(RejectionCode.NotAuthorized, $"the {record.RecordType} grant to {p.Recipient} was set at height {grant.GrantedAtHeight}, not {p.GrantHeight}", (long)p.GrantHeight, (long)grant.GrantedAtHeight);
        }

        return grant.IsActiveAt(p.ReleasedAtMs)
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.Expired, $"the {record.RecordType} grant to {p.Recipient} expired at {grant.ExpiresAtMs}, before the release at {p.ReleasedAtMs}", p.ReleasedAtMs, grant.ExpiresAtMs);
    }
}

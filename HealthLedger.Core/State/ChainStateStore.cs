using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.State;

/// <summary>The chain state store's marker: the last final block whose state the store holds.</summary>
/// <param name="Height">Its height.</param>
/// <param name="Hash">Its hash.</param>
/// <param name="RecordTotal">Records anchored up to it.</param>
/// <param name="CumulativeWork">Its cumulative work.</param>
/// <param name="StoredBlocks">
/// How many blocks the block store held when the state was written: every block whose votes made this block final is
/// among them, so a block store holding fewer (it lost its tail) may no longer support this finality.
/// </param>
internal sealed record ChainStateMarker(ulong Height, Hash256 Hash, long RecordTotal, BigInteger CumulativeWork, long StoredBlocks);

/// <summary>The chain state store holds keys that are not its own, another genesis or another format.</summary>
public sealed class ChainStateMismatchException(string message) : IOException(message);

/// <summary>
/// The world state after the last final block, in an <see cref="IKeyValueStore"/> (docs/storage.md, "Chain state"):
/// nodes, patients, devices, grants, records, sequences, attestations, attesters and used evidence, plus the final best
/// chain's block index (height → hash, work and header; hash → height). Written in one atomic batch per finality
/// advance together with the marker, so after a crash the store is exactly the state after some final block.
/// Single writer (the chain, under its lock); reads from any thread.
/// </summary>
internal sealed class ChainStateStore : ILedgerStateBase, IBestChainArchive
{
    public const uint FormatVersion = 1;

    private const byte Meta = 0x30;
    private const byte NodeTag = 0x31;
    private const byte PatientTag = 0x32;
    private const byte DeviceTag = 0x33;
    private const byte GrantTag = 0x34;
    private const byte RecordTag = 0x35;
    private const byte SequenceTag = 0x36;
    private const byte AttestationTag = 0x37;
    private const byte AttesterTag = 0x38;
    private const byte EvidenceTag = 0x39;
    private const byte BestTag = 0x3A;
    private const byte HeightTag = 0x3B;
    private const byte EndOfTables = 0x3C;

    private static readonly byte[] VersionKey = [Meta, (byte)'v'];
    private static readonly byte[] GenesisKey = [Meta, (byte)'g'];
    private static readonly byte[] MarkerKey = [Meta, (byte)'m'];
    private static readonly byte[] JustifiedKey = [Meta, (byte)'j'];
    private static readonly byte[] WipingKey = [Meta, (byte)'r'];

    private readonly IKeyValueStore _kv;
    private readonly Hash256 _genesisHash;
    private ImmutableSortedDictionary<Address, NodeInfo> _flushedNodes = ImmutableSortedDictionary<Address, NodeInfo>.Empty;

    private ChainStateStore(IKeyValueStore kv, Hash256 genesisHash)
    {
        _kv = kv;
        _genesisHash = genesisHash;
    }

    /// <summary>The marker read at open or written by the last flush; null for an empty store.</summary>
    public ChainStateMarker? Marker { get; private set; }

    /// <summary>Turns a stored block hash into its block (set by the chain: reads the block store).</summary>
    public Func<Hash256, Block>? BodyLoader { get; set; }

    /// <summary>The state loaded entries report (the state after the last final block).</summary>
    public Func<LedgerState>? FinalState { get; set; }

    /// <summary>Resolves a header-only entry's parent (set by the chain).</summary>
    public Func<ChainEntry, ChainEntry?>? ParentResolver { get; set; }

    /// <summary>Opens the store, refusing another genesis, format or foreign keys; finishes a wipe a crash interrupted.</summary>
    public static ChainStateStore Open(IKeyValueStore kv, Hash256 genesisHash)
    {
        ArgumentNullException.ThrowIfNull(kv);
        var store = new ChainStateStore(kv, genesisHash);
        var version = kv.Get(VersionKey);
        if (version is null)
        {
            using (var e = kv.Scan([0x00], [0xFF, 0xFF]).GetEnumerator())
            {
                if (e.MoveNext())
                {
                    throw new ChainStateMismatchException("The chain state store holds other keys (is it another store's directory?).");
                }
            }

            store.WriteHeader();
            return store;
        }

        if (version.Length != 4 || BinaryPrimitives.ReadUInt32BigEndian(version) != FormatVersion)
        {
            throw new ChainStateMismatchException($"The chain state store has format {Convert.ToHexString(version)}, expected {FormatVersion}.");
        }

        if (kv.Get(GenesisKey) is not { Length: Hash256.Length } g || new Hash256(g) != genesisHash)
        {
            throw new ChainStateMismatchException($"The chain state store belongs to another genesis than {genesisHash}.");
        }

        if (kv.Get(WipingKey) is not null)
        {
            store.Wipe();
        }

        store.Marker = kv.Get(MarkerKey) is { } m ? DecodeMarker(m) : null;
        return store;
    }

    /// <summary>The justified blocks at or below the marker that may still serve as a vote's source (height, hash).</summary>
    public IReadOnlyList<(ulong Height, Hash256 Hash)> ReadJustified()
    {
        var value = _kv.Get(JustifiedKey);
        if (value is null)
        {
            return [];
        }

        var count = value.Length >= 4 ? BinaryPrimitives.ReadInt32BigEndian(value) : -1;
        if (count < 0 || value.Length != 4 + count * 40)
        {
            throw Corrupt("justified list");
        }

        var list = new List<(ulong, Hash256)>(count);
        for (var i = 0; i < count; i++)
        {
            var at = value.AsSpan(4 + i * 40);
            list.Add((BinaryPrimitives.ReadUInt64BigEndian(at), new Hash256(at.Slice(8, 32))));
        }

        return list;
    }

    /// <summary>Every node (a small set, held whole in memory by the states).</summary>
    public ImmutableSortedDictionary<Address, NodeInfo> LoadNodes()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<Address, NodeInfo>();
        foreach (var kv in _kv.ScanPrefix([NodeTag]))
        {
            var node = DecodeNode(kv.Value);
            builder[node.Id] = node;
        }

        _flushedNodes = builder.ToImmutable();
        return _flushedNodes;
    }

    /// <summary>
    /// Writes the state after <paramref name="final"/> (its state's overlay, whose base is this store) and the final best
    /// chain from the marker up to it, in one batch with the new marker and justified list.
    /// </summary>
    public void Flush(ChainEntry final, IReadOnlyList<ChainEntry> newlyFinal, IEnumerable<(ulong Height, Hash256 Hash)> justified, long storedBlocks)
    {
        var state = final.State;
        var batch = new KeyValueBatch();
        foreach (var (id, node) in state.NodesById)
        {
            if (!_flushedNodes.TryGetValue(id, out var old) || !ReferenceEquals(old, node))
            {
                batch.Put(Key(NodeTag, Address.AsSpan(in id)), EncodeNode(node));
            }
        }

        foreach (var (id, p) in state.Patients)
        {
            batch.Put(Key(PatientTag, Address.AsSpan(in id)), EncodePatient(p));
        }

        foreach (var (id, d) in state.Devices)
        {
            batch.Put(Key(DeviceTag, Address.AsSpan(in id)), EncodeDevice(d));
        }

        foreach (var (patient, grants) in state.Grants)
        {
            foreach (var old in _kv.ScanPrefix(Key(GrantTag, Address.AsSpan(in patient))))
            {
                batch.Delete(old.Key);
            }

            foreach (var g in grants.Values)
            {
                batch.Put(GrantKey(g.Patient, g.Grantee, g.RecordType), IndexLayout.EncodeGrant(g.ExpiresAtMs, g.GrantedAtHeight));
            }
        }

        foreach (var (hash, r) in state.Records)
        {
            batch.Put(Key(RecordTag, Hash256.AsSpan(in hash)), IndexLayout.EncodeRecord(r));
        }

        foreach (var (sender, next) in state.Sequences)
        {
            batch.Put(Key(SequenceTag, Address.AsSpan(in sender)), U64(next));
        }

        foreach (var ((node, height), hash) in state.Attestations)
        {
            batch.Put(AttestationKey(node, height), hash.ToArray());
        }

        foreach (var (hash, set) in state.Attesters)
        {
            foreach (var a in set)
            {
                batch.Put(Concat(Key(AttesterTag, Hash256.AsSpan(in hash)), Address.AsSpan(in a)), []);
            }
        }

        foreach (var id in state.UsedEvidence)
        {
            batch.Put(Key(EvidenceTag, Hash256.AsSpan(in id)), []);
        }

        foreach (var e in newlyFinal)
        {
            var header = HeaderCodec.Encode(e.Header);
            var work = e.CumulativeWork.ToByteArray(isUnsigned: true, isBigEndian: true);
            var value = new byte[Hash256.Length + 1 + work.Length + header.Length];
            e.Hash.WriteTo(value);
            value[32] = (byte)work.Length;
            work.CopyTo(value, 33);
            header.CopyTo(value, 33 + work.Length);
            batch.Put(Key(BestTag, U64(e.Height)), value);
            batch.Put(Key(HeightTag, e.Hash.ToArray()), U64(e.Height));
        }

        var marker = new ChainStateMarker(final.Height, final.Hash, state.RecordTotal, final.CumulativeWork, storedBlocks);
        batch.Put(MarkerKey, EncodeMarker(marker));
        var list = justified.ToList();
        var j = new byte[4 + list.Count * 40];
        BinaryPrimitives.WriteInt32BigEndian(j, list.Count);
        for (var i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(j.AsSpan(4 + i * 40), list[i].Height);
            list[i].Hash.WriteTo(j.AsSpan(12 + i * 40));
        }

        batch.Put(JustifiedKey, j);
        _kv.Write(batch);
        _flushedNodes = state.NodesById;
        Marker = marker;
    }

    /// <summary>Deletes the whole state (a state ahead of the block store is rebuilt from genesis); crash-safe: an interrupted wipe is finished on the next open.</summary>
    public void Wipe()
    {
        _kv.Write(new KeyValueBatch().Put(WipingKey, [1]).Delete(MarkerKey).Delete(JustifiedKey));
        var start = new byte[] { NodeTag };
        var end = new byte[] { EndOfTables };
        while (true)
        {
            var batch = new KeyValueBatch();
            byte[]? last = null;
            foreach (var kv in _kv.Scan(start, end))
            {
                batch.Delete(kv.Key);
                last = kv.Key;
                if (batch.Count >= 10_000)
                {
                    break;
                }
            }

            if (last is null)
            {
                break;
            }

            _kv.Write(batch);
            start = Concat(last, [0]);
        }

        _kv.Write(new KeyValueBatch().Delete(WipingKey));
        Marker = null;
        _flushedNodes = ImmutableSortedDictionary<Address, NodeInfo>.Empty;
    }

    // ILedgerStateBase

    public PatientInfo? GetPatient(Address id) => _kv.Get(Key(PatientTag, Address.AsSpan(in id))) is { } v ? DecodePatient(id, v) : null;

    public DeviceInfo? GetDevice(Address id) => _kv.Get(Key(DeviceTag, Address.AsSpan(in id))) is { } v ? DecodeDevice(id, v) : null;

    public ImmutableSortedDictionary<(Address Grantee, RecordType RecordType), AccessGrantInfo>? GetGrants(Address patient)
    {
        ImmutableSortedDictionary<(Address, RecordType), AccessGrantInfo>.Builder? builder = null;
        foreach (var kv in _kv.ScanPrefix(Key(GrantTag, Address.AsSpan(in patient))))
        {
            if (kv.Key.Length != 1 + 20 + 20 + 1)
            {
                throw Corrupt("grant key");
            }

            var grantee = new Address(kv.Key.AsSpan(21, 20));
            var type = (RecordType)kv.Key[41];
            var (expires, height) = IndexLayout.DecodeGrant(kv.Value);
            builder ??= ImmutableSortedDictionary.CreateBuilder<(Address, RecordType), AccessGrantInfo>();
            builder[(grantee, type)] = new AccessGrantInfo(patient, grantee, type, expires, height);
        }

        return builder?.ToImmutable();
    }

    public RecordInfo? GetRecord(Hash256 ciphertextHash) =>
        _kv.Get(Key(RecordTag, Hash256.AsSpan(in ciphertextHash))) is { } v ? IndexLayout.DecodeRecord(ciphertextHash, v) : null;

    public ulong? GetSequence(Address sender) =>
        _kv.Get(Key(SequenceTag, Address.AsSpan(in sender))) is { } v ? ReadU64(v, "sequence") : null;

    public Hash256? GetAttestation(Address node, ulong height) =>
        _kv.Get(AttestationKey(node, height)) is { } v ? (v.Length == Hash256.Length ? new Hash256(v) : throw Corrupt("attestation")) : null;

    public ImmutableHashSet<Address>? GetAttesters(Hash256 blockHash)
    {
        ImmutableHashSet<Address>.Builder? builder = null;
        foreach (var kv in _kv.ScanPrefix(Key(AttesterTag, Hash256.AsSpan(in blockHash))))
        {
            builder ??= ImmutableHashSet.CreateBuilder<Address>();
            builder.Add(new Address(kv.Key.AsSpan(1 + Hash256.Length)));
        }

        return builder?.ToImmutable();
    }

    public bool IsEvidenceUsed(Hash256 evidenceId) => _kv.Get(Key(EvidenceTag, Hash256.AsSpan(in evidenceId))) is not null;

    public IEnumerable<RecordInfo> Records =>
        _kv.ScanPrefix([RecordTag]).Select(kv => IndexLayout.DecodeRecord(new Hash256(kv.Key.AsSpan(1)), kv.Value));

    // IBestChainArchive

    public Hash256? HashAt(ulong height) =>
        _kv.Get(Key(BestTag, U64(height))) is { Length: >= Hash256.Length } v ? new Hash256(v.AsSpan(0, Hash256.Length)) : null;

    public ulong? HeightOf(Hash256 hash) => _kv.Get(Key(HeightTag, Hash256.AsSpan(in hash))) is { } v ? ReadU64(v, "height") : null;

    public ChainEntry? Load(ulong height)
    {
        var (header, work) = ReadBest(height);
        return header is null ? null : new ChainEntry(header, null, work, FinalState!(), BodyLoader!, ParentResolver);
    }

    /// <summary>The stored header and cumulative work of the final best-chain block at <paramref name="height"/>.</summary>
    public (BlockHeader? Header, BigInteger Work) ReadBest(ulong height)
    {
        if (_kv.Get(Key(BestTag, U64(height))) is not { } v)
        {
            return (null, BigInteger.Zero);
        }

        if (v.Length < 33 || v.Length < 33 + v[32])
        {
            throw Corrupt($"best-chain entry at {height}");
        }

        var work = new BigInteger(v.AsSpan(33, v[32]), isUnsigned: true, isBigEndian: true);
        var header = HeaderCodec.Decode(v.AsMemory(33 + v[32]));
        if (header.Height != height || header.Hash != new Hash256(v.AsSpan(0, 32)))
        {
            throw Corrupt($"best-chain entry at {height}");
        }

        return (header, work);
    }

    // Layouts (big-endian integers; docs/storage.md, "Chain state").

    private void WriteHeader()
    {
        var version = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(version, FormatVersion);
        _kv.Write(new KeyValueBatch().Put(VersionKey, version).Put(GenesisKey, _genesisHash.ToArray()));
    }

    private static byte[] Key(byte tag, ReadOnlySpan<byte> rest)
    {
        var key = new byte[1 + rest.Length];
        key[0] = tag;
        rest.CopyTo(key.AsSpan(1));
        return key;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }

    private static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, v);
        return b;
    }

    private static ulong ReadU64(byte[] v, string what) => v.Length == 8 ? BinaryPrimitives.ReadUInt64BigEndian(v) : throw Corrupt(what);

    private static byte[] GrantKey(Address patient, Address grantee, RecordType type)
    {
        var key = new byte[42];
        key[0] = GrantTag;
        patient.WriteTo(key.AsSpan(1));
        grantee.WriteTo(key.AsSpan(21));
        key[41] = (byte)type;
        return key;
    }

    private static byte[] AttestationKey(Address node, ulong height)
    {
        var key = new byte[29];
        key[0] = AttestationTag;
        node.WriteTo(key.AsSpan(1));
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(21), height);
        return key;
    }

    private static ChainStateMismatchException Corrupt(string what) => new($"The chain state store is damaged: bad {what}.");

    private static byte[] EncodeMarker(ChainStateMarker m)
    {
        var work = m.CumulativeWork.ToByteArray(isUnsigned: true, isBigEndian: true);
        var v = new byte[8 + 32 + 8 + 8 + 1 + work.Length];
        BinaryPrimitives.WriteUInt64BigEndian(v, m.Height);
        m.Hash.WriteTo(v.AsSpan(8));
        BinaryPrimitives.WriteInt64BigEndian(v.AsSpan(40), m.RecordTotal);
        BinaryPrimitives.WriteInt64BigEndian(v.AsSpan(48), m.StoredBlocks);
        v[56] = (byte)work.Length;
        work.CopyTo(v, 57);
        return v;
    }

    private static ChainStateMarker DecodeMarker(byte[] v)
    {
        if (v.Length < 57 || v.Length != 57 + v[56])
        {
            throw Corrupt("marker");
        }

        return new ChainStateMarker(
            BinaryPrimitives.ReadUInt64BigEndian(v),
            new Hash256(v.AsSpan(8, 32)),
            BinaryPrimitives.ReadInt64BigEndian(v.AsSpan(40)),
            new BigInteger(v.AsSpan(57), isUnsigned: true, isBigEndian: true),
            BinaryPrimitives.ReadInt64BigEndian(v.AsSpan(48)));
    }

    // Node: key (32) ‖ roles (1) ‖ registered at (8) ‖ revoked (1) ‖ name length (u16) ‖ name (UTF-8)
    // ‖ 3 × (count (u16) ‖ heights (8 each)): mined, attested, penalties.
    private static byte[] EncodeNode(NodeInfo n)
    {
        var name = System.Text.Encoding.UTF8.GetBytes(n.Name);
        var lists = new[] { n.Activity.MinedHeights, n.Activity.AttestedHeights, n.Activity.PenaltyHeights };
        var v = new byte[32 + 1 + 8 + 1 + 2 + name.Length + lists.Sum(l => 2 + 8 * (l.IsDefault ? 0 : l.Length))];
        var s = v.AsSpan();
        n.Key.WriteTo(s);
        s[32] = (byte)n.Roles;
        BinaryPrimitives.WriteUInt64BigEndian(s[33..], n.RegisteredAtHeight);
        s[41] = n.Revoked ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(s[42..], (ushort)name.Length);
        name.CopyTo(s[44..]);
        var at = 44 + name.Length;
        foreach (var l in lists)
        {
            var items = l.IsDefault ? [] : l.AsSpan();
            BinaryPrimitives.WriteUInt16BigEndian(s[at..], (ushort)items.Length);
            at += 2;
            foreach (var h in items)
            {
                BinaryPrimitives.WriteUInt64BigEndian(s[at..], h);
                at += 8;
            }
        }

        return v;
    }

    private static NodeInfo DecodeNode(byte[] v)
    {
        var s = v.AsSpan();
        if (s.Length < 44 || s.Length < 44 + BinaryPrimitives.ReadUInt16BigEndian(s[42..]))
        {
            throw Corrupt("node");
        }

        var key = new PublicKey(s[..32]);
        var nameLength = BinaryPrimitives.ReadUInt16BigEndian(s[42..]);
        var name = System.Text.Encoding.UTF8.GetString(s.Slice(44, nameLength));
        var at = 44 + nameLength;
        var lists = new ImmutableArray<ulong>[3];
        for (var i = 0; i < 3; i++)
        {
            if (s.Length < at + 2)
            {
                throw Corrupt("node");
            }

            var count = BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
            at += 2;
            if (count > NodeActivity.Window || s.Length < at + 8 * count)
            {
                throw Corrupt("node");
            }

            var b = ImmutableArray.CreateBuilder<ulong>(count);
            for (var k = 0; k < count; k++, at += 8)
            {
                b.Add(BinaryPrimitives.ReadUInt64BigEndian(s[at..]));
            }

            lists[i] = b.MoveToImmutable();
        }

        if (at != s.Length)
        {
            throw Corrupt("node");
        }

        return new NodeInfo(key.ToAddress(), key, (NodeRoles)s[32], name, BinaryPrimitives.ReadUInt64BigEndian(s[33..]), s[41] != 0, new NodeActivity(lists[0], lists[1], lists[2]));
    }

    // Patient: key (32) ‖ pseudonym commitment (32) ‖ registered at (8).
    private static byte[] EncodePatient(PatientInfo p)
    {
        var v = new byte[72];
        p.Key.WriteTo(v);
        p.PseudonymCommitment.WriteTo(v.AsSpan(32));
        BinaryPrimitives.WriteUInt64BigEndian(v.AsSpan(64), p.RegisteredAtHeight);
        return v;
    }

    private static PatientInfo DecodePatient(Address id, byte[] v) =>
        v.Length == 72
            ? new PatientInfo(id, new PublicKey(v.AsSpan(0, 32)), new Hash256(v.AsSpan(32, 32)), BinaryPrimitives.ReadUInt64BigEndian(v.AsSpan(64)))
            : throw Corrupt("patient");

    // Device: key (32) ‖ patient (20) ‖ provider (20) ‖ class (1) ‖ registered at (8) ‖ revoked (1).
    private static byte[] EncodeDevice(DeviceInfo d)
    {
        var v = new byte[82];
        d.Key.WriteTo(v);
        d.Patient.WriteTo(v.AsSpan(32));
        d.Provider.WriteTo(v.AsSpan(52));
        v[72] = (byte)d.DeviceClass;
        BinaryPrimitives.WriteUInt64BigEndian(v.AsSpan(73), d.RegisteredAtHeight);
        v[81] = d.Revoked ? (byte)1 : (byte)0;
        return v;
    }

    private static DeviceInfo DecodeDevice(Address id, byte[] v) =>
        v.Length == 82
            ? new DeviceInfo(id, new PublicKey(v.AsSpan(0, 32)), new Address(v.AsSpan(32, 20)), new Address(v.AsSpan(52, 20)), (DeviceClass)v[72], BinaryPrimitives.ReadUInt64BigEndian(v.AsSpan(73)), v[81] != 0)
            : throw Corrupt("device");
}

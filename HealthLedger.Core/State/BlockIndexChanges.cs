using System.Buffers.Binary;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.State;

/// <summary>
/// Works out what one block changes in the index, with the state rules of <see cref="LedgerStateBuilder"/>: later
/// transactions of the block see the writes of earlier ones, and the value each touched key had before the block is
/// kept as undo data. Only blocks the chain accepted are given to it, so every transaction applies.
/// </summary>
internal sealed class BlockIndexChanges
{
    private readonly IKeyValueReader _before;
    private readonly Dictionary<byte[], byte[]?> _after = new(ByteEquality.Instance);
    private readonly Dictionary<byte[], byte[]?> _original = new(ByteEquality.Instance);
    private readonly List<byte[]> _order = [];

    private BlockIndexChanges(IKeyValueReader before) => _before = before;

    /// <summary>The keys touched, in first-touch order, with their value after the block (null: deleted).</summary>
    public IEnumerable<(byte[] Key, byte[]? Value)> Writes => _order.Select(k => (k, _after[k]));

    /// <summary>The keys touched with their value before the block (null: absent).</summary>
    public IEnumerable<(byte[] Key, byte[]? Value)> Originals => _order.Select(k => (k, _original[k]));

    public static BlockIndexChanges Of(Block block, IKeyValueReader before)
    {
        var changes = new BlockIndexChanges(before);
        var height = block.Header.Height;
        for (var index = 0; index < block.Transactions.Count; index++)
        {
            var tx = block.Transactions[index];
            changes.PutNew(IndexLayout.TransactionKey(tx.Id), IndexLayout.EncodeTransactionLocation(height, index));
            switch (tx.Payload)
            {
                case DeviceRegistration p:
                    changes.PutNew(IndexLayout.DeviceKey(p.DeviceKey.ToAddress()), Address.AsSpan(p.Patient).ToArray());
                    break;
                case RecordAnchor p:
                    changes.AddRecord(tx, p, height);
                    break;
                case AccessGrant p:
                    foreach (var type in RecordTypesIn(p.Scope))
                    {
                        var value = IndexLayout.EncodeGrant(p.ExpiresAtMs, height);
                        changes.Put(IndexLayout.GrantKey(IndexLayout.GrantByPatient, tx.SenderAddress, p.Grantee, type), value);
                        changes.Put(IndexLayout.GrantKey(IndexLayout.GrantByProvider, p.Grantee, tx.SenderAddress, type), value);
                    }

                    break;
                case AccessRevoke p:
                    foreach (var type in RecordTypesIn(p.Scope))
                    {
                        changes.Delete(IndexLayout.GrantKey(IndexLayout.GrantByPatient, tx.SenderAddress, p.Grantee, type));
                        changes.Delete(IndexLayout.GrantKey(IndexLayout.GrantByProvider, p.Grantee, tx.SenderAddress, type));
                    }

                    break;
                case KeyRelease p:
                    changes.AddRelease(tx, p, height, index);
                    break;
            }
        }

        return changes;
    }

    private void AddRelease(Transaction tx, KeyRelease p, ulong height, int index)
    {
        var value = Get(IndexLayout.RecordKey(p.CiphertextHash))
            ?? throw new LedgerIndexCorruptedException($"release at height {height} names record {p.CiphertextHash.ToShortString()}, which the index does not know");
        var record = IndexLayout.DecodeRecord(p.CiphertextHash, value);
        var release = new KeyReleaseInfo(record.Patient, p.Recipient, tx.SenderAddress, p.CiphertextHash, record.RecordType, p.ReleasedAtMs, p.GrantHeight, p.RequestId, height, tx.Id);
        PutNew(IndexLayout.ReleaseKey(record.Patient, height, index), IndexLayout.EncodeRelease(release));
    }

    private void AddRecord(Transaction tx, RecordAnchor p, ulong height)
    {
        var device = tx.SenderAddress;
        var patientBytes = Get(IndexLayout.DeviceKey(device))
            ?? throw new LedgerIndexCorruptedException($"record {p.CiphertextHash.ToShortString()} at height {height} comes from device {device}, which the index does not know");
        if (patientBytes.Length != Address.Length)
        {
            throw new LedgerIndexCorruptedException($"device {device}: patient of {patientBytes.Length} bytes");
        }

        var patient = new Address(patientBytes);
        var record = new RecordInfo(p.CiphertextHash, p.ContentAddress, patient, device, p.RecordType, p.MeasuredAtMs, height, tx.Id);
        PutNew(IndexLayout.RecordKey(p.CiphertextHash), IndexLayout.EncodeRecord(record));
        PutNew(IndexLayout.OwnedRecordKey(IndexLayout.RecordByPatient, patient, p.MeasuredAtMs, p.CiphertextHash), []);
        PutNew(IndexLayout.OwnedRecordKey(IndexLayout.RecordByDevice, device, p.MeasuredAtMs, p.CiphertextHash), []);
        PutNew(IndexLayout.TimeRecordKey(p.MeasuredAtMs, p.CiphertextHash), []);
        PutNew(IndexLayout.PatientTypeRecordKey(patient, p.RecordType, p.MeasuredAtMs, p.CiphertextHash), []);
    }

    private byte[]? Get(byte[] key) => _after.TryGetValue(key, out var value) ? value : _before.Get(key);

    private void Put(byte[] key, byte[] value) => Touch(key, value);

    private void Delete(byte[] key) => Touch(key, null);

    // A key the state rules make new: a record's keys all hold its ciphertext hash, which can be anchored once, and a
    // device key can be registered once. Its value before the block is "absent" without a read, which keeps indexing a
    // block of anchors free of lookups.
    private void PutNew(byte[] key, byte[] value) => Touch(key, value, knownAbsent: true);

    private void Touch(byte[] key, byte[]? value, bool knownAbsent = false)
    {
        if (!_original.ContainsKey(key))
        {
            _original[key] = knownAbsent ? null : _before.Get(key);
            _order.Add(key);
        }

        _after[key] = value;
    }

    private static IEnumerable<RecordType> RecordTypesIn(RecordScope scope) =>
        Enum.GetValues<RecordType>().Where(type => scope.Covers(type));
}

/// <summary>
/// A block's undo data: its hash, its parent's hash and the value every key it touched had before it. Layout
/// (big-endian): block hash (32) ‖ parent hash (32) ‖ count (u32), then per key: key length (u16) ‖ key ‖
/// present (u8, 0 or 1) ‖ [value length (u32) ‖ value].
/// </summary>
internal sealed record UndoRecord(Hash256 BlockHash, Hash256 ParentHash, IReadOnlyList<(byte[] Key, byte[]? Value)> Originals)
{
    private const int MaxKeyLength = 256;
    private const int MaxValueLength = 1 << 20;

    public byte[] Encode()
    {
        var size = 68 + Originals.Sum(o => 2 + o.Key.Length + 1 + (o.Value is null ? 0 : 4 + o.Value.Length));
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BlockHash.WriteTo(span);
        ParentHash.WriteTo(span[32..]);
        BinaryPrimitives.WriteUInt32BigEndian(span[64..], (uint)Originals.Count);
        var at = 68;
        foreach (var (key, value) in Originals)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[at..], checked((ushort)key.Length));
            key.CopyTo(span[(at + 2)..]);
            at += 2 + key.Length;
            span[at++] = value is null ? (byte)0 : (byte)1;
            if (value is not null)
            {
                BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)value.Length);
                value.CopyTo(span[(at + 4)..]);
                at += 4 + value.Length;
            }
        }

        return bytes;
    }

    public static UndoRecord Decode(ulong height, ReadOnlySpan<byte> bytes)
    {
        LedgerIndexCorruptedException Bad(string what) => new($"undo data of height {height}: {what}");
        if (bytes.Length < 68)
        {
            throw Bad($"{bytes.Length} bytes, shorter than its header");
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(bytes[64..]);
        if (count > (uint)(bytes.Length - 68) / 3)
        {
            throw Bad($"count {count} cannot fit in {bytes.Length} bytes");
        }

        var originals = new List<(byte[], byte[]?)>((int)count);
        var at = 68;
        for (var i = 0; i < count; i++)
        {
            if (bytes.Length - at < 3)
            {
                throw Bad($"entry {i} truncated");
            }

            int keyLength = BinaryPrimitives.ReadUInt16BigEndian(bytes[at..]);
            if (keyLength == 0 || keyLength > MaxKeyLength || bytes.Length - at - 2 < keyLength + 1)
            {
                throw Bad($"entry {i}: key length {keyLength}");
            }

            var key = bytes.Slice(at + 2, keyLength).ToArray();
            at += 2 + keyLength;
            var present = bytes[at++];
            byte[]? value = null;
            if (present == 1)
            {
                if (bytes.Length - at < 4)
                {
                    throw Bad($"entry {i}: value length truncated");
                }

                var valueLength = BinaryPrimitives.ReadUInt32BigEndian(bytes[at..]);
                if (valueLength > MaxValueLength || valueLength > (uint)(bytes.Length - at - 4))
                {
                    throw Bad($"entry {i}: value length {valueLength}");
                }

                value = bytes.Slice(at + 4, (int)valueLength).ToArray();
                at += 4 + (int)valueLength;
            }
            else if (present != 0)
            {
                throw Bad($"entry {i}: presence flag {present}");
            }

            originals.Add((key, value));
        }

        if (at != bytes.Length)
        {
            throw Bad($"{bytes.Length - at} trailing bytes");
        }

        return new UndoRecord(new Hash256(bytes[..32]), new Hash256(bytes[32..64]), originals);
    }
}

/// <summary>Equality of byte arrays by content.</summary>
internal sealed class ByteEquality : IEqualityComparer<byte[]>
{
    public static readonly ByteEquality Instance = new();

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var hash = new HashCode();
        hash.AddBytes(obj);
        return hash.ToHashCode();
    }
}

using System.Buffers.Binary;
using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.State;

/// <summary>
/// The hand-written, fixed big-endian key and value layouts of the ledger index (docs/storage.md, "Ledger index").
/// Every key starts with a one-byte table tag; integers are big-endian so byte order is numeric order, and signed
/// times have their sign bit flipped so that negative times sort before positive ones.
/// </summary>
internal static class IndexLayout
{
    public const uint FormatVersion = 2;

    public const byte Meta = 0x00;
    public const byte Record = 0x01;
    public const byte RecordByPatient = 0x02;
    public const byte RecordByDevice = 0x03;
    public const byte RecordByTime = 0x04;
    public const byte GrantByPatient = 0x05;
    public const byte GrantByProvider = 0x06;
    public const byte DevicePatient = 0x07;
    public const byte Undo = 0x08;
    public const byte RecordByPatientType = 0x09;
    public const byte ReleaseByPatient = 0x0A;
    public const byte TransactionById = 0x0B;

    /// <summary>One past the last table tag: every index key is below this single byte.</summary>
    public const byte EndOfTables = 0x0C;

    public const int TimeLength = 8;
    public const int RecordPositionLength = TimeLength + Hash256.Length;           // measuredAt ‖ ciphertext hash
    public const int GrantPositionLength = Address.Length + 1;                      // other party ‖ record type
    public const int RecordFixedLength = Address.Length * 2 + 1 + 8 + 8 + Hash256.Length + 1;
    public const int GrantValueLength = 16;
    public const int TipLength = 8 + Hash256.Length;
    public const int ReleasePositionLength = 8 + 4;                                  // height ‖ index in block
    public const int TransactionValueLength = 8 + 4;                                  // height ‖ index in block
    public const int ReleaseValueLength = Address.Length * 2 + Hash256.Length * 3 + 1 + 8 + 8;

    public static readonly byte[] VersionKey = [Meta, (byte)'v'];
    public static readonly byte[] GenesisKey = [Meta, (byte)'g'];
    public static readonly byte[] TipKey = [Meta, (byte)'t'];
    public static readonly byte[] RebuildingKey = [Meta, (byte)'r'];

    public static byte[] EncodeVersion()
    {
        var value = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(value, FormatVersion);
        return value;
    }

    public static void WriteTime(Span<byte> destination, long ms) =>
        BinaryPrimitives.WriteUInt64BigEndian(destination, unchecked((ulong)ms ^ 0x8000_0000_0000_0000UL));

    public static long ReadTime(ReadOnlySpan<byte> source) =>
        unchecked((long)(BinaryPrimitives.ReadUInt64BigEndian(source) ^ 0x8000_0000_0000_0000UL));

    public static byte[] EncodeTimeOf(RecordInfo record)
    {
        var time = new byte[TimeLength];
        WriteTime(time, record.MeasuredAtMs);
        return time;
    }

    public static byte[] RecordKey(in Hash256 ciphertextHash)
    {
        var key = new byte[1 + Hash256.Length];
        key[0] = Record;
        ciphertextHash.WriteTo(key.AsSpan(1));
        return key;
    }

    /// <summary>tag ‖ owner (20) ‖ measuredAt (8) ‖ ciphertext hash (32), for the patient and device tables.</summary>
    public static byte[] OwnedRecordKey(byte tag, in Address owner, long measuredAtMs, in Hash256 ciphertextHash)
    {
        var key = new byte[1 + Address.Length + RecordPositionLength];
        key[0] = tag;
        owner.WriteTo(key.AsSpan(1));
        WriteTime(key.AsSpan(1 + Address.Length), measuredAtMs);
        ciphertextHash.WriteTo(key.AsSpan(1 + Address.Length + TimeLength));
        return key;
    }

    /// <summary>tag ‖ patient (20) ‖ record type (1) ‖ measuredAt (8) ‖ ciphertext hash (32).</summary>
    public static byte[] PatientTypeRecordKey(in Address patient, RecordType type, long measuredAtMs, in Hash256 ciphertextHash)
    {
        var key = new byte[1 + Address.Length + 1 + RecordPositionLength];
        key[0] = RecordByPatientType;
        patient.WriteTo(key.AsSpan(1));
        key[1 + Address.Length] = (byte)type;
        WriteTime(key.AsSpan(2 + Address.Length), measuredAtMs);
        ciphertextHash.WriteTo(key.AsSpan(2 + Address.Length + TimeLength));
        return key;
    }

    /// <summary>tag ‖ measuredAt (8) ‖ ciphertext hash (32).</summary>
    public static byte[] TimeRecordKey(long measuredAtMs, in Hash256 ciphertextHash)
    {
        var key = new byte[1 + RecordPositionLength];
        key[0] = RecordByTime;
        WriteTime(key.AsSpan(1), measuredAtMs);
        ciphertextHash.WriteTo(key.AsSpan(1 + TimeLength));
        return key;
    }

    /// <summary>tag ‖ first (20) ‖ second (20) ‖ record type (1): patient then provider, or provider then patient.</summary>
    public static byte[] GrantKey(byte tag, in Address first, in Address second, RecordType type)
    {
        var key = new byte[1 + Address.Length * 2 + 1];
        key[0] = tag;
        first.WriteTo(key.AsSpan(1));
        second.WriteTo(key.AsSpan(1 + Address.Length));
        key[^1] = (byte)type;
        return key;
    }

    /// <summary>tag ‖ transaction id (32) → height (8) ‖ index in block (4): where a transaction is on the best chain.</summary>
    public static byte[] TransactionKey(in Hash256 id)
    {
        var key = new byte[1 + Hash256.Length];
        key[0] = TransactionById;
        id.WriteTo(key.AsSpan(1));
        return key;
    }

    public static byte[] EncodeTransactionLocation(ulong height, int index)
    {
        var value = new byte[TransactionValueLength];
        BinaryPrimitives.WriteUInt64BigEndian(value, height);
        BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(8), checked((uint)index));
        return value;
    }

    public static TransactionLocation DecodeTransactionLocation(in Hash256 id, byte[] value)
    {
        if (value.Length != TransactionValueLength)
        {
            throw new LedgerIndexCorruptedException($"transaction {id.ToShortString()}: location of {value.Length} bytes, expected {TransactionValueLength}");
        }

        return new TransactionLocation(id, BinaryPrimitives.ReadUInt64BigEndian(value), checked((int)BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(8))));
    }

    /// <summary>tag ‖ patient (20) ‖ height (8) ‖ index in block (4): a patient's releases in chain order.</summary>
    public static byte[] ReleaseKey(in Address patient, ulong height, int index)
    {
        var key = new byte[1 + Address.Length + ReleasePositionLength];
        key[0] = ReleaseByPatient;
        patient.WriteTo(key.AsSpan(1));
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1 + Address.Length), height);
        BinaryPrimitives.WriteUInt32BigEndian(key.AsSpan(1 + Address.Length + 8), checked((uint)index));
        return key;
    }

    // Release value: recipient (20) ‖ releaser (20) ‖ ciphertext hash (32) ‖ record type (1) ‖ releasedAt (8, sign-flipped)
    // ‖ grant height (8) ‖ request id (32) ‖ transaction id (32).
    public static byte[] EncodeRelease(KeyReleaseInfo release)
    {
        var value = new byte[ReleaseValueLength];
        var span = value.AsSpan();
        release.Recipient.WriteTo(span);
        release.Releaser.WriteTo(span[20..]);
        release.CiphertextHash.WriteTo(span[40..]);
        span[72] = (byte)release.RecordType;
        WriteTime(span[73..], release.ReleasedAtMs);
        BinaryPrimitives.WriteUInt64BigEndian(span[81..], release.GrantHeight);
        release.RequestId.WriteTo(span[89..]);
        release.TransactionId.WriteTo(span[121..]);
        return value;
    }

    public static KeyReleaseInfo DecodeRelease(in Address patient, ulong height, ReadOnlySpan<byte> value) =>
        value.Length == ReleaseValueLength
            ? new KeyReleaseInfo(
                patient,
                new Address(value[..20]),
                new Address(value[20..40]),
                new Hash256(value[40..72]),
                (RecordType)value[72],
                ReadTime(value[73..]),
                BinaryPrimitives.ReadUInt64BigEndian(value[81..]),
                new Hash256(value[89..121]),
                height,
                new Hash256(value[121..153]))
            : throw new LedgerIndexCorruptedException($"release value of {value.Length} bytes, expected {ReleaseValueLength}");

    public static byte[] DeviceKey(in Address device)
    {
        var key = new byte[1 + Address.Length];
        key[0] = DevicePatient;
        device.WriteTo(key.AsSpan(1));
        return key;
    }

    public static byte[] UndoKey(ulong height)
    {
        var key = new byte[9];
        key[0] = Undo;
        BinaryPrimitives.WriteUInt64BigEndian(key.AsSpan(1), height);
        return key;
    }

    /// <summary>tag ‖ scope (e.g. a patient's address): the prefix of one owner's entries in a table.</summary>
    public static byte[] Prefix(byte tag, ReadOnlySpan<byte> scope)
    {
        var key = new byte[1 + scope.Length];
        key[0] = tag;
        scope.CopyTo(key.AsSpan(1));
        return key;
    }

    public static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var result = new byte[a.Length + b.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        return result;
    }

    /// <summary>The smallest key after every key starting with <paramref name="prefix"/> (the prefix plus one, carried).</summary>
    public static byte[] PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        var end = prefix.ToArray();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] != 0xFF)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        throw new ArgumentException("A prefix of only 0xFF bytes has no end.", nameof(prefix));
    }

    // Record value: patient (20) ‖ device (20) ‖ type (1) ‖ measuredAt (8, sign-flipped) ‖ height (8) ‖ transaction id (32)
    // ‖ content address length (1) ‖ content address (UTF-8, at most 128 bytes).
    public static byte[] EncodeRecord(RecordInfo record)
    {
        var address = System.Text.Encoding.UTF8.GetBytes(record.ContentAddress);
        if (address.Length > TransactionPayload.MaxContentAddressBytes)
        {
            throw new ArgumentException($"content address of {address.Length} bytes exceeds {TransactionPayload.MaxContentAddressBytes}", nameof(record));
        }

        var value = new byte[RecordFixedLength + address.Length];
        var span = value.AsSpan();
        record.Patient.WriteTo(span);
        record.Device.WriteTo(span[20..]);
        span[40] = (byte)record.RecordType;
        WriteTime(span[41..], record.MeasuredAtMs);
        BinaryPrimitives.WriteUInt64BigEndian(span[49..], record.Height);
        record.TransactionId.WriteTo(span[57..]);
        span[89] = (byte)address.Length;
        address.CopyTo(span[90..]);
        return value;
    }

    public static RecordInfo DecodeRecord(in Hash256 ciphertextHash, ReadOnlySpan<byte> value)
    {
        if (value.Length < RecordFixedLength || value[89] != value.Length - RecordFixedLength || value[89] > TransactionPayload.MaxContentAddressBytes)
        {
            throw new LedgerIndexCorruptedException($"record {ciphertextHash.ToShortString()}: value of {value.Length} bytes does not match its layout");
        }

        return new RecordInfo(
            ciphertextHash,
            System.Text.Encoding.UTF8.GetString(value[90..]),
            new Address(value[..20]),
            new Address(value[20..40]),
            (RecordType)value[40],
            ReadTime(value[41..]),
            BinaryPrimitives.ReadUInt64BigEndian(value[49..]),
            new Hash256(value[57..89]));
    }

    // Grant value: expiresAt (8, sign-flipped) ‖ granted at height (8).
    public static byte[] EncodeGrant(long expiresAtMs, ulong grantedAtHeight)
    {
        var value = new byte[GrantValueLength];
        WriteTime(value, expiresAtMs);
        BinaryPrimitives.WriteUInt64BigEndian(value.AsSpan(8), grantedAtHeight);
        return value;
    }

    public static (long ExpiresAtMs, ulong GrantedAtHeight) DecodeGrant(ReadOnlySpan<byte> value) =>
        value.Length == GrantValueLength
            ? (ReadTime(value), BinaryPrimitives.ReadUInt64BigEndian(value[8..]))
            : throw new LedgerIndexCorruptedException($"grant value of {value.Length} bytes, expected {GrantValueLength}");

    public static byte[] EncodeTip(IndexTip tip)
    {
        var value = new byte[TipLength];
        BinaryPrimitives.WriteUInt64BigEndian(value, tip.Height);
        tip.Hash.WriteTo(value.AsSpan(8));
        return value;
    }

    public static IndexTip DecodeTip(ReadOnlySpan<byte> value) =>
        value.Length == TipLength
            ? new IndexTip(BinaryPrimitives.ReadUInt64BigEndian(value), new Hash256(value[8..]))
            : throw new LedgerIndexCorruptedException($"tip marker of {value.Length} bytes, expected {TipLength}");
}

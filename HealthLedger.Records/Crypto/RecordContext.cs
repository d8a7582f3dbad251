using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Records.Crypto;

/// <summary>
/// The facts an on-chain anchor states about a record, bound into its encryption as associated data: a ciphertext
/// moved to another chain, device, patient, type, time or record id does not decrypt.
/// </summary>
/// <param name="ChainId">Chain id.</param>
/// <param name="Device">The device that measured.</param>
/// <param name="Patient">The patient the record is about.</param>
/// <param name="RecordType">Record type.</param>
/// <param name="MeasuredAtMs">Measurement time, Unix milliseconds.</param>
/// <param name="RecordId">A random 128-bit id, fresh per record.</param>
public sealed record RecordContext(uint ChainId, Address Device, Address Patient, RecordType RecordType, long MeasuredAtMs, UInt128 RecordId)
{
    /// <summary>Size of <see cref="WriteTo"/>'s output.</summary>
    public const int EncodedLength = 4 + Address.Length + Address.Length + 1 + 8 + 16;

    /// <summary>Writes the fixed little-endian layout: chain id, device, patient, type, measured-at, record id.</summary>
    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, ChainId);
        Device.WriteTo(destination[4..]);
        Patient.WriteTo(destination[24..]);
        destination[44] = (byte)RecordType;
        BinaryPrimitives.WriteInt64LittleEndian(destination[45..], MeasuredAtMs);
        BinaryPrimitives.WriteUInt128LittleEndian(destination[53..], RecordId);
    }

    /// <summary>Reads the layout <see cref="WriteTo"/> writes.</summary>
    public static RecordContext Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(source),
        new Address(source.Slice(4, Address.Length)),
        new Address(source.Slice(24, Address.Length)),
        (RecordType)source[44],
        BinaryPrimitives.ReadInt64LittleEndian(source[45..]),
        BinaryPrimitives.ReadUInt128LittleEndian(source[53..]));

    /// <summary>The associated data: a domain string and the layout.</summary>
    internal byte[] AssociatedData(ReadOnlySpan<byte> domain)
    {
        var ad = new byte[domain.Length + EncodedLength];
        domain.CopyTo(ad);
        WriteTo(ad.AsSpan(domain.Length));
        return ad;
    }
}

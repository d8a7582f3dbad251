using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records.Content;
using HealthLedger.Records.Crypto;

namespace HealthLedger.Records;

/// <summary>What the chain says about a record: an accepted <see cref="RecordAnchor"/> and the device's registration.</summary>
/// <param name="ChainId">Chain id.</param>
/// <param name="ContentAddress">The anchored content address, as untrusted text.</param>
/// <param name="CiphertextHash">SHA-256 of the stored envelope.</param>
/// <param name="Patient">The patient the device is registered to.</param>
/// <param name="Device">The device that sent the anchor.</param>
/// <param name="RecordType">Record type.</param>
/// <param name="MeasuredAtMs">Measurement time, Unix milliseconds.</param>
public sealed record AnchoredRecord(uint ChainId, string ContentAddress, Hash256 CiphertextHash, Address Patient, Address Device, RecordType RecordType, long MeasuredAtMs)
{
    /// <summary>True when an envelope's bound context states the same facts (its record id is not on-chain).</summary>
    public bool Matches(RecordContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.ChainId == ChainId && context.Device == Device && context.Patient == Patient
            && context.RecordType == RecordType && context.MeasuredAtMs == MeasuredAtMs;
    }
}

/// <summary>The result of an ingestion: everything a <see cref="RecordAnchor"/> needs, and the bound context.</summary>
/// <param name="ContentAddress">The CID the envelope is stored and pinned under.</param>
/// <param name="CiphertextHash">SHA-256 of the envelope bytes.</param>
/// <param name="Context">The facts bound into the encryption (chain, device, patient, type, time, record id).</param>
/// <param name="EnvelopeBytes">Size of the stored envelope.</param>
public sealed record IngestedRecord(Cid ContentAddress, Hash256 CiphertextHash, RecordContext Context, int EnvelopeBytes)
{
    /// <summary>Record type.</summary>
    public RecordType RecordType => Context.RecordType;

    /// <summary>Measurement time, Unix milliseconds.</summary>
    public long MeasuredAtMs => Context.MeasuredAtMs;

    /// <summary>The payload of the device's anchoring transaction.</summary>
    public RecordAnchor ToAnchor() => new(ContentAddress.ToString(), CiphertextHash, RecordType, MeasuredAtMs);

    /// <summary>The record as the chain will describe it once anchored.</summary>
    public AnchoredRecord ToAnchoredRecord() =>
        new(Context.ChainId, ContentAddress.ToString(), CiphertextHash, Context.Patient, Context.Device, Context.RecordType, Context.MeasuredAtMs);
}

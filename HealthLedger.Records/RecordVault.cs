using System.Security.Cryptography;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records.Content;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;
using Hl7.Fhir.Model;
using Address = HealthLedger.Core.Crypto.Address;

namespace HealthLedger.Records;

/// <summary>A record to ingest.</summary>
/// <param name="Device">The measuring device.</param>
/// <param name="Patient">The patient's Ed25519 identity (as registered on-chain); the record key is wrapped to its X25519 image (<see cref="IdentityEncryptionKeys"/>).</param>
/// <param name="RecordType">Record type.</param>
/// <param name="MeasuredAt">Measurement time (kept to the millisecond).</param>
/// <param name="Bundle">The FHIR payload.</param>
public sealed record RecordSubmission(Address Device, PublicKey Patient, RecordType RecordType, DateTimeOffset MeasuredAt, Bundle Bundle);

/// <summary>A record sealed in memory, not yet stored: what its anchor will say, and the envelope bytes.</summary>
/// <param name="Record">The CID, ciphertext hash and bound context.</param>
/// <param name="Envelope">The envelope bytes to store.</param>
public sealed record SealedRecord(IngestedRecord Record, ReadOnlyMemory<byte> Envelope);

/// <summary>
/// The operator of a vault: its identity address and the X25519 key every record is also wrapped to, so it can release
/// keys to grantees (a node uses its identity's image, <see cref="IdentityEncryptionKeys.FromIdentity(KeyPair)"/>).
/// </summary>
/// <param name="Address">The custodian's on-chain address.</param>
/// <param name="Key">The custodian's X25519 key pair.</param>
public sealed record RecordCustodian(Address Address, EncryptionKeyPair Key);

/// <summary>
/// Ingests and opens encrypted FHIR records. Ingestion validates the FHIR payload (refused before anything is
/// stored), encrypts it under a fresh key bound to the anchor's facts, wraps the key for the patient and the
/// custodian, stores and pins the envelope, and optionally runs a caller's commit step (such as submitting the
/// anchor); when any step after the write fails, the envelope is removed again, so no unreferenced ciphertext stays.
/// Opening checks, in order: the address parses, the store's bytes match the CID, their SHA-256 matches the anchor,
/// the envelope decodes, its bound facts match the anchor, the key wrap opens, the ciphertext authenticates, and the
/// FHIR payload parses and validates.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use when its content store and random source are (the shipped ones are); it holds no mutable state.</remarks>
public sealed class RecordVault
{
    private readonly IContentStore _store;
    private readonly RecordCustodian _custodian;
    private readonly FhirRecordCodec _codec;
    private readonly IRandomSource _random;
    private readonly uint _chainId;

    /// <summary>Creates a vault for one chain.</summary>
    public RecordVault(uint chainId, IContentStore store, RecordCustodian custodian, FhirRecordCodec codec, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(custodian);
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(random);
        _chainId = chainId;
        _store = store;
        _custodian = custodian;
        _codec = codec;
        _random = random;
    }

    /// <summary>The chain this vault serves.</summary>
    public uint ChainId => _chainId;

    /// <summary>The custodian's address.</summary>
    public Address Custodian => _custodian.Address;

    /// <summary>Ingests a record with no commit step.</summary>
    public Task<RecordResult<IngestedRecord>> IngestAsync(RecordSubmission submission, CancellationToken cancellationToken) =>
        IngestAsync(submission, null, cancellationToken);

    /// <summary>
    /// Ingests a record: <see cref="Seal"/>, then <see cref="StoreAsync"/>; <paramref name="commit"/> (if given) runs
    /// after the envelope is stored and pinned, and a failure there (a refusal or an exception) removes the envelope again.
    /// </summary>
    public async Task<RecordResult<IngestedRecord>> IngestAsync(RecordSubmission submission, Func<IngestedRecord, CancellationToken, Task<RecordResult>>? commit, CancellationToken cancellationToken)
    {
        var sealedRecord = Seal(submission);
        return sealedRecord.IsSuccess
            ? await StoreAsync(sealedRecord.Value, commit, cancellationToken).ConfigureAwait(false)
            : sealedRecord.Error!;
    }

    /// <summary>
    /// Validates the FHIR payload and encrypts it under a fresh key wrapped for the patient and the custodian, in
    /// memory: nothing is stored. The result names the CID and ciphertext hash the anchor will carry.
    /// </summary>
    public RecordResult<SealedRecord> Seal(RecordSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        if (!Enum.IsDefined(submission.RecordType))
        {
            return RecordResult<SealedRecord>.Fail(RecordErrorCode.InvalidFhir, "unknown record type", (byte)submission.RecordType);
        }
        if (!IdentityEncryptionKeys.TryFromIdentity(submission.Patient, out var patientKey))
        {
            return RecordResult<SealedRecord>.Fail(RecordErrorCode.InvalidKey, "the patient's identity key is not a valid Ed25519 point");
        }
        var patient = submission.Patient.ToAddress();
        var json = _codec.Validate(submission.Bundle, new FhirSubject(patient, submission.Device, submission.MeasuredAt.ToUnixTimeMilliseconds()));
        if (!json.IsSuccess)
        {
            return json.Error!;
        }

        Span<byte> id = stackalloc byte[16];
        _random.Fill(id);
        var context = new RecordContext(_chainId, submission.Device, patient, submission.RecordType, submission.MeasuredAt.ToUnixTimeMilliseconds(), System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(id));
        var recipients = new List<(Address, EncryptionPublicKey)> { (patient, patientKey) };
        if (_custodian.Address != patient)
        {
            recipients.Add((_custodian.Address, _custodian.Key.PublicKey));
        }
        var bytes = RecordEnvelope.Seal(context, json.Value, recipients, _random).Encode();
        CryptographicOperations.ZeroMemory(json.Value);
        if (bytes.Length > _store.MaxContentBytes)
        {
            return RecordResult<SealedRecord>.Fail(RecordErrorCode.TooLarge, "envelope larger than the store accepts", bytes.Length, _store.MaxContentBytes);
        }
        return new SealedRecord(new IngestedRecord(UnixFsDag.ComputeCid(bytes), Hash256.Sha256(bytes), context, bytes.Length), bytes);
    }

    /// <summary>
    /// Stores and pins a sealed envelope, then runs <paramref name="commit"/> (if given); when the put, the CID check,
    /// the pin or the commit fails (a refusal, an exception or a cancellation), the envelope is removed before the error
    /// is returned, so no unreferenced ciphertext stays.
    /// </summary>
    public async Task<RecordResult<IngestedRecord>> StoreAsync(SealedRecord sealedRecord, Func<IngestedRecord, CancellationToken, Task<RecordResult>>? commit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sealedRecord);
        var record = sealedRecord.Record;
        var expected = record.ContentAddress;
        var put = await _store.PutAsync(sealedRecord.Envelope, cancellationToken).ConfigureAwait(false);
        if (!put.IsSuccess)
        {
            return await Undo(expected, put.Error!).ConfigureAwait(false);
        }
        if (put.Value != expected)
        {
            await _store.RemoveAsync(put.Value, CancellationToken.None).ConfigureAwait(false);
            return await Undo(expected, new RecordError(RecordErrorCode.CidMismatch, $"the store named the envelope {put.Value}, computed {expected}")).ConfigureAwait(false);
        }
        var pin = await _store.PinAsync(expected, cancellationToken).ConfigureAwait(false);
        if (!pin.IsSuccess)
        {
            return await Undo(expected, pin.Error!).ConfigureAwait(false);
        }
        if (commit is not null)
        {
            RecordResult committed;
            try
            {
                committed = await commit(record, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await _store.RemoveAsync(expected, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
#pragma warning disable CA1031 // whatever the caller's step throws, the envelope must not stay behind
            catch (Exception e)
#pragma warning restore CA1031
            {
                return await Undo(expected, new RecordError(RecordErrorCode.CommitFailed, $"commit threw {e.GetType().Name}: {e.Message}")).ConfigureAwait(false);
            }
            if (!committed.IsSuccess)
            {
                return await Undo(expected, new RecordError(RecordErrorCode.CommitFailed, "commit refused: " + committed.Error, committed.Error!.Actual, committed.Error.Limit)).ConfigureAwait(false);
            }
        }
        return record;
    }

    /// <summary>Reads the envelope bytes stored under a CID (checked against the CID), for a reader holding a released wrap.</summary>
    public Task<RecordResult<byte[]>> ReadEnvelopeAsync(Cid cid, CancellationToken cancellationToken) => _store.GetAsync(cid, cancellationToken);

    /// <summary>Fetches and checks the envelope an anchor names (address, CID, ciphertext hash, format, bound facts).</summary>
    public async Task<RecordResult<RecordEnvelope>> FetchAsync(AnchoredRecord anchor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        if (!Cid.TryParse(anchor.ContentAddress, out var cid))
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.InvalidAddress, "the content address is not a base32 CIDv1", anchor.ContentAddress?.Length ?? 0, Cid.TextLength);
        }
        var got = await _store.GetAsync(cid, cancellationToken).ConfigureAwait(false);
        if (!got.IsSuccess)
        {
            return got.Error!;
        }
        if (Hash256.Sha256(got.Value) != anchor.CiphertextHash)
        {
            return RecordResult<RecordEnvelope>.Fail(RecordErrorCode.CiphertextHashMismatch, "the stored envelope's SHA-256 differs from the anchored hash");
        }
        var envelope = RecordEnvelope.Decode(got.Value);
        if (!envelope.IsSuccess)
        {
            return envelope;
        }
        return anchor.Matches(envelope.Value.Context)
            ? envelope
            : RecordResult<RecordEnvelope>.Fail(RecordErrorCode.ContextMismatch, "the envelope's bound facts differ from the anchor");
    }

    /// <summary>
    /// Opens a record for <paramref name="reader"/>: with <paramref name="wrap"/> when given (a released wrap),
    /// otherwise with the reader's wrap inside the envelope (the patient's and the custodian's are there).
    /// </summary>
    public async Task<RecordResult<Bundle>> OpenAsync(AnchoredRecord anchor, Address reader, EncryptionKeyPair readerKey, KeyWrap? wrap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(readerKey);
        var envelope = await FetchAsync(anchor, cancellationToken).ConfigureAwait(false);
        if (!envelope.IsSuccess)
        {
            return envelope.Error!;
        }
        if (wrap is not null && wrap.Recipient != reader)
        {
            return RecordResult<Bundle>.Fail(RecordErrorCode.WrongKeyWrap, $"the wrap is for {wrap.Recipient}, not {reader}");
        }
        var plaintext = wrap is null ? envelope.Value.Open(reader, readerKey) : envelope.Value.Open(wrap, readerKey);
        if (!plaintext.IsSuccess)
        {
            return plaintext.Error!;
        }
        try
        {
            return _codec.ParseAndValidate(plaintext.Value, new FhirSubject(anchor.Patient, anchor.Device, anchor.MeasuredAtMs));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext.Value);
        }
    }

    /// <summary>Wraps the record key of an envelope anew for a recipient, opening the custodian's wrap.</summary>
    internal RecordResult<KeyWrap> Rewrap(RecordEnvelope envelope, Address recipient, EncryptionPublicKey recipientKey) =>
        envelope.Rewrap(_custodian.Address, _custodian.Key, recipient, recipientKey, _random);

    private async Task<RecordError> Undo(Cid cid, RecordError error)
    {
        // Not cancellable: a cancelled ingestion must still clean up.
        var removed = await _store.RemoveAsync(cid, CancellationToken.None).ConfigureAwait(false);
        return removed.IsSuccess ? error : error with { Detail = $"{error.Detail}; removing {cid} also failed: {removed.Error}" };
    }
}

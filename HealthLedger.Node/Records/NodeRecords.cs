using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Mempool;
using HealthLedger.Core.Transactions;
using HealthLedger.Records;
using HealthLedger.Records.Access;
using HealthLedger.Records.Content;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;
using HealthLedger.Records.Storage;
using Hl7.Fhir.Model;
using Address = HealthLedger.Core.Crypto.Address;

namespace HealthLedger.Node.Records;

/// <summary>A record sealed by the node and waiting for its device's signed anchor.</summary>
/// <param name="Anchor">The anchor the device must sign (content address, ciphertext hash, type, time).</param>
/// <param name="Device">The device that must sign it.</param>
/// <param name="Sequence">The device's next sequence number in the node's pending state.</param>
/// <param name="EnvelopeBytes">Size of the sealed envelope.</param>
/// <param name="ExpiresAtMs">When the node forgets it if no anchor came, Unix ms.</param>
public sealed record PreparedRecord(RecordAnchor Anchor, Address Device, ulong Sequence, int EnvelopeBytes, long ExpiresAtMs);

/// <summary>A stored record whose anchor the mempool admitted.</summary>
/// <param name="Record">The CID, ciphertext hash and bound context.</param>
/// <param name="AnchorId">The anchoring transaction.</param>
public sealed record AnchoredIngestion(IngestedRecord Record, Hash256 AnchorId);

/// <summary>A released record key and where its release is recorded.</summary>
/// <param name="Wrap">The record key wrapped to the request's reply key, bound to the requester.</param>
/// <param name="Decision">Record, recipient, time, grant height and request id.</param>
/// <param name="ReleaseTransactionId">The <see cref="KeyRelease"/> transaction.</param>
/// <param name="RecordedAtHeight">The height of the best-chain block holding it when the key was handed over.</param>
public sealed record ReleasedRecordKey(KeyWrap Wrap, ReleaseDecision Decision, Hash256 ReleaseTransactionId, ulong RecordedAtHeight);

/// <summary>
/// A node's health records (<see cref="LedgerNode.Records"/>): ingestion — the device's record is sealed (FHIR
/// validated, encrypted for the patient's and this node's keys) in memory, the device signs the anchor the node names,
/// then the envelope is stored and pinned and the anchor submitted through the mempool and its gates (the intrusion
/// detector screens the device's submission there), the envelope removed again if anything after the write fails —
/// and key release: a signed request is checked (chain, record, clock window, signature, nonce, then the grant in the
/// chain's state now, the patient always), the release is written on-chain as a <see cref="KeyRelease"/> transaction
/// of this node, and the wrapped key is handed over only once that transaction is in a block on the best chain.
/// </summary>
public sealed class NodeRecords : IDisposable
{
    private readonly uint _chainId;
    private readonly KeyPair _nodeKey;
    private readonly Blockchain _chain;
    private readonly TransactionPool _pool;
    private readonly Func<Transaction, object?, CancellationToken, Task<AdmissionResult>> _submit;
    private readonly Func<Func<ulong, Transaction>, CancellationToken, Task<(Transaction Transaction, AdmissionResult Result)>> _publishNext;
    private readonly TimeProvider _time;
    private readonly RecordsOptions _options;
    private readonly EncryptionKeyPair _custodianKey;
    private readonly FhirRecordCodec _codec;
    private readonly HttpClient? _http;
    private readonly PreparedRecords _prepared;
    private readonly KeyReleaseService _release;

    internal NodeRecords(
        RecordsOptions options,
        uint chainId,
        KeyPair nodeKey,
        string dataDirectory,
        Blockchain chain,
        TransactionPool pool,
        Func<Transaction, object?, CancellationToken, Task<AdmissionResult>> submit,
        Func<Func<ulong, Transaction>, CancellationToken, Task<(Transaction, AdmissionResult)>> publishNext,
        TimeProvider time)
    {
        _options = options;
        _chainId = chainId;
        _nodeKey = nodeKey;
        _chain = chain;
        _pool = pool;
        _submit = submit;
        _publishNext = publishNext;
        _time = time;
        _custodianKey = IdentityEncryptionKeys.FromIdentity(nodeKey);
        _codec = new FhirRecordCodec(options.Fhir);
        if (options.IpfsEndpoint is { } endpoint)
        {
            _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
            Store = new KuboContentStore(_http, new KuboContentStoreOptions { Endpoint = endpoint }, time);
        }
        else
        {
            Store = new FileSystemContentStore(new FileSystemContentStoreOptions { RootDirectory = options.Directory ?? Path.Combine(dataDirectory, "records") });
        }

        Vault = new RecordVault(chainId, Store, new RecordCustodian(nodeKey.Address, _custodianKey), _codec, SystemRandomSource.Instance);
        _prepared = new PreparedRecords(options.MaxPrepared, options.MaxPreparedBytes, options.MaxPreparedPerDevice, options.PreparedLifetime, time);
        _release = new KeyReleaseService(Vault, new ChainGrantOracle(() => _chain.State, () => _pool.PendingState), time, options.Release);
    }

    /// <summary>The content store (IPFS or local).</summary>
    public IContentStore Store { get; }

    /// <summary>The vault (this node is its custodian).</summary>
    public RecordVault Vault { get; }

    /// <summary>Largest FHIR JSON accepted, in bytes.</summary>
    public int MaxFhirBytes => _options.Fhir.MaxPayloadBytes;

    /// <summary>Sealed records waiting for their anchor.</summary>
    public int PreparedCount => _prepared.Count;

    /// <summary>Seals a device's FHIR JSON (parsed strictly and validated against the device, its patient and the time).</summary>
    public RecordOutcome<PreparedRecord> Prepare(Address device, RecordType type, DateTimeOffset measuredAt, ReadOnlySpan<byte> fhirJson)
    {
        var subject = Subject(device, out var patient);
        if (!subject.IsSuccess)
        {
            return subject.Failure!;
        }
        var bundle = _codec.ParseAndValidate(fhirJson, new FhirSubject(patient!.Id, device, measuredAt.ToUnixTimeMilliseconds()));
        return bundle.IsSuccess ? Prepare(device, type, measuredAt, bundle.Value) : RecordFailure.Of(RecordStage.Fhir, bundle.Error!);
    }

    /// <summary>
    /// Seals a device's record in memory: the device must be registered and not revoked, the FHIR payload valid for
    /// it, its patient and the time. Nothing is stored until <see cref="CommitAsync"/> brings the device's signed anchor.
    /// </summary>
    public RecordOutcome<PreparedRecord> Prepare(Address device, RecordType type, DateTimeOffset measuredAt, Bundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var subject = Subject(device, out var patient);
        if (!subject.IsSuccess)
        {
            return subject.Failure!;
        }
        var sealedRecord = Vault.Seal(new RecordSubmission(device, patient!.Key, type, measuredAt, bundle));
        if (!sealedRecord.IsSuccess)
        {
            var stage = sealedRecord.Error!.Code == RecordErrorCode.InvalidFhir ? RecordStage.Fhir : RecordStage.Encrypt;
            return RecordFailure.Of(stage, sealedRecord.Error);
        }
        if (!_prepared.TryAdd(sealedRecord.Value, device, out var expires, out var refusal))
        {
            return new RecordFailure(RecordStage.Encrypt, RecordErrorCode.TooLarge, null, "too many records (in all, of this device, or in bytes) are waiting for their anchors", refusal.Actual, refusal.Limit);
        }
        var record = sealedRecord.Value.Record;
        return new PreparedRecord(record.ToAnchor(), device, _pool.PendingState.GetNextSequence(device), record.EnvelopeBytes, expires);
    }

    /// <summary>
    /// Stores a prepared record and submits its anchor: the transaction must be the device's, for this chain, with
    /// exactly the prepared anchor. The envelope is stored and pinned first (no anchor without stored ciphertext), then
    /// the anchor goes through the mempool with <paramref name="attachment"/> (the device's submission, for the
    /// detection gate); if the mempool or a gate refuses it, the envelope is removed (no unreferenced ciphertext).
    /// </summary>
    public async Task<RecordOutcome<AnchoredIngestion>> CommitAsync(Transaction signedAnchor, object? attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signedAnchor);
        if (signedAnchor.Payload is not RecordAnchor anchor)
        {
            return new RecordFailure(RecordStage.Anchor, RecordErrorCode.ContextMismatch, null, $"a {signedAnchor.Kind} transaction is no record anchor");
        }
        if (_prepared.Take(anchor.CiphertextHash) is not var (sealedRecord, device))
        {
            return new RecordFailure(RecordStage.Anchor, RecordErrorCode.NotFound, null, $"no prepared record {anchor.CiphertextHash.ToShortString()} (never prepared, already committed, or expired)");
        }
        if (signedAnchor.SenderAddress != device || signedAnchor.ChainId != _chainId || anchor != sealedRecord.Record.ToAnchor())
        {
            return new RecordFailure(RecordStage.Anchor, RecordErrorCode.ContextMismatch, null, "the transaction is not the prepared anchor signed by its device; the prepared record is dropped");
        }

        AdmissionResult? admission = null;
        var stored = await Vault.StoreAsync(sealedRecord, async (_, ct) =>
        {
            admission = await _submit(signedAnchor, attachment, ct).ConfigureAwait(false);
            return admission.Accepted ? RecordResult.Ok : RecordResult.Fail(RecordErrorCode.CommitFailed, admission.Validation.ToString());
        }, cancellationToken).ConfigureAwait(false);
        if (stored.IsSuccess)
        {
            return new AnchoredIngestion(stored.Value, signedAnchor.Id);
        }
        return admission is { Accepted: false } refused
            ? new RecordFailure(RecordStage.Anchor, RecordErrorCode.CommitFailed, refused.Validation.Code, $"{refused.Filter}: {refused.Validation.Message}", refused.Validation.Actual, refused.Validation.Limit)
            : RecordFailure.Of(RecordStage.Store, stored.Error!);
    }

    /// <summary>
    /// Ingestion in one call, for a host that holds the device's key (a gateway in front of simple devices, or a demo):
    /// <see cref="Prepare(Address, RecordType, DateTimeOffset, Bundle)"/>, <paramref name="signAnchor"/> (anchor, sequence), <see cref="CommitAsync"/>.
    /// </summary>
    public async Task<RecordOutcome<AnchoredIngestion>> IngestAsync(Address device, RecordType type, DateTimeOffset measuredAt, Bundle bundle, Func<RecordAnchor, ulong, Transaction> signAnchor, object? attachment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(signAnchor);
        var prepared = Prepare(device, type, measuredAt, bundle);
        if (!prepared.IsSuccess)
        {
            return prepared.Failure!;
        }
        return await CommitAsync(signAnchor(prepared.Value.Anchor, prepared.Value.Sequence), attachment, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Releases a record's key to a signed request: checked by the release service, recorded on-chain as a
    /// <see cref="KeyRelease"/> of this node, and handed over only once that transaction is in a block on the best chain
    /// (within <see cref="RecordsOptions.ReleaseInclusionTimeout"/>; otherwise <see cref="RecordStage.Record"/> and no key).
    /// </summary>
    public async Task<RecordOutcome<ReleasedRecordKey>> ReleaseAsync(KeyReleaseRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_chain.State.GetRecord(request.CiphertextHash) is not { } info)
        {
            return new RecordFailure(RecordStage.Request, RecordErrorCode.NotFound, null, $"no anchored record {request.CiphertextHash.ToShortString()}");
        }
        var anchor = new AnchoredRecord(_chainId, info.ContentAddress, info.CiphertextHash, info.Patient, info.Device, info.RecordType, info.MeasuredAtMs);
        Hash256 releaseId = default;
        ulong height = 0;
        RecordFailure? recordFailure = null;
        var released = await _release.ReleaseAsync(request, anchor, async (decision, ct) =>
        {
            var recorded = await RecordReleaseAsync(decision, ct).ConfigureAwait(false);
            if (!recorded.IsSuccess)
            {
                recordFailure = recorded.Failure;
                return RecordResult.Fail(RecordErrorCode.NotRecorded, recorded.Failure!.Detail);
            }
            (releaseId, height) = recorded.Value;
            return RecordResult.Ok;
        }, cancellationToken).ConfigureAwait(false);
        if (released.IsSuccess)
        {
            return new ReleasedRecordKey(released.Value.Wrap, released.Value.Decision, releaseId, height);
        }
        var error = released.Error!;
        return recordFailure ?? RecordFailure.Of(
            error.Code switch
            {
                RecordErrorCode.AccessDenied => RecordStage.Grant,
                RecordErrorCode.StaleRequest or RecordErrorCode.ContextMismatch or RecordErrorCode.BadSignature or RecordErrorCode.ReplayedRequest or RecordErrorCode.TooLarge => RecordStage.Request,
                _ => RecordStage.Fetch,
            },
            error);
    }

    /// <summary>The envelope stored under a content address (checked against it), for a reader holding a released wrap.</summary>
    public async Task<RecordOutcome<byte[]>> ReadEnvelopeAsync(string contentAddress, CancellationToken cancellationToken)
    {
        if (!Cid.TryParse(contentAddress, out var cid))
        {
            return new RecordFailure(RecordStage.Fetch, RecordErrorCode.InvalidAddress, null, "not a base32 CIDv1");
        }
        var bytes = await Vault.ReadEnvelopeAsync(cid, cancellationToken).ConfigureAwait(false);
        return bytes.IsSuccess ? bytes.Value : RecordFailure.Of(RecordStage.Fetch, bytes.Error!);
    }

    /// <summary>Wipes the custodian key and closes the IPFS client.</summary>
    public void Dispose()
    {
        _custodianKey.Dispose();
        _http?.Dispose();
    }

    private RecordOutcome<bool> Subject(Address device, out PatientInfo? patient)
    {
        patient = null;
        var state = _pool.PendingState;
        if (state.GetDevice(device) is not { } d)
        {
            return new RecordFailure(RecordStage.Device, null, Core.Validation.RejectionCode.UnknownEntity, $"{device} is not a registered device");
        }
        if (d.Revoked)
        {
            return new RecordFailure(RecordStage.Device, null, Core.Validation.RejectionCode.DeviceRevoked, $"device {device} is revoked");
        }
        patient = state.GetPatient(d.Patient);
        return patient is null
            ? new RecordFailure(RecordStage.Device, null, Core.Validation.RejectionCode.UnknownEntity, $"the device's patient {d.Patient} is not registered")
            : true;
    }

    // Publishes this node's KeyRelease with its next sequence and waits until a best-chain block holds it.
    private async Task<RecordOutcome<(Hash256 Id, ulong Height)>> RecordReleaseAsync(ReleaseDecision decision, CancellationToken cancellationToken)
    {
        var payload = new KeyRelease(decision.Anchor.CiphertextHash, decision.Recipient, decision.ReleasedAtMs, decision.GrantHeight, decision.RequestId);
        var watch = new InclusionWatch();
        _chain.TipChanged += watch.OnTipChanged;
        try
        {
            var (tx, admission) = await _publishNext(
                sequence =>
                {
                    var tx = Transaction.Create(_nodeKey, _chainId, sequence, _time.GetUtcNow().ToUnixTimeMilliseconds(), payload);
                    watch.Expect(tx.Id);
                    return tx;
                },
                cancellationToken).ConfigureAwait(false);
            if (!admission.Accepted)
            {
                return RecordFailure.Of(RecordStage.Record, admission.Validation);
            }
            try
            {
                var height = await watch.Included.WaitAsync(_options.ReleaseInclusionTimeout, _time, cancellationToken).ConfigureAwait(false);
                return (tx.Id, height);
            }
            catch (TimeoutException)
            {
                return new RecordFailure(RecordStage.Record, RecordErrorCode.NotRecorded, null, $"release {tx.Id.ToShortString()} was not in a best-chain block within {_options.ReleaseInclusionTimeout.TotalSeconds:0} s; no key was released (the transaction may still be mined)");
            }
        }
        finally
        {
            _chain.TipChanged -= watch.OnTipChanged;
        }
    }

    private sealed class InclusionWatch
    {
        private readonly TaskCompletionSource<ulong> _included = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Hash256 _expected;
        private int _armed;

        public Task<ulong> Included => _included.Task;

        public void Expect(Hash256 id)
        {
            _expected = id;
            Volatile.Write(ref _armed, 1);
        }

        public void OnTipChanged(ChainUpdate update)
        {
            if (Volatile.Read(ref _armed) == 0)
            {
                return;
            }
            foreach (var block in update.Connected)
            {
                if (block.Transactions.Any(t => t.Id == _expected))
                {
                    _included.TrySetResult(block.Header.Height);
                    return;
                }
            }
        }
    }
}

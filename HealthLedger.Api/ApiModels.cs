namespace HealthLedger.Api;

/// <summary>A block reference: height and hash (hex).</summary>
/// <param name="Height">Height.</param>
/// <param name="Hash">Hash, 64 hex digits.</param>
public sealed record BlockRef(ulong Height, string Hash);

/// <summary>The chain head as this node sees it.</summary>
/// <param name="Tip">The tip of the best chain.</param>
/// <param name="LastFinal">The last final block.</param>
/// <param name="HighestJustified">The highest justified block.</param>
/// <param name="Blocks">Blocks in the tree (all branches).</param>
/// <param name="Pending">Transactions in the mempool.</param>
public sealed record HeadResponse(BlockRef Tip, BlockRef LastFinal, BlockRef HighestJustified, int Blocks, int Pending);

/// <summary>A block: its header fields and its transaction ids.</summary>
/// <param name="Height">Height.</param>
/// <param name="Hash">Hash.</param>
/// <param name="PreviousHash">Parent's hash.</param>
/// <param name="MerkleRoot">Merkle root of the transaction ids.</param>
/// <param name="TimestampMs">Timestamp, Unix ms.</param>
/// <param name="TargetBits">Compact base target.</param>
/// <param name="Threshold">The threshold k the header carries.</param>
/// <param name="Miner">The miner's address.</param>
/// <param name="Final">Whether the block is final on this node.</param>
/// <param name="Transactions">Transaction ids, in block order.</param>
public sealed record BlockResponse(ulong Height, string Hash, string PreviousHash, string MerkleRoot, long TimestampMs, uint TargetBits, ushort Threshold, string Miner, bool Final, IReadOnlyList<string> Transactions);

/// <summary>The outcome of submitting a transaction.</summary>
/// <param name="Id">The transaction id.</param>
/// <param name="Status">"admitted".</param>
public sealed record SubmitResponse(string Id, string Status);

/// <summary>An anchored record and the proof that its anchor is in a block.</summary>
/// <param name="CiphertextHash">SHA-256 of the ciphertext (the record's id).</param>
/// <param name="ContentAddress">Where the ciphertext is stored (a CID).</param>
/// <param name="Patient">The patient's address.</param>
/// <param name="Device">The device's address.</param>
/// <param name="RecordType">The record type.</param>
/// <param name="MeasuredAtMs">When it was measured, Unix ms.</param>
/// <param name="Block">The block that anchors it.</param>
/// <param name="TransactionId">The anchoring transaction.</param>
/// <param name="ProofIndex">The transaction's index in the block.</param>
/// <param name="ProofPath">The Merkle audit path (hex hashes, leaf to root).</param>
/// <param name="ProofVerified">Whether the proof verifies against the block header's Merkle root on this node.</param>
public sealed record RecordResponse(string CiphertextHash, string ContentAddress, string Patient, string Device, string RecordType, long MeasuredAtMs, BlockRef Block, string TransactionId, int ProofIndex, IReadOnlyList<string> ProofPath, bool ProofVerified);

/// <summary>A registered node.</summary>
/// <param name="Address">Its address.</param>
/// <param name="Name">Its display name.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Revoked">Whether it is revoked.</param>
public sealed record NodeResponse(string Address, string Name, string Roles, bool Revoked);

/// <summary>Liveness and what the node knows.</summary>
/// <param name="Status">"ok".</param>
/// <param name="Height">Tip height.</param>
/// <param name="FinalHeight">Last final height.</param>
/// <param name="Peers">Connected peers.</param>
public sealed record HealthResponse(string Status, ulong Height, ulong FinalHeight, int Peers);

/// <summary>A registered device.</summary>
/// <param name="Address">Its address.</param>
/// <param name="Patient">The patient it belongs to.</param>
/// <param name="Provider">The provider that registered it.</param>
/// <param name="DeviceClass">Its class.</param>
/// <param name="RegisteredAtHeight">Height of its registration.</param>
/// <param name="Revoked">Whether it is revoked.</param>
public sealed record DeviceResponse(string Address, string Patient, string Provider, string DeviceClass, ulong RegisteredAtHeight, bool Revoked);

/// <summary>A patient's grant of one record type to one provider.</summary>
/// <param name="Grantee">The provider.</param>
/// <param name="RecordType">The record type.</param>
/// <param name="ExpiresAtMs">When it expires, Unix ms.</param>
/// <param name="GrantedAtHeight">Height of the grant.</param>
public sealed record GrantResponse(string Grantee, string RecordType, long ExpiresAtMs, ulong GrantedAtHeight);

/// <summary>An anchored record as listed by the index.</summary>
/// <param name="CiphertextHash">The record's id.</param>
/// <param name="ContentAddress">Where its ciphertext is stored.</param>
/// <param name="Device">The device that anchored it.</param>
/// <param name="RecordType">Its type.</param>
/// <param name="MeasuredAtMs">When it was measured, Unix ms.</param>
/// <param name="Height">The anchoring block's height.</param>
public sealed record RecordSummary(string CiphertextHash, string ContentAddress, string Device, string RecordType, long MeasuredAtMs, ulong Height);

/// <summary>A page of records and the token of the next page (null at the end).</summary>
/// <param name="Items">The records, oldest measurement first.</param>
/// <param name="Next">Pass as <c>after</c> for the next page.</param>
/// <param name="AtHeight">The chain height the page was read at.</param>
public sealed record RecordPage(IReadOnlyList<RecordSummary> Items, string? Next, ulong AtHeight);

/// <summary>
/// A device's record for ingestion: the record anchor transaction the device signed (canonical bytes, base64) and the
/// traffic features and vital signs of the submission it anchors, by name (numbers or text), for the intrusion gate.
/// </summary>
/// <param name="Transaction">The signed transaction, base64.</param>
/// <param name="Fields">The submission's fields by name (WUSTL-EHMS-2020 column names).</param>
/// <param name="TimestampMs">When the device produced the record, Unix ms.</param>
public sealed record IngestRequest(string Transaction, IReadOnlyDictionary<string, System.Text.Json.JsonElement> Fields, long TimestampMs);

/// <summary>Finality as this node saw it: the last final block and the time from sealing to finality.</summary>
/// <param name="LastFinal">The last final block.</param>
/// <param name="Blocks">Blocks this node saw become final since it started (the newest 4,096 at most).</param>
/// <param name="P50Ms">Median time from a block's sealing (header timestamp) to its finality, ms; null before any.</param>
/// <param name="P99Ms">99th percentile, ms.</param>
/// <param name="MaxMs">Longest, ms.</param>
public sealed record FinalityResponse(BlockRef LastFinal, int Blocks, long? P50Ms, long? P99Ms, long? MaxMs);

/// <summary>Whether device ingestion is paused by the operator.</summary>
/// <param name="Paused">True while POST /v1/ingest refuses submissions with 503.</param>
public sealed record IngestionState(bool Paused);
/// <summary>A device's FHIR payload to seal (POST /v1/records): nothing is stored until the device signs the returned anchor.</summary>
/// <param name="Device">The device's address (hl + 40 hex).</param>
/// <param name="RecordType">The record type's name (for example <c>Vitals</c>).</param>
/// <param name="MeasuredAtMs">When it was measured, Unix ms (every Observation's effectiveDateTime must equal it).</param>
/// <param name="Fhir">The FHIR R4 Bundle, as a JSON object.</param>
public sealed record RecordPrepareRequest(string Device, string RecordType, long MeasuredAtMs, System.Text.Json.JsonElement Fhir);

/// <summary>A sealed record waiting for its anchor: the device signs a RecordAnchor with exactly these fields and this sequence.</summary>
/// <param name="ContentAddress">The CID the envelope will be stored under.</param>
/// <param name="CiphertextHash">SHA-256 of the envelope (hex).</param>
/// <param name="RecordType">The record type's name.</param>
/// <param name="RecordTypeNumber">The record type's number (what the transaction carries).</param>
/// <param name="MeasuredAtMs">Measurement time, Unix ms.</param>
/// <param name="Device">The device that must sign.</param>
/// <param name="Sequence">The device's next sequence number on this node.</param>
/// <param name="EnvelopeBytes">Size of the sealed envelope.</param>
/// <param name="ExpiresAtMs">When the node forgets the sealed record if no anchor came, Unix ms.</param>
public sealed record RecordPrepareResponse(string ContentAddress, string CiphertextHash, string RecordType, int RecordTypeNumber, long MeasuredAtMs, string Device, ulong Sequence, int EnvelopeBytes, long ExpiresAtMs);

/// <summary>The device's signed anchor for a prepared record (POST /v1/records/{cid}/anchor), with its submission's fields for the intrusion gate.</summary>
/// <param name="Transaction">The signed RecordAnchor transaction, canonical bytes, base64.</param>
/// <param name="Fields">The submission's traffic features by name (numbers or short text), or null.</param>
/// <param name="TimestampMs">When the device produced the submission, Unix ms.</param>
public sealed record RecordAnchorRequest(string Transaction, IReadOnlyDictionary<string, System.Text.Json.JsonElement>? Fields, long TimestampMs);

/// <summary>A stored record whose anchor the mempool admitted.</summary>
/// <param name="ContentAddress">The CID.</param>
/// <param name="CiphertextHash">SHA-256 of the envelope.</param>
/// <param name="TransactionId">The anchor transaction.</param>
/// <param name="Status">"admitted".</param>
public sealed record RecordAnchorResponse(string ContentAddress, string CiphertextHash, string TransactionId, string Status);

/// <summary>
/// A signed key-release request (POST /v1/records/{cid}/release). The requester signs, with its Ed25519 key,
/// <c>"HL-KEYREQ-v2" ‖ chain id (u32 LE) ‖ requester key ‖ reply key ‖ requested-at (i64 LE) ‖ nonce (16) ‖ ciphertext hash ‖ len (u8) ‖ cid</c>
/// (<c>KeyReleaseRequest.Create</c> does it).
/// </summary>
/// <param name="Requester">The requester's Ed25519 public key, 64 hex.</param>
/// <param name="CiphertextHash">The record's ciphertext hash, 64 hex.</param>
/// <param name="ReplyKey">The X25519 key to wrap the record key to, 64 hex.</param>
/// <param name="RequestedAtMs">When it was signed, Unix ms (within ±5 minutes of the node's clock).</param>
/// <param name="Nonce">16 random bytes, 32 hex (each request is served once).</param>
/// <param name="Signature">The Ed25519 signature, 128 hex.</param>
public sealed record KeyReleaseRequestBody(string Requester, string CiphertextHash, string ReplyKey, long RequestedAtMs, string Nonce, string Signature);

/// <summary>A released record key, recorded on-chain before it was handed over.</summary>
/// <param name="ContentAddress">The record's CID.</param>
/// <param name="CiphertextHash">Its ciphertext hash.</param>
/// <param name="Recipient">The requester's address (the wrap is bound to it).</param>
/// <param name="EphemeralKey">The wrap's ephemeral X25519 public key, 64 hex.</param>
/// <param name="SealedKey">The wrapped record key (AES-GCM, 48 bytes), 96 hex.</param>
/// <param name="CiphertextLocation">Where to fetch the envelope: this API's path, and the CID on IPFS.</param>
/// <param name="ReleaseTransactionId">The on-chain KeyRelease transaction.</param>
/// <param name="RecordedAtHeight">The height of the block holding it.</param>
/// <param name="GrantHeight">The height of the grant it was released under; 0 for the patient.</param>
/// <param name="ReleasedAtMs">The node's time of the decision, Unix ms.</param>
public sealed record KeyReleaseResponse(string ContentAddress, string CiphertextHash, string Recipient, string EphemeralKey, string SealedKey, string CiphertextLocation, string ReleaseTransactionId, ulong RecordedAtHeight, ulong GrantHeight, long ReleasedAtMs);

/// <summary>A key release as listed for a patient.</summary>
/// <param name="Recipient">Who received the key.</param>
/// <param name="Releaser">The node that released it.</param>
/// <param name="CiphertextHash">The record.</param>
/// <param name="RecordType">The record's type.</param>
/// <param name="ReleasedAtMs">When, Unix ms.</param>
/// <param name="GrantHeight">The grant's height; 0 for the patient.</param>
/// <param name="RequestId">SHA-256 of the signed request.</param>
/// <param name="Height">The block recording it.</param>
/// <param name="TransactionId">The release transaction.</param>
public sealed record ReleaseSummary(string Recipient, string Releaser, string CiphertextHash, string RecordType, long ReleasedAtMs, ulong GrantHeight, string RequestId, ulong Height, string TransactionId);

/// <summary>A page of a patient's releases, in chain order.</summary>
/// <param name="Items">The releases.</param>
/// <param name="Next">Pass as <c>after</c> for the next page; null at the end.</param>
/// <param name="AtHeight">The index height the page was read at.</param>
public sealed record ReleasePage(IReadOnlyList<ReleaseSummary> Items, string? Next, ulong AtHeight);

/// <summary>A transaction and where it is: in this node's mempool, in a block of the best chain, or final.</summary>
/// <param name="Id">The transaction id (hex).</param>
/// <param name="Kind">The payload kind.</param>
/// <param name="Sender">The sender's address.</param>
/// <param name="Sequence">The sender's sequence number (0 for finality votes).</param>
/// <param name="TimestampMs">The sender's timestamp, Unix ms.</param>
/// <param name="Status"><c>pending</c> (in the mempool), <c>included</c> (in a block of the best chain) or <c>final</c>.</param>
/// <param name="Block">The block holding it; null while pending.</param>
/// <param name="ProofIndex">Its position in the block; null while pending.</param>
/// <param name="ProofPath">The Merkle audit path (hex hashes, leaf to root); empty while pending.</param>
/// <param name="ProofVerified">Whether the proof verifies against the block header's Merkle root on this node.</param>
public sealed record TransactionResponse(string Id, string Kind, string Sender, ulong Sequence, long TimestampMs, string Status, BlockRef? Block, int? ProofIndex, IReadOnlyList<string> ProofPath, bool ProofVerified);

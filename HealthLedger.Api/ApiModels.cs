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

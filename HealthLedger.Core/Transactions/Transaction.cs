using HealthLedger.Core.Crypto;
using HealthLedger.Core.Encoding;
using MessagePack;

namespace HealthLedger.Core.Transactions;

/// <summary>
/// A signed transaction. The sender signs <see cref="SigningHash"/>: SHA-256 of "HL-TX" and a fixed layout of
/// version, chain id (no cross-chain replay), kind, sender, sequence (no replay on this chain), timestamp and payload.
/// <see cref="Id"/> is SHA-256 of the signing hash and the signature; Ed25519 verification is strict (canonical S,
/// no small-order keys), so a valid transaction has exactly one id.
/// </summary>
/// <remarks>Thread safety: immutable, so safe to share between threads; the hashes and the encoding are computed lazily, at worst twice, to the same value.</remarks>
public sealed class Transaction : IEquatable<Transaction>
{
    /// <summary>The current transaction version.</summary>
    public const byte CurrentVersion = 1;

    /// <summary>Largest encoded transaction accepted by the decoder (the chain's limit may be lower).</summary>
    public const int MaxEncodedBytes = 16 * 1024;

    private Hash256? _signingHash;
    private Hash256? _id;
    private byte[]? _encoded;

    /// <summary>Creates a transaction from its parts (use <see cref="Create"/> to sign a new one).</summary>
    public Transaction(byte version, uint chainId, PublicKey sender, ulong sequence, long timestampMs, TransactionPayload payload, Signature signature)
    {
        ArgumentNullException.ThrowIfNull(payload);
        Version = version;
        ChainId = chainId;
        Sender = sender;
        Sequence = sequence;
        TimestampMs = timestampMs;
        Payload = payload;
        Signature = signature;
        SenderAddress = sender.ToAddress();
    }

    /// <summary>Format version.</summary>
    public byte Version { get; }

    /// <summary>The chain this transaction is valid on.</summary>
    public uint ChainId { get; }

    /// <summary>The signer's public key.</summary>
    public PublicKey Sender { get; }

    /// <summary>The signer's address.</summary>
    public Address SenderAddress { get; }

    /// <summary>The sender's sequence number: 0 for its first transaction, then +1 each time.</summary>
    public ulong Sequence { get; }

    /// <summary>Creation time, UTC ms (informational and for expiry in the mempool).</summary>
    public long TimestampMs { get; }

    /// <summary>The kind-specific payload.</summary>
    public TransactionPayload Payload { get; }

    /// <summary>The kind, from the payload.</summary>
    public TransactionKind Kind => Payload.Kind;

    /// <summary>The sender's Ed25519 signature over <see cref="SigningHash"/>.</summary>
    public Signature Signature { get; }

    /// <summary>What the sender signs.</summary>
    public Hash256 SigningHash => _signingHash ??= ComputeSigningHash(Version, ChainId, Sender, Sequence, TimestampMs, Payload);

    /// <summary>The transaction id (a Merkle leaf).</summary>
    public Hash256 Id => _id ??= ComputeId();

    /// <summary>Signs a new transaction.</summary>
    public static Transaction Create(KeyPair signer, uint chainId, ulong sequence, long timestampMs, TransactionPayload payload)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var hash = ComputeSigningHash(CurrentVersion, chainId, signer.PublicKey, sequence, timestampMs, payload);
        var signature = signer.Sign(Hash256.AsSpan(in hash));
        return new Transaction(CurrentVersion, chainId, signer.PublicKey, sequence, timestampMs, payload, signature);
    }

    /// <summary>Verifies the sender's signature.</summary>
    public bool VerifySignature(ISignatureScheme? scheme = null)
    {
        var hash = SigningHash;
        return (scheme ?? Ed25519.Instance).Verify(Sender, Hash256.AsSpan(in hash), Signature);
    }

    /// <summary>
    /// The canonical MessagePack encoding, computed once and cached: the same bytes are pooled, stored in blocks and
    /// relayed, so they are handed out read-only (no copy is made). Use <c>ToArray()</c> for bytes of your own.
    /// </summary>
    public ReadOnlyMemory<byte> Encode() => EncodedArray();

    /// <summary>The cached encoding itself, for this assembly's callers that hand it on unchanged (never written).</summary>
    internal byte[] EncodedArray() => _encoded ??= MsgPack.Encode(this, static (ref MessagePackWriter w, Transaction t) => t.EncodeTo(ref w));

    /// <summary>Size of the canonical encoding in bytes.</summary>
    public int EncodedSize => Encode().Length;

    /// <summary>Decodes a transaction, accepting only its canonical encoding.</summary>
    /// <exception cref="LedgerFormatException">The bytes are not a canonical transaction.</exception>
    public static Transaction Decode(ReadOnlyMemory<byte> bytes)
    {
        var tx = MsgPack.DecodeCanonical(bytes, MaxEncodedBytes, "transaction", static (ref MessagePackReader r) => DecodeFrom(ref r), static (ref MessagePackWriter w, Transaction t) => t.EncodeTo(ref w));
        tx._encoded = bytes.ToArray();
        return tx;
    }

    internal void EncodeTo(ref MessagePackWriter writer)
    {
        writer.WriteArrayHeader(8);
        writer.Write(Version);
        writer.Write(ChainId);
        writer.Write((byte)Kind);
        MsgPack.WriteKey(ref writer, Sender);
        writer.Write(Sequence);
        writer.Write(TimestampMs);
        Payload.Encode(ref writer);
        MsgPack.WriteSignature(ref writer, Signature);
    }

    internal static Transaction DecodeFrom(ref MessagePackReader reader)
    {
        MsgPack.ReadArrayHeader(ref reader, "transaction", 8);
        var version = MsgPack.ReadU8(ref reader, "version");
        if (version != CurrentVersion)
        {
            throw new LedgerFormatException("version", $"unsupported transaction version {version}");
        }

        var chainId = MsgPack.ReadU32(ref reader, "chainId");
        var kind = (TransactionKind)MsgPack.ReadU8(ref reader, "kind");
        var sender = MsgPack.ReadKey(ref reader, "sender");
        var sequence = MsgPack.ReadU64(ref reader, "sequence");
        var timestamp = MsgPack.ReadI64(ref reader, "timestamp");
        var payload = TransactionPayload.Decode(ref reader, kind);
        var signature = MsgPack.ReadSignature(ref reader, "signature");
        return new Transaction(version, chainId, sender, sequence, timestamp, payload, signature);
    }

    /// <summary>The state-independent shape check of the payload; null when fine.</summary>
    public string? CheckShape() =>
        Sender.IsEmpty ? "sender key is empty"
        : Payload is Attestation && Sequence != 0 ? $"a finality vote carries sequence 0, not {Sequence} (votes are unique per target height, not sequenced)"
        : Payload.CheckShape();

    private static Hash256 ComputeSigningHash(byte version, uint chainId, PublicKey sender, ulong sequence, long timestampMs, TransactionPayload payload)
    {
        var writer = new HashInputWriter(192);
        writer.WriteBytes("HL-TX"u8);
        writer.WriteU8(version);
        writer.WriteU32(chainId);
        writer.WriteU8((byte)payload.Kind);
        writer.Write(sender);
        writer.WriteU64(sequence);
        writer.WriteI64(timestampMs);
        payload.WriteHashInput(writer);
        return Hash256.Sha256(writer.WrittenSpan);
    }

    private Hash256 ComputeId()
    {
        Span<byte> buffer = stackalloc byte[Hash256.Length + Signature.Length];
        SigningHash.WriteTo(buffer);
        Signature.WriteTo(buffer[Hash256.Length..]);
        return Hash256.Sha256(buffer);
    }

    /// <inheritdoc />
    public bool Equals(Transaction? other) => other is not null && Id == other.Id;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Transaction);

    /// <inheritdoc />
    public override int GetHashCode() => Id.GetHashCode();

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {Id.ToShortString()} from {SenderAddress} #{Sequence}";
}

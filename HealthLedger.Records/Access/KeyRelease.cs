using System.Buffers.Binary;
using System.Text;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records.Crypto;

namespace HealthLedger.Records.Access;

/// <summary>What the chain says about a provider's access to a patient's records of one type at one time.</summary>
public enum GrantStatus
{
    /// <summary>An active grant covers the patient, provider, record type and time.</summary>
    Active = 1,

    /// <summary>The patient never granted this provider access.</summary>
    NotGranted = 2,

    /// <summary>A grant existed but expired before the time asked about.</summary>
    Expired = 3,

    /// <summary>The patient revoked the grant.</summary>
    Revoked = 4,

    /// <summary>A grant exists but does not cover this record type.</summary>
    OutOfScope = 5,
}

/// <summary>
/// The one question key release asks the chain: "does <c>provider</c> hold an active grant for <c>patient</c>,
/// record type <c>type</c>, at time <c>at</c>?" The node implements it over its ledger state (grants keyed by patient,
/// provider and record type, with per-type expiry); tests implement it in memory.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use (key requests are served in parallel).</remarks>
public interface IGrantOracle
{
    /// <summary>The grant status; anything but <see cref="GrantStatus.Active"/> refuses release.</summary>
    ValueTask<GrantStatus> CheckAsync(Address patient, Address provider, RecordType type, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>
/// A signed request for a record key: the requester's Ed25519 key signs
/// <c>"HL-KEYREQ-v1" || chain id (u32 LE) || requester key || reply key || requested-at (i64 LE ms) || address length (u8) || address (ASCII)</c>,
/// and the key is released wrapped to <see cref="ReplyKey"/>, bound to the requester's address.
/// </summary>
/// <param name="ChainId">Chain id.</param>
/// <param name="Requester">The requester's Ed25519 identity key.</param>
/// <param name="ContentAddress">The anchored content address asked for.</param>
/// <param name="ReplyKey">The X25519 key to wrap the record key to.</param>
/// <param name="RequestedAtMs">When the request was signed, Unix milliseconds.</param>
/// <param name="Signature">The requester's signature.</param>
public sealed record KeyReleaseRequest(uint ChainId, PublicKey Requester, string ContentAddress, EncryptionPublicKey ReplyKey, long RequestedAtMs, Signature Signature)
{
    /// <summary>Longest content address a request may name, in bytes (as on-chain anchors).</summary>
    public const int MaxContentAddressBytes = RecordAnchor.MaxContentAddressBytes;

    private static ReadOnlySpan<byte> Domain => "HL-KEYREQ-v1"u8;

    /// <summary>The requester's address.</summary>
    public Address RequesterAddress => Requester.ToAddress();

    /// <summary>Signs a request.</summary>
    public static KeyReleaseRequest Create(KeyPair requester, uint chainId, string contentAddress, EncryptionPublicKey replyKey, long requestedAtMs)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var bytes = SignedBytes(chainId, requester.PublicKey, contentAddress, replyKey, requestedAtMs)
            ?? throw new ArgumentException("The content address is not ASCII of at most 128 bytes.", nameof(contentAddress));
        return new KeyReleaseRequest(chainId, requester.PublicKey, contentAddress, replyKey, requestedAtMs, requester.Sign(bytes));
    }

    /// <summary>True when the signature verifies (strict Ed25519) and the address is well-formed.</summary>
    public bool VerifySignature() =>
        SignedBytes(ChainId, Requester, ContentAddress, ReplyKey, RequestedAtMs) is { } bytes && Ed25519.Instance.Verify(Requester, bytes, Signature);

    private static byte[]? SignedBytes(uint chainId, PublicKey requester, string? contentAddress, EncryptionPublicKey? replyKey, long requestedAtMs)
    {
        if (contentAddress is null || replyKey is null || contentAddress.Length > MaxContentAddressBytes || !Ascii.IsValid(contentAddress))
        {
            return null;
        }
        var bytes = new byte[Domain.Length + 4 + PublicKey.Length + EncryptionPublicKey.Length + 8 + 1 + contentAddress.Length];
        var span = bytes.AsSpan();
        Domain.CopyTo(span);
        var o = Domain.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[o..], chainId);
        requester.WriteTo(span[(o += 4)..]);
        replyKey.Span.CopyTo(span[(o += PublicKey.Length)..]);
        BinaryPrimitives.WriteInt64LittleEndian(span[(o += EncryptionPublicKey.Length)..], requestedAtMs);
        span[o += 8] = (byte)contentAddress.Length;
        Encoding.ASCII.GetBytes(contentAddress, span[(o + 1)..]);
        return bytes;
    }
}

/// <summary>Options of <see cref="KeyReleaseService"/>.</summary>
public sealed record KeyReleaseOptions
{
    /// <summary>How far a request's signing time may be from the service's clock, either way (default 5 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Releases record keys. Checks, cheapest first: the chain, the named address against the anchor, the clock window,
/// the signature; then the patient is always served, anyone else only while <see cref="IGrantOracle"/> reports an
/// active grant for the patient, the anchor's record type and the service's current time (never a time the requester
/// states). The envelope is fetched and checked like any read, and the custodian's wrap is opened and re-wrapped to
/// the requester's reply key, bound to the requester's address. A refusal by grant is <see cref="RecordErrorCode.AccessDenied"/>
/// with the <see cref="GrantStatus"/> in <see cref="RecordError.Actual"/>.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use when its vault and grant oracle are; it holds no mutable state.</remarks>
public sealed class KeyReleaseService
{
    private readonly RecordVault _vault;
    private readonly IGrantOracle _grants;
    private readonly TimeProvider _time;
    private readonly KeyReleaseOptions _options;

    /// <summary>Creates a service over a vault (whose custodian key opens the envelopes).</summary>
    public KeyReleaseService(RecordVault vault, IGrantOracle grants, TimeProvider time, KeyReleaseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(vault);
        ArgumentNullException.ThrowIfNull(grants);
        ArgumentNullException.ThrowIfNull(time);
        _vault = vault;
        _grants = grants;
        _time = time;
        _options = options ?? new KeyReleaseOptions();
    }

    /// <summary>Checks a request against the anchor it names and returns the record key wrapped for the requester.</summary>
    public async Task<RecordResult<KeyWrap>> ReleaseAsync(KeyReleaseRequest request, AnchoredRecord anchor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(anchor);
        if (request.ChainId != _vault.ChainId || anchor.ChainId != _vault.ChainId)
        {
            return RecordResult<KeyWrap>.Fail(RecordErrorCode.StaleRequest, "the request is for another chain", request.ChainId, _vault.ChainId);
        }
        if (!string.Equals(request.ContentAddress, anchor.ContentAddress, StringComparison.Ordinal))
        {
            return RecordResult<KeyWrap>.Fail(RecordErrorCode.ContextMismatch, "the request names another record than the anchor");
        }
        var now = _time.GetUtcNow();
        var skewMs = Math.Abs(now.ToUnixTimeMilliseconds() - request.RequestedAtMs);
        if (skewMs > (long)_options.MaxClockSkew.TotalMilliseconds)
        {
            return RecordResult<KeyWrap>.Fail(RecordErrorCode.StaleRequest, "the request was signed too far from now", skewMs, (long)_options.MaxClockSkew.TotalMilliseconds);
        }
        if (!request.VerifySignature())
        {
            return RecordResult<KeyWrap>.Fail(RecordErrorCode.BadSignature, "the request's signature does not verify");
        }
        var requester = request.RequesterAddress;
        if (requester != anchor.Patient)
        {
            var status = await _grants.CheckAsync(anchor.Patient, requester, anchor.RecordType, now, cancellationToken).ConfigureAwait(false);
            if (status != GrantStatus.Active)
            {
                return RecordResult<KeyWrap>.Fail(RecordErrorCode.AccessDenied, $"{requester} holds no active grant for {anchor.RecordType} records of {anchor.Patient}: {status}", (long)status);
            }
        }
        var envelope = await _vault.FetchAsync(anchor, cancellationToken).ConfigureAwait(false);
        return envelope.IsSuccess ? _vault.Rewrap(envelope.Value, requester, request.ReplyKey) : envelope.Error!;
    }
}

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
    /// <summary>The grant status and, when active, the height the grant was set at; anything but <see cref="GrantStatus.Active"/> refuses release.</summary>
    ValueTask<GrantCheck> CheckAsync(Address patient, Address provider, RecordType type, DateTimeOffset at, CancellationToken cancellationToken);
}

/// <summary>The answer of an <see cref="IGrantOracle"/>.</summary>
/// <param name="Status">The status.</param>
/// <param name="GrantHeight">When active: the height of the block that set the grant (what a release is recorded under).</param>
public readonly record struct GrantCheck(GrantStatus Status, ulong GrantHeight = 0);

/// <summary>
/// A signed request for a record key: the requester's Ed25519 key signs
/// <c>"HL-KEYREQ-v2" || chain id (u32 LE) || requester key (32) || reply key (32) || requested-at (i64 LE ms) || nonce (16)
/// || ciphertext hash (32) || address length (u8) || address (ASCII)</c>, and the key is released wrapped to
/// <see cref="ReplyKey"/>, bound to the requester's address. The nonce makes each request single-use: a service
/// serves a (requester, nonce) pair once inside its clock window.
/// </summary>
/// <param name="ChainId">Chain id.</param>
/// <param name="Requester">The requester's Ed25519 identity key.</param>
/// <param name="ContentAddress">The anchored content address asked for.</param>
/// <param name="CiphertextHash">The anchored ciphertext hash of that record (its on-chain id).</param>
/// <param name="ReplyKey">The X25519 key to wrap the record key to.</param>
/// <param name="RequestedAtMs">When the request was signed, Unix milliseconds.</param>
/// <param name="Nonce">16 random bytes chosen by the requester.</param>
/// <param name="Signature">The requester's signature.</param>
public sealed record KeyReleaseRequest(uint ChainId, PublicKey Requester, string ContentAddress, Hash256 CiphertextHash, EncryptionPublicKey ReplyKey, long RequestedAtMs, UInt128 Nonce, Signature Signature)
{
    /// <summary>Longest content address a request may name, in bytes (as on-chain anchors).</summary>
    public const int MaxContentAddressBytes = RecordAnchor.MaxContentAddressBytes;

    /// <summary>Size of the nonce in bytes.</summary>
    public const int NonceLength = 16;

    private static ReadOnlySpan<byte> Domain => "HL-KEYREQ-v2"u8;

    /// <summary>The requester's address.</summary>
    public Address RequesterAddress => Requester.ToAddress();

    /// <summary>Signs a request with a fresh nonce from <paramref name="random"/>.</summary>
    public static KeyReleaseRequest Create(KeyPair requester, uint chainId, string contentAddress, Hash256 ciphertextHash, EncryptionPublicKey replyKey, long requestedAtMs, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        Span<byte> nonce = stackalloc byte[NonceLength];
        random.Fill(nonce);
        return Create(requester, chainId, contentAddress, ciphertextHash, replyKey, requestedAtMs, BinaryPrimitives.ReadUInt128LittleEndian(nonce));
    }

    /// <summary>Signs a request with a given nonce.</summary>
    public static KeyReleaseRequest Create(KeyPair requester, uint chainId, string contentAddress, Hash256 ciphertextHash, EncryptionPublicKey replyKey, long requestedAtMs, UInt128 nonce)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var bytes = SignedBytes(chainId, requester.PublicKey, contentAddress, ciphertextHash, replyKey, requestedAtMs, nonce)
            ?? throw new ArgumentException("The content address is not ASCII of at most 128 bytes.", nameof(contentAddress));
        return new KeyReleaseRequest(chainId, requester.PublicKey, contentAddress, ciphertextHash, replyKey, requestedAtMs, nonce, requester.Sign(bytes));
    }

    /// <summary>True when the signature verifies (strict Ed25519) and the address is well-formed.</summary>
    public bool VerifySignature() =>
        SignedBytes(ChainId, Requester, ContentAddress, CiphertextHash, ReplyKey, RequestedAtMs, Nonce) is { } bytes && Ed25519.Instance.Verify(Requester, bytes, Signature);

    /// <summary>SHA-256 of the signed bytes and the signature: the id a release is recorded under on-chain (zero for a malformed request).</summary>
    public Hash256 RequestId
    {
        get
        {
            if (SignedBytes(ChainId, Requester, ContentAddress, CiphertextHash, ReplyKey, RequestedAtMs, Nonce) is not { } bytes)
            {
                return Hash256.Zero;
            }
            var all = new byte[bytes.Length + Signature.Length];
            bytes.CopyTo(all, 0);
            Signature.WriteTo(all.AsSpan(bytes.Length));
            return Hash256.Sha256(all);
        }
    }

    private static byte[]? SignedBytes(uint chainId, PublicKey requester, string? contentAddress, Hash256 ciphertextHash, EncryptionPublicKey? replyKey, long requestedAtMs, UInt128 nonce)
    {
        if (contentAddress is null || replyKey is null || contentAddress.Length > MaxContentAddressBytes || !Ascii.IsValid(contentAddress))
        {
            return null;
        }
        var bytes = new byte[Domain.Length + 4 + PublicKey.Length + EncryptionPublicKey.Length + 8 + NonceLength + Hash256.Length + 1 + contentAddress.Length];
        var span = bytes.AsSpan();
        Domain.CopyTo(span);
        var o = Domain.Length;
        BinaryPrimitives.WriteUInt32LittleEndian(span[o..], chainId);
        requester.WriteTo(span[(o += 4)..]);
        replyKey.Span.CopyTo(span[(o += PublicKey.Length)..]);
        BinaryPrimitives.WriteInt64LittleEndian(span[(o += EncryptionPublicKey.Length)..], requestedAtMs);
        BinaryPrimitives.WriteUInt128LittleEndian(span[(o += 8)..], nonce);
        ciphertextHash.WriteTo(span[(o += NonceLength)..]);
        span[o += Hash256.Length] = (byte)contentAddress.Length;
        Encoding.ASCII.GetBytes(contentAddress, span[(o + 1)..]);
        return bytes;
    }
}

/// <summary>Options of <see cref="KeyReleaseService"/>.</summary>
public sealed record KeyReleaseOptions
{
    /// <summary>How far a request's signing time may be from the service's clock, either way (default 5 minutes).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Most (requester, nonce) pairs remembered inside the clock window (default 100,000); when it is full of unexpired
    /// pairs, new requests are refused (<see cref="RecordErrorCode.TooLarge"/>) rather than forgetting one.
    /// </summary>
    public int MaxRememberedRequests { get; init; } = 100_000;
}

/// <summary>What a release decided, handed to the record step before the key leaves the service.</summary>
/// <param name="Anchor">The record.</param>
/// <param name="Recipient">Who receives the key.</param>
/// <param name="ReleasedAtMs">The service's time of the decision, Unix ms.</param>
/// <param name="GrantHeight">The height of the grant it is released under; 0 for the patient.</param>
/// <param name="RequestId">The request's id (<see cref="KeyReleaseRequest.RequestId"/>).</param>
public sealed record ReleaseDecision(AnchoredRecord Anchor, Address Recipient, long ReleasedAtMs, ulong GrantHeight, Hash256 RequestId);

/// <summary>A released key: the wrap for the requester and the decision it was recorded under.</summary>
/// <param name="Wrap">The record key, wrapped to the request's reply key and bound to the requester's address.</param>
/// <param name="Decision">What was decided (and recorded).</param>
public sealed record ReleasedKey(KeyWrap Wrap, ReleaseDecision Decision);

/// <summary>
/// Releases record keys. Checks, cheapest first: the chain, the named record against the anchor, the clock window,
/// the signature, the nonce (a replay inside the window is <see cref="RecordErrorCode.ReplayedRequest"/>); then the
/// patient is always served, anyone else only while <see cref="IGrantOracle"/> reports an active grant for the
/// patient, the anchor's record type and the service's current time (never a time the requester states). The envelope
/// is fetched and checked like any read, and the custodian's wrap is opened and re-wrapped to the requester's reply
/// key, bound to the requester's address. Then the optional <em>record step</em> runs (the node writes the release
/// on-chain there); only when it succeeds does the wrap leave the service, so no release goes unrecorded. A refusal
/// by grant is <see cref="RecordErrorCode.AccessDenied"/> with the <see cref="GrantStatus"/> in <see cref="RecordError.Actual"/>.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use when its vault and grant oracle are; it holds no mutable state.</remarks>
public sealed class KeyReleaseService
{
    private readonly RecordVault _vault;
    private readonly IGrantOracle _grants;
    private readonly TimeProvider _time;
    private readonly KeyReleaseOptions _options;
    private readonly ReplayWindow _seen;

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
        _seen = new ReplayWindow(_options.MaxRememberedRequests);
    }

    /// <summary>Checks a request against the anchor it names and returns the record key wrapped for the requester (no record step).</summary>
    public Task<RecordResult<ReleasedKey>> ReleaseAsync(KeyReleaseRequest request, AnchoredRecord anchor, CancellationToken cancellationToken) =>
        ReleaseAsync(request, anchor, null, cancellationToken);

    /// <summary>
    /// Checks a request against the anchor it names, runs <paramref name="record"/> with the decision, and returns the
    /// record key wrapped for the requester only when the record step succeeded.
    /// </summary>
    public async Task<RecordResult<ReleasedKey>> ReleaseAsync(KeyReleaseRequest request, AnchoredRecord anchor, Func<ReleaseDecision, CancellationToken, Task<RecordResult>>? record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(anchor);
        if (request.ChainId != _vault.ChainId || anchor.ChainId != _vault.ChainId)
        {
            return RecordResult<ReleasedKey>.Fail(RecordErrorCode.StaleRequest, "the request is for another chain", request.ChainId, _vault.ChainId);
        }
        if (!string.Equals(request.ContentAddress, anchor.ContentAddress, StringComparison.Ordinal) || request.CiphertextHash != anchor.CiphertextHash)
        {
            return RecordResult<ReleasedKey>.Fail(RecordErrorCode.ContextMismatch, "the request names another record than the anchor");
        }
        var now = _time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        var skewLimitMs = (long)_options.MaxClockSkew.TotalMilliseconds;
        var skewMs = Math.Abs(nowMs - request.RequestedAtMs);
        if (skewMs > skewLimitMs)
        {
            return RecordResult<ReleasedKey>.Fail(RecordErrorCode.StaleRequest, "the request was signed too far from now", skewMs, skewLimitMs);
        }
        if (!request.VerifySignature())
        {
            return RecordResult<ReleasedKey>.Fail(RecordErrorCode.BadSignature, "the request's signature does not verify");
        }
        var requester = request.RequesterAddress;
        switch (_seen.TryAdd(requester, request.Nonce, request.RequestedAtMs + skewLimitMs, nowMs))
        {
            case ReplayWindow.Outcome.Seen:
                return RecordResult<ReleasedKey>.Fail(RecordErrorCode.ReplayedRequest, "this request (requester and nonce) was already served");
            case ReplayWindow.Outcome.Full:
                return RecordResult<ReleasedKey>.Fail(RecordErrorCode.TooLarge, "too many requests inside the clock window", _options.MaxRememberedRequests, _options.MaxRememberedRequests);
        }
        ulong grantHeight = 0;
        if (requester != anchor.Patient)
        {
            var check = await _grants.CheckAsync(anchor.Patient, requester, anchor.RecordType, now, cancellationToken).ConfigureAwait(false);
            if (check.Status != GrantStatus.Active)
            {
                return RecordResult<ReleasedKey>.Fail(RecordErrorCode.AccessDenied, $"{requester} holds no active grant for {anchor.RecordType} records of {anchor.Patient}: {check.Status}", (long)check.Status);
            }
            grantHeight = check.GrantHeight;
        }
        var envelope = await _vault.FetchAsync(anchor, cancellationToken).ConfigureAwait(false);
        if (!envelope.IsSuccess)
        {
            return envelope.Error!;
        }
        var wrap = _vault.Rewrap(envelope.Value, requester, request.ReplyKey);
        if (!wrap.IsSuccess)
        {
            return wrap.Error!;
        }
        var decision = new ReleaseDecision(anchor, requester, nowMs, grantHeight, request.RequestId);
        if (record is not null)
        {
            var recorded = await record(decision, cancellationToken).ConfigureAwait(false);
            if (!recorded.IsSuccess)
            {
                return recorded.Error! with { Code = RecordErrorCode.NotRecorded, Detail = "the release was not recorded, so no key was released: " + recorded.Error };
            }
        }
        return new ReleasedKey(wrap.Value, decision);
    }
}

/// <summary>
/// The (requester, nonce) pairs served inside the clock window, each forgotten once its request is stale anyway.
/// Bounded: when full of unexpired pairs it refuses rather than forgets (forgetting would let a replay through).
/// </summary>
internal sealed class ReplayWindow(int capacity)
{
    private readonly HashSet<(Address, UInt128)> _seen = [];
    private readonly PriorityQueue<(Address, UInt128), long> _expiry = new();
    private readonly Lock _lock = new();

    public enum Outcome
    {
        Added,
        Seen,
        Full,
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    public Outcome TryAdd(Address requester, UInt128 nonce, long expiresAtMs, long nowMs)
    {
        lock (_lock)
        {
            while (_expiry.TryPeek(out var old, out var at) && at < nowMs)
            {
                _expiry.Dequeue();
                _seen.Remove(old);
            }
            if (_seen.Contains((requester, nonce)))
            {
                return Outcome.Seen;
            }
            if (_seen.Count >= capacity)
            {
                return Outcome.Full;
            }
            _seen.Add((requester, nonce));
            _expiry.Enqueue((requester, nonce), expiresAtMs);
            return Outcome.Added;
        }
    }
}

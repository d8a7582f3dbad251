using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Mempool;

/// <summary>Mempool limits and policy.</summary>
public sealed record MempoolOptions
{
    /// <summary>Most transactions held.</summary>
    public int MaxTransactions { get; init; } = 50_000;

    /// <summary>Most pending transactions per sender.</summary>
    public int MaxPerSender { get; init; } = 1_000;

    /// <summary>Transactions older than this (by their own timestamp, against the injected clock) are evicted.</summary>
    public TimeSpan MaxAge { get; init; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The mempool: an ordered admission pipeline (shape → duplicate → signature → state → gates), then the
/// pending list in admission order. Admission applies the transaction on top of a pending state (tip state plus every
/// pending transaction), so sequences and cross-transaction dependencies (register a device, then anchor its record)
/// are checked exactly as a block would check them.
/// </summary>
/// <remarks>
/// Eviction policy: when full, consensus-critical transactions (attestations, misbehaviour evidence) evict the most
/// recently admitted non-critical transaction whose sender has nothing pending after it; anything else is refused with
/// <see cref="RejectionCode.MempoolFull"/>. Transactions older than <see cref="MempoolOptions.MaxAge"/> are dropped
/// when a block connects. Mined transactions are removed when their block connects; a reorg re-admits the
/// transactions of disconnected blocks (origin <see cref="TransactionOrigin.Reorg"/>).
/// </remarks>
public sealed class TransactionPool
{
    private readonly object _gate = new();
    private readonly Blockchain _chain;
    private readonly TimeProvider _time;
    private readonly MempoolOptions _options;
    private readonly List<IAdmissionFilter> _gates = [];
    private readonly List<Transaction> _pending = [];
    private readonly Dictionary<Hash256, Transaction> _byId = [];
    private readonly Dictionary<Address, int> _perSender = [];
    private LedgerState _pendingState;

    // The tip this pool's pending state builds on. Cached so the pool never asks the chain (and takes the chain's lock)
    // while it holds its own lock: the chain calls the pool under the chain's lock, so the opposite order could deadlock.
    private ChainEntry _tip;

    /// <summary>Creates a mempool that follows <paramref name="chain"/>.</summary>
    public TransactionPool(Blockchain chain, TimeProvider? time = null, MempoolOptions? options = null)
    {
        _chain = chain ?? throw new ArgumentNullException(nameof(chain));
        _time = time ?? TimeProvider.System;
        _options = options ?? new MempoolOptions();
        _tip = chain.Tip;
        _pendingState = _tip.State;
        chain.TipChanged += OnTipChanged;
    }

    /// <summary>Number of pending transactions.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>The state after the tip and every pending transaction.</summary>
    public LedgerState PendingState
    {
        get
        {
            lock (_gate)
            {
                return _pendingState;
            }
        }
    }

    /// <summary>Adds a gate that runs after the built-in filters (for example the intrusion detector).</summary>
    public void AddGate(IAdmissionFilter gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        lock (_gate)
        {
            _gates.Add(gate);
        }
    }

    /// <summary>True if the transaction is pending.</summary>
    public bool Contains(Hash256 id)
    {
        lock (_gate)
        {
            return _byId.ContainsKey(id);
        }
    }

    /// <summary>Submits a transaction.</summary>
    public AdmissionResult Submit(Transaction tx, TransactionOrigin origin = TransactionOrigin.Local, object? attachment = null)
    {
        ArgumentNullException.ThrowIfNull(tx);

        // Cheap and stateless first, and signatures outside the lock so that admissions verify in parallel.
        var validator = _chain.TransactionValidator;
        var shape = validator.CheckShape(tx);
        if (!shape.IsValid)
        {
            return new AdmissionResult(false, shape, "shape");
        }

        lock (_gate)
        {
            var early = CheckDuplicateAndSender(tx);
            if (early is not null)
            {
                return early;
            }
        }

        var sig = validator.CheckSignatures(tx);
        if (!sig.IsValid)
        {
            return new AdmissionResult(false, sig, "signature");
        }

        lock (_gate)
        {
            return CheckDuplicateAndSender(tx) ?? Admit(tx, origin, attachment);
        }
    }

    /// <summary>Submits an encoded transaction from an untrusted source; non-canonical bytes give <see cref="RejectionCode.MalformedEncoding"/>.</summary>
    public AdmissionResult SubmitEncoded(ReadOnlyMemory<byte> bytes, TransactionOrigin origin = TransactionOrigin.Peer)
    {
        Transaction tx;
        try
        {
            tx = Transaction.Decode(bytes);
        }
        catch (Encoding.LedgerFormatException ex)
        {
            return new AdmissionResult(false, ValidationResult.Reject(RejectionCode.MalformedEncoding, ex.Message), "decode");
        }

        return Submit(tx, origin);
    }

    /// <summary>Pending transactions in admission order (a valid order on the tip state), at most <paramref name="max"/>.</summary>
    public IReadOnlyList<Transaction> SelectForBlock(int max)
    {
        lock (_gate)
        {
            return _pending.Take(max).ToArray();
        }
    }

    /// <summary>A snapshot of every pending transaction.</summary>
    public IReadOnlyList<Transaction> Snapshot()
    {
        lock (_gate)
        {
            return [.. _pending];
        }
    }

    private AdmissionResult? CheckDuplicateAndSender(Transaction tx)
    {
        if (_byId.ContainsKey(tx.Id))
        {
            return new AdmissionResult(false, ValidationResult.Reject(RejectionCode.DuplicateInMempool, $"{tx.Id.ToShortString()} is already pending"), "duplicate");
        }

        return _perSender.GetValueOrDefault(tx.SenderAddress) >= _options.MaxPerSender
            ? new AdmissionResult(false, ValidationResult.Reject(RejectionCode.SenderLimit, $"{tx.SenderAddress} has {_options.MaxPerSender} pending transactions", _options.MaxPerSender, _options.MaxPerSender), "sender-limit")
            : null;
    }

    private AdmissionResult Admit(Transaction tx, TransactionOrigin origin, object? attachment)
    {
        var tip = _tip;
        var context = PendingContext(tip);
        var (next, applied) = _pendingState.ApplyTransaction(tx, context);
        if (next is null)
        {
            // A sequence already consumed on-chain means it was mined: report it as a duplicate.
            var code = applied.Code == RejectionCode.BadSequence && tx.Sequence < _pendingState.GetNextSequence(tx.SenderAddress) && tx.Sequence < tip.State.GetNextSequence(tx.SenderAddress)
                ? RejectionCode.DuplicateInMempool : applied.Code;
            return new AdmissionResult(false, code == applied.Code ? applied : ValidationResult.Reject(code, $"sequence {tx.Sequence} was already used on-chain"), "state");
        }

        foreach (var gate in _gates)
        {
            var r = gate.Check(new AdmissionContext(tx, _pendingState, origin, attachment));
            if (!r.IsValid)
            {
                return new AdmissionResult(false, r, gate.Name);
            }
        }

        if (_pending.Count >= _options.MaxTransactions)
        {
            if (!TryEvictFor(tx))
            {
                return new AdmissionResult(false, ValidationResult.Reject(RejectionCode.MempoolFull, $"mempool holds {_pending.Count} transactions", _pending.Count, _options.MaxTransactions), "capacity");
            }

            // The eviction rebuilt the pending state without the evicted transaction: apply the newcomer on top of that.
            (next, applied) = _pendingState.ApplyTransaction(tx, context);
            if (next is null)
            {
                return new AdmissionResult(false, applied, "state");
            }
        }

        _pendingState = next;
        _pending.Add(tx);
        _byId[tx.Id] = tx;
        _perSender[tx.SenderAddress] = _perSender.GetValueOrDefault(tx.SenderAddress) + 1;
        return AdmissionResult.Admitted;
    }

    private static bool IsCritical(Transaction tx) => tx.Kind is TransactionKind.Attestation or TransactionKind.MisbehaviourEvidence;

    private bool TryEvictFor(Transaction tx)
    {
        if (!IsCritical(tx))
        {
            return false;
        }

        for (var i = _pending.Count - 1; i >= 0; i--)
        {
            var candidate = _pending[i];
            if (IsCritical(candidate))
            {
                continue;
            }

            // Only the last pending transaction of its sender can go without breaking a sequence.
            var hasLater = false;
            for (var j = i + 1; j < _pending.Count && !hasLater; j++)
            {
                hasLater = _pending[j].SenderAddress == candidate.SenderAddress;
            }

            if (!hasLater)
            {
                var remaining = _pending.Where((_, k) => k != i).ToList();
                Rebuild(remaining, _tip);
                return _pending.Count < _options.MaxTransactions;
            }
        }

        return false;
    }

    private BlockContext PendingContext(ChainEntry tip) =>
        new(tip.Height + 1, Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), tip.Header.TimestampMs + 1), _chain.Genesis.ChainId, h => tip.GetAncestor(h)?.Hash);

    private void OnTipChanged(ChainUpdate update)
    {
        lock (_gate)
        {
            var mined = new HashSet<Hash256>(update.Connected.SelectMany(b => b.Transactions).Select(t => t.Id));
            var readmit = update.Disconnected.Reverse().SelectMany(b => b.Transactions).Where(t => !mined.Contains(t.Id));
            var candidates = readmit.Concat(_pending.Where(t => !mined.Contains(t.Id))).ToList();
            _tip = _chain.GetEntry(update.Connected[^1].Hash)!;
            Rebuild(candidates, _tip);
        }
    }

    private void Rebuild(List<Transaction> candidates, ChainEntry tip)
    {
        _pending.Clear();
        _byId.Clear();
        _perSender.Clear();
        _pendingState = tip.State;
        var oldest = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.MaxAge.TotalMilliseconds;
        var context = PendingContext(tip);
        foreach (var tx in candidates)
        {
            if (tx.TimestampMs < oldest || _byId.ContainsKey(tx.Id) || _pending.Count >= _options.MaxTransactions)
            {
                continue;
            }

            var (next, _) = _pendingState.ApplyTransaction(tx, context);
            if (next is null)
            {
                continue;
            }

            _pendingState = next;
            _pending.Add(tx);
            _byId[tx.Id] = tx;
            _perSender[tx.SenderAddress] = _perSender.GetValueOrDefault(tx.SenderAddress) + 1;
        }
    }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Mempool;

/// <summary>
/// The mempool: an ordered admission pipeline (shape → duplicate and quotas → signature → state → gates → capacity),
/// then the pending list in admission order. Admission applies the transaction on top of a pending state (tip state plus
/// every pending transaction), so sequences and cross-transaction dependencies (register a device, then anchor its
/// record) are checked exactly as a block would check them.
/// </summary>
/// <remarks>
/// <para>Policy (docs/security.md, "Mempool policy"). Every transaction gets a <see cref="PriorityClass"/> from its kind
/// and its sender's on-chain identity (<see cref="MempoolClassifier"/>). Limits, each in transactions and in bytes:
/// the whole pool (<see cref="MempoolOptions.MaxTransactions"/>, <see cref="MempoolOptions.MaxBytes"/>), each sender
/// (<see cref="MempoolOptions.MaxPerSender"/>, <see cref="MempoolOptions.MaxBytesPerSender"/>:
/// <see cref="RejectionCode.SenderLimit"/>), and the shares of the two free classes
/// (<see cref="MempoolOptions.PatientSharePercent"/>, <see cref="MempoolOptions.NewcomerSharePercent"/>:
/// <see cref="RejectionCode.PriorityClassFull"/>). The free classes are admitted only below
/// <see cref="MempoolOptions.FreeClassFillPercent"/> of the pool and never evict. When the pool is full, a transaction evicts the newest transactions
/// of the lowest class strictly below its own (in batches of <see cref="MempoolOptions.EvictionBatch"/>); with nothing
/// lower to evict it is refused with <see cref="RejectionCode.MempoolFull"/>. Quotas and capacity are checked before
/// the signature, so a flood from fresh keys is refused for the cost of a dictionary lookup.</para>
/// <para>A pending patient registration that a pending device registration needs is promoted to
/// <see cref="PriorityClass.Infrastructure"/>: the provider vouched for that patient.</para>
/// <para>Transactions older than <see cref="MempoolOptions.MaxAge"/> are dropped when a block connects. Mined
/// transactions are removed when their block connects; a reorg re-admits the transactions of disconnected blocks
/// (origin <see cref="TransactionOrigin.Reorg"/>) ahead of the pending ones, under the same limits.</para>
/// <para>Thread safety: every member may be called from any thread. Signatures are verified outside the pool's lock (admissions verify in parallel); the rest of admission, gates included, and block selection run under it, so a gate must not call back into the pool or into code that waits on it.</para>
/// </remarks>
public sealed class TransactionPool
{
    private readonly object _gate = new();
    private readonly Blockchain _chain;
    private readonly TimeProvider _time;
    private readonly MempoolOptions _options;
    private readonly List<IAdmissionFilter> _gates = [];
    private readonly List<PendingTransaction> _pending = [];
    private readonly Dictionary<Hash256, PendingTransaction> _byId = [];
    private readonly Dictionary<Address, SenderPending> _bySender = [];
    private readonly int[] _classCount = new int[MempoolClassifier.ClassCount];
    private readonly long[] _classBytes = new long[MempoolClassifier.ClassCount];
    private long _totalBytes;
    private LedgerState _pendingState;

    // The tip this pool's pending state builds on. Cached so the pool never asks the chain (and takes the chain's lock)
    // while it holds its own lock: the chain calls the pool under the chain's lock, so the opposite order could deadlock.
    private ChainEntry _tip;

    /// <summary>Creates a mempool that follows <paramref name="chain"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public TransactionPool(Blockchain chain, TimeProvider? time = null, MempoolOptions? options = null)
    {
        _chain = chain ?? throw new ArgumentNullException(nameof(chain));
        _time = time ?? TimeProvider.System;
        _options = options ?? new MempoolOptions();
        _options.Validate();
        _tip = chain.Tip;
        _pendingState = _tip.State;
        chain.TipChanged += OnTipChanged;
        chain.BlockConnected += OnBlockConnected;
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

    /// <summary>The pool's limits and policy.</summary>
    public MempoolOptions Options => _options;

    /// <summary>Adds a gate that runs after the built-in filters (for example the intrusion detector).</summary>
    public void AddGate(IAdmissionFilter gate)
    {
        ArgumentNullException.ThrowIfNull(gate);
        lock (_gate)
        {
            _gates.Add(gate);
        }
    }

    /// <summary>The pending transaction with this id, or null.</summary>
    public Transaction? Get(Hash256 id)
    {
        lock (_gate)
        {
            return _byId.TryGetValue(id, out var entry) ? entry.Tx : null;
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

    /// <summary>The priority class of a pending transaction, or null when it is not pending.</summary>
    public PriorityClass? GetClass(Hash256 id)
    {
        lock (_gate)
        {
            return _byId.TryGetValue(id, out var entry) ? entry.Class : null;
        }
    }

    /// <summary>How many transactions and bytes each priority class holds, highest class first.</summary>
    public IReadOnlyList<MempoolClassUsage> GetUsage()
    {
        lock (_gate)
        {
            return [.. Enum.GetValues<PriorityClass>().Select(c => new MempoolClassUsage(c, _classCount[(int)c], _classBytes[(int)c], _options.ClassCountLimit(c), _options.ClassByteLimit(c)))];
        }
    }

    /// <summary>Submits a transaction.</summary>
    public AdmissionResult Submit(Transaction tx, TransactionOrigin origin = TransactionOrigin.Local, object? attachment = null)
    {
        ArgumentNullException.ThrowIfNull(tx);

        // Cheap and stateless first, then the pool's quotas (a lookup), and signatures outside the lock so that
        // admissions verify in parallel and a refused flood never costs a signature check.
        var validator = _chain.TransactionValidator;
        var shape = validator.CheckShape(tx);
        if (!shape.IsValid)
        {
            return new AdmissionResult(false, shape, "shape");
        }

        var size = tx.EncodedSize;
        lock (_gate)
        {
            var early = CheckPolicy(tx, size);
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
            return CheckPolicy(tx, size) ?? Admit(tx, size, origin, attachment);
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

    /// <summary>
    /// A block template: at most <paramref name="max"/> pending transactions, highest <see cref="PriorityClass"/> first
    /// (admission order within a class), in an order that applies on the tip state. A transaction that depends on a
    /// lower-class one (a device registration on a newcomer's registration) follows it in a later pass.
    /// </summary>
    /// <param name="max">The most transactions to take.</param>
    /// <param name="maxBytes">The most encoded transaction bytes to take (a transaction that would pass it is skipped,
    /// and smaller ones after it may still fit); pass the block byte limit minus the header and framing.</param>
    public IReadOnlyList<Transaction> SelectForBlock(int max, long maxBytes = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        lock (_gate)
        {
            var remaining = _pending.OrderBy(e => e.Class).ToList();
            var selected = new List<Transaction>(Math.Min(max, remaining.Count));
            var state = _tip.State;
            var context = PendingContext(_tip);
            long bytes = 0;

            // Each pass takes everything that applies; dependencies across classes are at most a few steps deep
            // (registration → device registration → anchor), so the passes are bounded.
            for (var pass = 0; pass <= MempoolClassifier.ClassCount && remaining.Count > 0 && selected.Count < max; pass++)
            {
                var deferred = new List<PendingTransaction>();
                foreach (var entry in remaining)
                {
                    if (selected.Count >= max)
                    {
                        break;
                    }

                    if (bytes + entry.Size > maxBytes)
                    {
                        continue;
                    }

                    var (next, _) = state.ApplyTransaction(entry.Tx, context);
                    if (next is null)
                    {
                        deferred.Add(entry);
                        continue;
                    }

                    state = next;
                    bytes += entry.Size;
                    selected.Add(entry.Tx);
                }

                if (deferred.Count == remaining.Count)
                {
                    break;
                }

                remaining = deferred;
            }

            return selected;
        }
    }

    /// <summary>A snapshot of every pending transaction, in admission order.</summary>
    public IReadOnlyList<Transaction> Snapshot()
    {
        lock (_gate)
        {
            return [.. _pending.Select(e => e.Tx)];
        }
    }

    // Duplicates, then the sender's quota, then the class's share, then whether there is room or something lower to
    // evict: all lookups, no signature, no state.
    private AdmissionResult? CheckPolicy(Transaction tx, int size)
    {
        if (_byId.ContainsKey(tx.Id))
        {
            return Refuse(RejectionCode.DuplicateInMempool, $"{tx.Id.ToShortString()} is already pending", "duplicate");
        }

        var sender = _bySender.GetValueOrDefault(tx.SenderAddress);
        var senderCount = sender?.Items.Count ?? 0;
        if (senderCount >= _options.MaxPerSender)
        {
            return Refuse(RejectionCode.SenderLimit, $"{tx.SenderAddress} has {senderCount} pending transactions", "sender-limit", senderCount + 1, _options.MaxPerSender);
        }

        var senderBytes = sender?.Bytes ?? 0;
        if (senderBytes + size > _options.MaxBytesPerSender)
        {
            return Refuse(RejectionCode.SenderLimit, $"{tx.SenderAddress} has {senderBytes} pending bytes, this transaction is {size}", "sender-limit", senderBytes + size, _options.MaxBytesPerSender);
        }

        var priority = MempoolClassifier.Classify(tx, _pendingState, _tip.State);
        return CheckClassShare(priority, size) ?? CheckCapacity(priority, size);
    }

    private AdmissionResult? CheckClassShare(PriorityClass priority, int size)
    {
        int c = (int)priority, countLimit = _options.ClassCountLimit(priority);
        long byteLimit = _options.ClassByteLimit(priority);
        if (countLimit >= _options.MaxTransactions && byteLimit >= _options.MaxBytes)
        {
            return null; // a class allowed the whole pool is limited by capacity alone (MempoolFull)
        }

        if (_classCount[c] + 1 > countLimit)
        {
            return Refuse(RejectionCode.PriorityClassFull, $"class {priority} holds {_classCount[c]} of its {countLimit} transactions", "class-share", _classCount[c] + 1, countLimit);
        }

        return _classBytes[c] + size > byteLimit
            ? Refuse(RejectionCode.PriorityClassFull, $"class {priority} holds {_classBytes[c]} of its {byteLimit} bytes, this transaction is {size}", "class-share", _classBytes[c] + size, byteLimit)
            : null;
    }

    private AdmissionResult? CheckCapacity(PriorityClass priority, int size)
    {
        if (priority >= PriorityClass.Patient)
        {
            // The free classes stop short of a full pool and never evict: the headroom is for identified senders.
            if (_pending.Count + 1 > _options.FreeClassCountLimit)
            {
                return Refuse(RejectionCode.MempoolFull, $"mempool holds {_pending.Count} transactions; free classes stop at {_options.FreeClassCountLimit}", "capacity", _pending.Count + 1, _options.FreeClassCountLimit);
            }

            if (_totalBytes + size > _options.FreeClassByteLimit)
            {
                return Refuse(RejectionCode.MempoolFull, $"mempool holds {_totalBytes} bytes; free classes stop at {_options.FreeClassByteLimit}", "capacity", _totalBytes + size, _options.FreeClassByteLimit);
            }
        }

        var (needCount, needBytes) = RoomNeeded(size);
        if (needCount <= 0 && needBytes <= 0)
        {
            return null;
        }

        long lowerCount = 0, lowerBytes = 0;
        for (var c = (int)priority + 1; c < MempoolClassifier.ClassCount; c++)
        {
            lowerCount += _classCount[c];
            lowerBytes += _classBytes[c];
        }

        if (lowerCount >= needCount && lowerBytes >= needBytes)
        {
            return null;
        }

        return needCount > 0
            ? Refuse(RejectionCode.MempoolFull, $"mempool holds {_pending.Count} transactions and nothing below class {priority} to evict", "capacity", _pending.Count + 1, _options.MaxTransactions)
            : Refuse(RejectionCode.MempoolFull, $"mempool holds {_totalBytes} bytes and nothing below class {priority} to evict", "capacity", _totalBytes + size, _options.MaxBytes);
    }

    private (long Count, long Bytes) RoomNeeded(int size) =>
        (_pending.Count + 1L - _options.MaxTransactions, _totalBytes + size - _options.MaxBytes);

    private static AdmissionResult Refuse(RejectionCode code, string message, string filter, long? actual = null, long? limit = null) =>
        new(false, ValidationResult.Reject(code, message, actual, limit), filter);

    private AdmissionResult Admit(Transaction tx, int size, TransactionOrigin origin, object? attachment)
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

        var priority = MempoolClassifier.Classify(tx, _pendingState, _tip.State);
        var (needCount, needBytes) = RoomNeeded(size);
        if (needCount > 0 || needBytes > 0)
        {
            if (!TryEvictBelow(priority, needCount, needBytes))
            {
                return CheckCapacity(priority, size) ?? Refuse(RejectionCode.MempoolFull, "eviction freed too little room", "capacity");
            }

            // The eviction rebuilt the pending state without the evicted transactions: judge the newcomer on that.
            (next, applied) = _pendingState.ApplyTransaction(tx, context);
            if (next is null)
            {
                return new AdmissionResult(false, applied, "state");
            }

            priority = MempoolClassifier.Classify(tx, _pendingState, _tip.State);
            var again = CheckClassShare(priority, size) ?? CheckCapacity(priority, size);
            if (again is not null)
            {
                return again;
            }
        }

        _pendingState = next;
        Add(new PendingTransaction(tx, size, priority));
        return AdmissionResult.Admitted;
    }

    private void Add(PendingTransaction entry)
    {
        _pending.Add(entry);
        _byId[entry.Tx.Id] = entry;
        if (!_bySender.TryGetValue(entry.Tx.SenderAddress, out var sender))
        {
            _bySender[entry.Tx.SenderAddress] = sender = new SenderPending();
        }

        sender.Items.Add(entry);
        sender.Bytes += entry.Size;
        _classCount[(int)entry.Class]++;
        _classBytes[(int)entry.Class] += entry.Size;
        _totalBytes += entry.Size;

        // A provider registering a device for a patient whose registration is still pending vouches for that patient:
        // the registration moves up with the device registration, so neither is evicted or ordered apart.
        if (entry.Tx.Payload is DeviceRegistration device
            && entry.Class <= PriorityClass.Infrastructure
            && _bySender.TryGetValue(device.Patient, out var patientTxs)
            && patientTxs.Items is [{ Tx.Kind: TransactionKind.PatientRegistration, Class: > PriorityClass.Infrastructure } registration, ..])
        {
            _classCount[(int)registration.Class]--;
            _classBytes[(int)registration.Class] -= registration.Size;
            registration.Class = PriorityClass.Infrastructure;
            _classCount[(int)registration.Class]++;
            _classBytes[(int)registration.Class] += registration.Size;
        }
    }

    // Evicts the newest transactions of the lowest class below `priority` (then the next lowest), each with its
    // sender's later transactions, until the room needed and at least one eviction batch is free; rebuilds once.
    private bool TryEvictBelow(PriorityClass priority, long needCount, long needBytes)
    {
        var targetCount = needCount > 0 ? Math.Max(needCount, _options.EvictionBatch) : 0;
        var evicted = new HashSet<PendingTransaction>();
        long freedCount = 0, freedBytes = 0;
        for (var c = MempoolClassifier.ClassCount - 1; c > (int)priority && (freedCount < targetCount || freedBytes < needBytes); c--)
        {
            for (var i = _pending.Count - 1; i >= 0 && (freedCount < targetCount || freedBytes < needBytes); i--)
            {
                var candidate = _pending[i];
                if ((int)candidate.Class != c || evicted.Contains(candidate))
                {
                    continue;
                }

                var senderTxs = _bySender[candidate.Tx.SenderAddress].Items;
                for (var j = senderTxs.IndexOf(candidate); j < senderTxs.Count; j++)
                {
                    if (evicted.Add(senderTxs[j]))
                    {
                        freedCount++;
                        freedBytes += senderTxs[j].Size;
                    }
                }
            }
        }

        if (freedCount < needCount || freedBytes < needBytes)
        {
            return false;
        }

        Rebuild([.. _pending.Where(e => !evicted.Contains(e)).Select(e => e.Tx)], _tip);
        return true;
    }

    private BlockContext PendingContext(ChainEntry tip) =>
        new(tip.Height + 1, Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds(), tip.Header.TimestampMs + 1), _chain.Genesis.ChainId, h => tip.GetAncestor(h)?.Hash);

    /// <summary>
    /// The finality votes of a block that did not join the best chain are taken up, so that a miner includes them there:
    /// a node that never saw the side block would otherwise never see them (votes are not sequenced, so they still apply).
    /// </summary>
    private void OnBlockConnected(ChainEntry entry)
    {
        if (_chain.IsOnBestChain(entry.Hash))
        {
            return;
        }

        foreach (var tx in entry.Block.Transactions)
        {
            if (tx.Payload is Attestation)
            {
                Submit(tx, TransactionOrigin.Reorg);
            }
        }
    }

    private void OnTipChanged(ChainUpdate update)
    {
        lock (_gate)
        {
            var mined = new HashSet<Hash256>(update.Connected.SelectMany(b => b.Transactions).Select(t => t.Id));
            var readmit = update.Disconnected.Reverse().SelectMany(b => b.Transactions).Where(t => !mined.Contains(t.Id));
            var candidates = readmit.Concat(_pending.Select(e => e.Tx).Where(t => !mined.Contains(t.Id))).ToList();
            // Events are raised after the chain's lock is released: by now the chain may have moved on, and a block of a
            // branch that left the final chain is forgotten (state on disk). Then rebuild on the chain's tip.
            _tip = _chain.GetEntry(update.Connected[^1].Hash) ?? _chain.Tip;
            Rebuild(candidates, _tip);
        }
    }

    // Re-admits `candidates` in order on the tip state under every limit (no signature checks: each was checked when
    // it first arrived or is in a block that was valid); what no longer applies, is too old or over a limit is dropped.
    private void Rebuild(List<Transaction> candidates, ChainEntry tip)
    {
        _pending.Clear();
        _byId.Clear();
        _bySender.Clear();
        Array.Clear(_classCount);
        Array.Clear(_classBytes);
        _totalBytes = 0;
        _pendingState = tip.State;
        var oldest = _time.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.MaxAge.TotalMilliseconds;
        var context = PendingContext(tip);
        foreach (var tx in candidates)
        {
            var size = tx.EncodedSize;
            if (tx.TimestampMs < oldest || CheckPolicy(tx, size) is not null || RoomNeeded(size) is ( > 0, _) or (_, > 0))
            {
                continue;
            }

            var priority = MempoolClassifier.Classify(tx, _pendingState, _tip.State);
            var (next, _) = _pendingState.ApplyTransaction(tx, context);
            if (next is null)
            {
                continue;
            }

            _pendingState = next;
            Add(new PendingTransaction(tx, size, priority));
        }
    }

    private sealed class SenderPending
    {
        public List<PendingTransaction> Items { get; } = [];

        public long Bytes { get; set; }
    }

    private sealed class PendingTransaction(Transaction tx, int size, PriorityClass priority)
    {
        public Transaction Tx { get; } = tx;

        public int Size { get; } = size;

        public PriorityClass Class { get; set; } = priority;
    }
}

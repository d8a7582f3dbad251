using System.Numerics;
using HealthLedger.Consensus.Hashing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Mining;

/// <summary>
/// A multi-threaded proof-of-work miner: finds a nonce (and possibly a newer timestamp) for which the header hash,
/// read as a big-endian integer, is at most a target. Engine-agnostic; the ePoW engine signs the result afterwards.
/// </summary>
/// <remarks>
/// Thread t of N searches the lane nonces 0..2^32−1 under the extra nonces <c>start + t</c>, <c>start + t + N</c>, …
/// so the threads never hash the same header. When a range is exhausted the thread first moves the timestamp to
/// the clock's time (if it has advanced), which opens a fresh space under the same extra nonce, else the extra nonce.
/// Each thread looks at the stop signal every <see cref="MinerOptions.BatchSize"/> nonces (well under a
/// millisecond), and the first thread to find a nonce stops the others.
/// </remarks>
public sealed class Miner
{
    private readonly MinerOptions _options;
    private readonly TimeProvider _time;
    private readonly HashKernel _kernel;

    /// <summary>Creates a miner.</summary>
    /// <param name="options">Threads, kernel and rolling policy.</param>
    /// <param name="timeProvider">The clock used to roll timestamps and to time the hash rate.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public Miner(MinerOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.NoncesPerRange, 1UL);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.NoncesPerRange, NonceSearch.NoncesPerExtraNonce);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1u);
        _options = options;
        _time = timeProvider;
        _kernel = NonceSearch.Resolve(options.Kernel);
        if (_kernel == HashKernel.ShaNi && !NonceSearch.IsAccelerated(_kernel))
        {
            throw new ArgumentException("The SHA-NI kernel needs x86-64 Linux with the SHA extensions.", nameof(options));
        }
    }

    /// <summary>The kernel the threads run.</summary>
    public HashKernel Kernel => _kernel;

    /// <summary>The number of worker threads.</summary>
    public int Threads => _options.Threads;

    /// <summary>Mines on a thread-pool task; see <see cref="Mine"/>.</summary>
    public Task<MiningResult> MineAsync(BlockHeader template, BigInteger target, CancellationToken cancellationToken = default) =>
        Task.Run(() => Mine(template, target, cancellationToken), CancellationToken.None);

    /// <summary>
    /// Searches until a header meets <paramref name="target"/> or <paramref name="cancellationToken"/> fires.
    /// Blocks the calling thread while the worker threads run.
    /// </summary>
    /// <param name="template">The header to seal; its nonce and seal are ignored, its timestamp is the starting one.</param>
    /// <param name="target">The target (clamped to 0 .. 2^256 − 1).</param>
    /// <param name="cancellationToken">Stops every thread within one batch.</param>
    /// <returns>The sealed (unsigned) header <c>template.WithNonce(nonce, timestamp)</c>, or no header when cancelled.</returns>
    /// <exception cref="AggregateException">A worker thread failed (the others are stopped first).</exception>
    public MiningResult Mine(BlockHeader template, BigInteger target, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        var targetHash = NonceSearch.ToTargetHash(target);
        var threads = _options.Threads;
        var counters = new ulong[threads];
        var winner = new Winner();
        var failures = new List<Exception>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var started = _time.GetTimestamp();

        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                try
                {
                    Work(index, template, targetHash, counters, winner, stop);
                }
#pragma warning disable CA1031 // a worker's failure is handed to the caller of Mine, not lost on its thread
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    lock (failures)
                    {
                        failures.Add(exception);
                    }

                    stop.Cancel();
                }
            })
            {
                IsBackground = true,
                Name = $"HealthLedger miner {index}",
            };
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("A miner thread failed.", failures);
        }

        var elapsed = _time.GetElapsedTime(started);
        var perThread = counters.Select(c => Interlocked.Read(ref c)).ToArray();
        ulong total = 0;
        foreach (var count in perThread)
        {
            total += count;
        }

        return new MiningResult(winner.Header, total, elapsed, perThread, winner.Header is null ? -1 : winner.ThreadIndex);
    }

    private void Work(int index, BlockHeader template, Hash256 target, ulong[] counters, Winner winner, CancellationTokenSource stop)
    {
        var token = stop.Token;
        var extra = unchecked(_options.ExtraNonceStart + (uint)index);
        var timestamp = template.TimestampMs;
        var extrasUsed = 0UL;
        while (!token.IsCancellationRequested)
        {
            var job = new MiningJob(template.WithNonce(0, timestamp).GetHashInput(), extra);
            ulong offset = 0;
            while (offset < _options.NoncesPerRange && !token.IsCancellationRequested)
            {
                var count = Math.Min(_options.BatchSize, _options.NoncesPerRange - offset);
                var result = NonceSearch.Search(job, target, (uint)offset, count, _kernel, token);
                Interlocked.Add(ref counters[index], result.HashesDone);
                if (result.Found)
                {
                    if (winner.TryClaim(template.WithNonce(result.Nonce, timestamp), index))
                    {
                        stop.Cancel();
                    }

                    return;
                }

                offset += count;
            }

            // Range exhausted: roll the timestamp if the clock moved on, else the extra nonce.
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            if (_options.RollTimestamp && now > timestamp)
            {
                timestamp = now;
                continue;
            }

            extra = unchecked(extra + (uint)_options.Threads);
            if (++extrasUsed >= NonceSearch.NoncesPerExtraNonce / (ulong)_options.Threads)
            {
                return; // this thread's share of the whole 64-bit nonce space is exhausted at this timestamp
            }
        }
    }

    private sealed class Winner
    {
        private readonly Lock _gate = new();
        private BlockHeader? _header;

        public BlockHeader? Header => Volatile.Read(ref _header);

        public int ThreadIndex { get; private set; } = -1;

        public bool TryClaim(BlockHeader header, int index)
        {
            lock (_gate)
            {
                if (_header is not null)
                {
                    return false;
                }

                ThreadIndex = index;
                Volatile.Write(ref _header, header);
                return true;
            }
        }
    }
}

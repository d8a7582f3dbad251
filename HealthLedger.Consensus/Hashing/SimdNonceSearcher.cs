using HealthLedger.Consensus.Sealing;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Hashing;

/// <summary>
/// The fast <see cref="INonceSearcher"/> for the sealers: the midstate kernels of <see cref="NonceSearch"/>
/// (SHA-NI, AVX-512, AVX2 or scalar) on the calling thread. Scans nonces in increasing order (wrapping modulo
/// 2^64) like <see cref="ScalarNonceSearcher"/>, so both return the same nonce for the same range.
/// For several threads, timestamp rolling and hash-rate reporting use <see cref="Mining.Miner"/>.
/// </summary>
/// <param name="kernel">The kernel; <see cref="HashKernel.Auto"/> (default) picks <see cref="NonceSearch.BestKernel"/>.</param>
public sealed class SimdNonceSearcher(HashKernel kernel = HashKernel.Auto) : INonceSearcher
{
    private readonly HashKernel _kernel = NonceSearch.Resolve(kernel);

    /// <summary>A shared instance on the best kernel (stateless, thread-safe).</summary>
    public static SimdNonceSearcher Instance { get; } = new();

    /// <summary>The kernel this searcher runs.</summary>
    public HashKernel Kernel => _kernel;

    /// <inheritdoc />
    public Sealing.NonceSearchResult Search(ReadOnlySpan<byte> headerInput, in Hash256 target, ulong startNonce, ulong count, CancellationToken cancellationToken)
    {
        if (headerInput.Length != BlockHeader.HashInputSize)
        {
            throw new ArgumentException($"The header input is {BlockHeader.HashInputSize} bytes.", nameof(headerInput));
        }

        ulong attempts = 0;
        var nonce = startNonce;
        while (attempts < count)
        {
            // One extra nonce (high 32 bits) at a time: the kernels search lane nonces below 2^32.
            var low = (uint)nonce;
            var segment = Math.Min(count - attempts, NonceSearch.NoncesPerExtraNonce - low);
            var job = new MiningJob(headerInput, (uint)(nonce >> 32));
            var result = NonceSearch.Search(job, target, low, segment, _kernel, cancellationToken);
            attempts += result.HashesDone;
            if (result.Found)
            {
                return new Sealing.NonceSearchResult(true, result.Nonce, attempts);
            }

            if (result.Cancelled)
            {
                break;
            }

            nonce = unchecked(nonce + segment);
        }

        return new Sealing.NonceSearchResult(false, 0, attempts);
    }
}

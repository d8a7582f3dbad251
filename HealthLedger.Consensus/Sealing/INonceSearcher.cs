using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Sealing;

/// <summary>
/// The seam between sealers and nonce-search back ends: scan a range of nonces of one 136-byte header hash input
/// for a double SHA-256 at or below a target. The scalar <see cref="ScalarNonceSearcher"/> is the default;
/// the multi-lane SIMD searcher plugs in here.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use (a miner runs one search per thread).</remarks>
public interface INonceSearcher
{
    /// <summary>
    /// Tries nonces <paramref name="startNonce"/>, <paramref name="startNonce"/> + 1, ... (at most <paramref name="count"/>,
    /// wrapping modulo 2^64) in the nonce field (little-endian u64 at offset 128) of <paramref name="headerInput"/>.
    /// </summary>
    /// <param name="headerInput">The 136-byte header hash input; its nonce field is ignored.</param>
    /// <param name="target">The target as 32 big-endian bytes (see <see cref="Core.Blocks.CompactTarget.ToHash"/>).</param>
    /// <param name="startNonce">First nonce to try.</param>
    /// <param name="count">Largest number of nonces to try.</param>
    /// <param name="cancellationToken">Checked between batches; cancellation returns a not-found result.</param>
    /// <returns>The first nonce found (in the searcher's scan order) and how many hashes were computed.</returns>
    NonceSearchResult Search(ReadOnlySpan<byte> headerInput, in Hash256 target, ulong startNonce, ulong count, CancellationToken cancellationToken);
}

/// <summary>The outcome of a nonce search.</summary>
/// <param name="Found">True when a nonce meeting the target was found.</param>
/// <param name="Nonce">The nonce (meaningful only when <paramref name="Found"/>).</param>
/// <param name="Attempts">Hashes computed (double SHA-256 evaluations).</param>
public readonly record struct NonceSearchResult(bool Found, ulong Nonce, ulong Attempts);

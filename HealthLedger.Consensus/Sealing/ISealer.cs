using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Sealing;

/// <summary>
/// Seals a header template for one engine: finds a nonce whose header hash meets the effective target and,
/// where the engine requires it, signs the seal.
/// </summary>
/// <remarks>Thread safety: implementations are safe for concurrent use; each call has its own state.</remarks>
public interface ISealer
{
    /// <summary>The engine whose headers this sealer produces.</summary>
    ConsensusEngineId Engine { get; }

    /// <summary>
    /// Seals <paramref name="template"/>. The search starts at the template's nonce and walks the whole 64-bit nonce
    /// space; the timestamp is the template's (the caller owns the clock).
    /// </summary>
    /// <param name="template">Unsealed header: engine, target bits, miner and timestamp already set.</param>
    /// <param name="effectiveTarget">The target the hash must meet (the engine's <c>GetEffectiveTarget</c>).</param>
    /// <param name="minerKey">The miner's key: required for ePoW (must match the template's miner), ignored for PoW.</param>
    /// <param name="cancellationToken">Stops the search; the result is then unsealed.</param>
    SealResult Seal(BlockHeader template, BigInteger effectiveTarget, KeyPair? minerKey, CancellationToken cancellationToken = default);
}

/// <summary>The outcome of sealing.</summary>
/// <param name="Header">The sealed header, or null when cancelled.</param>
/// <param name="Attempts">Hashes computed.</param>
public sealed record SealResult(BlockHeader? Header, ulong Attempts)
{
    /// <summary>True when a sealed header was produced.</summary>
    public bool IsSealed => Header is not null;
}

/// <summary>The nonce loop shared by the sealers.</summary>
internal static class NonceLoop
{
    /// <summary>Nonces handed to the searcher per call (cancellation granularity).</summary>
    internal const ulong BatchSize = 1 << 20;

    internal static SealResult Find(INonceSearcher searcher, BlockHeader template, BigInteger effectiveTarget, CancellationToken cancellationToken)
    {
        if (effectiveTarget.Sign <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(effectiveTarget), "A target must be positive.");
        }

        var target = CompactTarget.ToHash(BigInteger.Min(effectiveTarget, CompactTarget.MaxTarget));
        var input = template.GetHashInput();
        var nonce = template.Nonce;
        ulong attempts = 0;
        ulong searched = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var result = searcher.Search(input, in target, nonce, BatchSize, cancellationToken);
            attempts += result.Attempts;
            if (result.Found)
            {
                return new SealResult(template.WithNonce(result.Nonce, template.TimestampMs), attempts);
            }

            nonce = unchecked(nonce + BatchSize);
            searched += BatchSize;
            if (searched == 0)
            {
                break; // the whole 2^64 space wrapped without a hit: the caller must change the template
            }
        }

        return new SealResult(null, attempts);
    }
}

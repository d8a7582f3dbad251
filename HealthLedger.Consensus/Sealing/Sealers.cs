using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Sealing;

/// <summary>Seals classic proof-of-work headers: nonce search only, empty seal signature.</summary>
/// <remarks>Thread safety: safe for concurrent use when its nonce searcher is (the shipped ones are stateless).</remarks>
/// <param name="searcher">The nonce-search back end (defaults to <see cref="ScalarNonceSearcher"/>).</param>
public sealed class ProofOfWorkSealer(INonceSearcher? searcher = null) : ISealer
{
    private readonly INonceSearcher _searcher = searcher ?? ScalarNonceSearcher.Instance;

    /// <inheritdoc />
    public ConsensusEngineId Engine => ConsensusEngineId.ProofOfWork;

    /// <inheritdoc />
    public SealResult Seal(BlockHeader template, BigInteger effectiveTarget, KeyPair? minerKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (template.Engine != Engine)
        {
            throw new ArgumentException($"The template names engine {template.Engine}, not {Engine}.", nameof(template));
        }

        return NonceLoop.Find(_searcher, template, effectiveTarget, cancellationToken);
    }
}

/// <summary>
/// Seals ePoW headers: nonce search against the miner's credit-weighted target, then an Ed25519 signature by the
/// miner over <see cref="BlockHeader.GetSealMessage"/>.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use when its nonce searcher is (the shipped ones are stateless).</remarks>
/// <param name="searcher">The nonce-search back end (defaults to <see cref="ScalarNonceSearcher"/>).</param>
public sealed class EnhancedProofOfWorkSealer(INonceSearcher? searcher = null) : ISealer
{
    private readonly INonceSearcher _searcher = searcher ?? ScalarNonceSearcher.Instance;

    /// <inheritdoc />
    public ConsensusEngineId Engine => ConsensusEngineId.EnhancedProofOfWork;

    /// <inheritdoc />
    public SealResult Seal(BlockHeader template, BigInteger effectiveTarget, KeyPair? minerKey, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(minerKey);
        if (template.Engine != Engine)
        {
            throw new ArgumentException($"The template names engine {template.Engine}, not {Engine}.", nameof(template));
        }

        if (minerKey.PublicKey != template.Miner)
        {
            throw new ArgumentException("The key does not belong to the template's miner.", nameof(minerKey));
        }

        var found = NonceLoop.Find(_searcher, template, effectiveTarget, cancellationToken);
        if (found.Header is null)
        {
            return found;
        }

        var sealedHeader = found.Header.WithSeal(minerKey.Sign(found.Header.GetSealMessage()));
        return found with { Header = sealedHeader };
    }
}

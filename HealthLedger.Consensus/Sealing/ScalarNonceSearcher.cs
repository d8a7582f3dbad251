using System.Buffers.Binary;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Consensus.Sealing;

/// <summary>
/// The portable default <see cref="INonceSearcher"/>: one double SHA-256 per nonce through the BCL, single thread.
/// Correct everywhere and easy to audit; the SIMD miner is several times faster.
/// </summary>
public sealed class ScalarNonceSearcher : INonceSearcher
{
    private const ulong CancellationCheckInterval = 1 << 14;

    /// <summary>The shared instance (stateless, thread-safe).</summary>
    public static ScalarNonceSearcher Instance { get; } = new();

    /// <inheritdoc />
    public NonceSearchResult Search(ReadOnlySpan<byte> headerInput, in Hash256 target, ulong startNonce, ulong count, CancellationToken cancellationToken)
    {
        if (headerInput.Length != BlockHeader.HashInputSize)
        {
            throw new ArgumentException($"The header input is {BlockHeader.HashInputSize} bytes.", nameof(headerInput));
        }

        Span<byte> buffer = stackalloc byte[BlockHeader.HashInputSize];
        headerInput.CopyTo(buffer);
        var nonceField = buffer[BlockHeader.NonceOffset..];
        var targetBytes = Hash256.AsSpan(in target);
        Span<byte> hash = stackalloc byte[Hash256.Length];
        for (ulong i = 0; i < count; i++)
        {
            if (i % CancellationCheckInterval == 0 && cancellationToken.IsCancellationRequested)
            {
                return new NonceSearchResult(false, 0, i);
            }

            var nonce = unchecked(startNonce + i);
            BinaryPrimitives.WriteUInt64LittleEndian(nonceField, nonce);
            System.Security.Cryptography.SHA256.HashData(buffer, hash);
            System.Security.Cryptography.SHA256.HashData(hash, hash);
            if (hash.SequenceCompareTo(targetBytes) <= 0)
            {
                return new NonceSearchResult(true, nonce, i + 1);
            }
        }

        return new NonceSearchResult(false, 0, count);
    }
}

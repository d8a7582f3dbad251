using System.Numerics;
using HealthLedger.Core.Blocks;
using HealthLedger.Core.Crypto;

namespace HealthLedger.Tests.Consensus.TestSupport;

/// <summary>Brute-force nonce choice for tests that need a hash inside or outside a target band.</summary>
internal static class Mining
{
    /// <summary>The first nonce from 0 whose hash h satisfies above &lt; h ≤ atMost.</summary>
    public static BlockHeader WithHashIn(BlockHeader template, BigInteger above, BigInteger atMost)
    {
        for (ulong nonce = 0; nonce < 1_000_000; nonce++)
        {
            var candidate = template.WithNonce(nonce, template.TimestampMs);
            var value = new BigInteger(Hash256.AsSpan(candidate.Hash), isUnsigned: true, isBigEndian: true);
            if (value > above && value <= atMost)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("No nonce in the first million lands in the band.");
    }

    /// <summary>Signs the seal of <paramref name="header"/> with <paramref name="key"/>.</summary>
    public static BlockHeader Signed(BlockHeader header, KeyPair key) => header.WithSeal(key.Sign(header.GetSealMessage()));

    public static BigInteger Target(uint bits) => CompactTarget.Decode(bits);
}

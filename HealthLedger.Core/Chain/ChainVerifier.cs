using System.Diagnostics;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Storage;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Chain;

/// <summary>What a full verification of a block store found.</summary>
/// <param name="Blocks">Stored blocks read.</param>
/// <param name="Valid">True when every stored block passed full validation in store order.</param>
/// <param name="FirstProblemSequence">The store sequence of the first block that failed, or null.</param>
/// <param name="FirstProblemHash">Its hash, or null.</param>
/// <param name="Problem">Why it failed (a rejection code and message), or <see cref="ValidationResult.Ok"/>.</param>
/// <param name="Tip">The tip the verified blocks lead to.</param>
/// <param name="LastFinal">The last final block they lead to.</param>
/// <param name="Elapsed">Time taken.</param>
public sealed record ChainVerificationReport(long Blocks, bool Valid, long? FirstProblemSequence, Hash256? FirstProblemHash, ValidationResult Problem, ChainEntry Tip, ChainEntry LastFinal, TimeSpan Elapsed);

/// <summary>
/// Re-validates every block of a store as if it came from an untrusted peer: decoding, header and body shape, proof of
/// work, seal signatures, every transaction signature, linkage, timestamps (except the future drift, which says nothing
/// about a stored block) and state. What replay on open trusts (docs/security.md) is checked here; use it after a
/// suspected compromise of a data directory. The store is only read.
/// </summary>
public static class ChainVerifier
{
    /// <summary>Verifies <paramref name="store"/> against <paramref name="genesis"/>; stops at the first problem.</summary>
    public static ChainVerificationReport Verify(GenesisConfig genesis, IConsensusEngine engine, IBlockStore store, ISignatureScheme? scheme = null)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(store);
        var sw = Stopwatch.StartNew();
        var chain = new Blockchain(genesis, engine, new InMemoryBlockStore(), new FarFuture(), scheme);
        long count = 0;
        foreach (var stored in store.ReadAll())
        {
            count++;
            var r = chain.AddEncodedBlock(stored.Encoded);
            if (r.Status is BlockStatus.Invalid or BlockStatus.Orphan)
            {
                var problem = r.Status == BlockStatus.Orphan
                    ? ValidationResult.Reject(RejectionCode.UnknownParent, "the block does not follow a block stored before it")
                    : r.Validation;
                return new ChainVerificationReport(count, false, stored.Sequence, stored.Hash, problem, chain.Tip, chain.LastFinal, sw.Elapsed);
            }
        }

        return new ChainVerificationReport(count, true, null, null, ValidationResult.Ok, chain.Tip, chain.LastFinal, sw.Elapsed);
    }

    /// <summary>A clock far in the future, so that no stored block is refused for being ahead of the verifier's clock.</summary>
    private sealed class FarFuture : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.MaxValue.AddYears(-1);
    }
}

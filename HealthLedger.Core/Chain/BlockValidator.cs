using HealthLedger.Core.Blocks;
using HealthLedger.Core.Consensus;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Chain;

/// <summary>
/// The context-free checks of a block, cheapest first: the header's shape, the engine's header check (proof of work
/// against the easiest legal target, then the seal), the body's shape, the Merkle root, then the signatures (all
/// cores). Each result says whether the failure may blacklist the hash (<see cref="StatelessVerdict.HashIsInvalid"/>):
/// only failures determined by the hashed content may. Thread-safe.
/// </summary>
internal sealed class BlockValidator(GenesisConfig genesis, IConsensusEngine engine, TransactionValidator transactions, int parallelSignatureThreshold)
{
    /// <summary>All context-free checks.</summary>
    public StatelessVerdict Validate(Block block)
    {
        var header = CheckHeaderShape(block.Header);
        if (!header.IsValid)
        {
            return new(header, HashIsInvalid: true);
        }

        var seal = engine.ValidateHeader(block.Header, genesis);
        if (!seal.IsValid)
        {
            // The seal's bytes are not hashed: a relayed copy with a junk seal must not poison the genuine block.
            return new(seal, HashIsInvalid: seal.Code is not (RejectionCode.InvalidSealSignature or RejectionCode.BadSealFields));
        }

        var body = CheckBodyShape(block);
        if (!body.IsValid)
        {
            return new(body, HashIsInvalid: false); // the body is not yet known to be the one the header commits to
        }

        var root = CheckMerkleRoot(block);
        if (!root.IsValid)
        {
            return new(root, HashIsInvalid: false); // a body that does not match its header says nothing about the header
        }

        // From here on the body is the one the hash commits to (transaction ids cover the signatures).
        var sigs = CheckSignatures(block.Transactions);
        return new(sigs, HashIsInvalid: !sigs.IsValid);
    }

    /// <summary>Version, chain id, height, engine id and threshold bounds of a header.</summary>
    public ValidationResult CheckHeaderShape(BlockHeader h)
    {
        if (h.Version != BlockHeader.CurrentVersion)
        {
            return ValidationResult.Reject(RejectionCode.UnsupportedVersion, $"header version {h.Version}", h.Version, BlockHeader.CurrentVersion);
        }

        if (h.ChainId != genesis.ChainId)
        {
            return ValidationResult.Reject(RejectionCode.WrongChainId, $"block for chain {h.ChainId}, this is chain {genesis.ChainId}", h.ChainId, genesis.ChainId);
        }

        if (h.Height == 0)
        {
            return ValidationResult.Reject(RejectionCode.BadHeight, "only the configured genesis block has height 0", 0, 1);
        }

        if (h.Engine != genesis.Engine)
        {
            return ValidationResult.Reject(RejectionCode.WrongConsensusEngine, $"block sealed by {h.Engine}, chain uses {genesis.Engine}", (long)h.Engine, (long)genesis.Engine);
        }

        if (h.Threshold < genesis.MinThreshold || h.Threshold > genesis.MaxThreshold)
        {
            return ValidationResult.Reject(RejectionCode.ThresholdOutOfBounds, $"threshold {h.Threshold} outside [{genesis.MinThreshold}, {genesis.MaxThreshold}]", h.Threshold, h.Threshold < genesis.MinThreshold ? genesis.MinThreshold : genesis.MaxThreshold);
        }

        return ValidationResult.Ok;
    }

    /// <summary>Transaction count, encoded size, duplicates and each transaction's shape.</summary>
    public ValidationResult CheckBodyShape(Block block)
    {
        var count = block.Transactions.Count;
        if (count > genesis.Limits.MaxTransactionsPerBlock)
        {
            return ValidationResult.Reject(RejectionCode.TooManyTransactions, $"{count} transactions, limit {genesis.Limits.MaxTransactionsPerBlock}", count, genesis.Limits.MaxTransactionsPerBlock);
        }

        var size = block.Encode().Length;
        if (size > genesis.Limits.MaxBlockBytes)
        {
            return ValidationResult.Reject(RejectionCode.TooLarge, $"block is {size} bytes, limit {genesis.Limits.MaxBlockBytes}", size, genesis.Limits.MaxBlockBytes);
        }

        var seen = new HashSet<Hash256>(count);
        for (var i = 0; i < count; i++)
        {
            var tx = block.Transactions[i];
            if (!seen.Add(tx.Id))
            {
                return ValidationResult.Reject(RejectionCode.DuplicateTransaction, $"transaction {tx.Id.ToShortString()} appears twice (index {i})", i);
            }

            var r = transactions.CheckShape(tx);
            if (!r.IsValid)
            {
                return ValidationResult.Reject(r.Code, $"transaction {i}: {r.Message}", r.Actual, r.Limit);
            }
        }

        return ValidationResult.Ok;
    }

    /// <summary>The header's Merkle root equals the root of the transaction ids.</summary>
    public static ValidationResult CheckMerkleRoot(Block block)
    {
        var root = block.ComputeMerkleRoot();
        return root == block.Header.MerkleRoot
            ? ValidationResult.Ok
            : ValidationResult.Reject(RejectionCode.BadMerkleRoot, $"header says {block.Header.MerkleRoot.ToShortString()}, transactions give {root.ToShortString()}");
    }

    /// <summary>Every transaction's signature (and proofs of possession), on all cores for large blocks.</summary>
    public ValidationResult CheckSignatures(IReadOnlyList<Transaction> txs)
    {
        if (txs.Count < parallelSignatureThreshold)
        {
            for (var i = 0; i < txs.Count; i++)
            {
                var r = transactions.CheckSignatures(txs[i]);
                if (!r.IsValid)
                {
                    return ValidationResult.Reject(r.Code, $"transaction {i}: {r.Message}");
                }
            }

            return ValidationResult.Ok;
        }

        var failures = new ValidationResult[txs.Count];
        var failed = 0;
        Parallel.For(0, txs.Count, (i, state) =>
        {
            var r = transactions.CheckSignatures(txs[i]);
            if (!r.IsValid)
            {
                failures[i] = r;
                Interlocked.Exchange(ref failed, 1);
                state.Stop();
            }
        });
        if (failed == 0)
        {
            return ValidationResult.Ok;
        }

        for (var i = 0; i < failures.Length; i++)
        {
            if (failures[i] is { IsValid: false } f)
            {
                return ValidationResult.Reject(f.Code, $"transaction {i}: {f.Message}");
            }
        }

        return ValidationResult.Ok;
    }

    /// <summary>
    /// On replay: the signatures of the transactions that change who may seal and vote (node registrations and
    /// revocations, signed by a genesis authority) are checked again, so a forged record in the store cannot make
    /// its writer a validator. The others were verified when the block was first accepted.
    /// </summary>
    public ValidationResult CheckPrivilegedSignatures(IReadOnlyList<Transaction> txs)
    {
        for (var i = 0; i < txs.Count; i++)
        {
            if (txs[i].Kind is TransactionKind.NodeRegistration or TransactionKind.NodeRevocation)
            {
                var r = transactions.CheckSignatures(txs[i]);
                if (!r.IsValid)
                {
                    return ValidationResult.Reject(r.Code, $"transaction {i}: {r.Message}");
                }
            }
        }

        return ValidationResult.Ok;
    }
}

/// <summary>The outcome of the context-free checks.</summary>
/// <param name="Result">The first failure, or OK.</param>
/// <param name="HashIsInvalid">True when the failure is determined by the hashed content, so the hash may be blacklisted.</param>
internal readonly record struct StatelessVerdict(ValidationResult Result, bool HashIsInvalid);

using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Core.Validation;

/// <summary>
/// State-independent transaction checks, cheapest first: shape and sizes, then signatures (the sender's, a device's
/// proof of possession, the signatures inside misbehaviour evidence). Results are cached by transaction id.
/// </summary>
/// <remarks>Thread safety: safe for concurrent use: it holds only read-only configuration and a thread-safe <see cref="SignatureCache"/>.</remarks>
public sealed class TransactionValidator
{
    private readonly GenesisConfig _genesis;
    private readonly ISignatureScheme _scheme;

    /// <summary>Creates a validator for a chain.</summary>
    public TransactionValidator(GenesisConfig genesis, ISignatureScheme? scheme = null, SignatureCache? cache = null)
    {
        _genesis = genesis ?? throw new ArgumentNullException(nameof(genesis));
        _scheme = scheme ?? Ed25519.Instance;
        Cache = cache ?? new SignatureCache();
    }

    /// <summary>The signature cache shared by the mempool and block validation.</summary>
    public SignatureCache Cache { get; }

    /// <summary>Shape and size checks.</summary>
    public ValidationResult CheckShape(Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        if (tx.Version != Transaction.CurrentVersion)
        {
            return ValidationResult.Reject(RejectionCode.UnsupportedVersion, $"transaction version {tx.Version}", tx.Version, Transaction.CurrentVersion);
        }

        if (tx.ChainId != _genesis.ChainId)
        {
            return ValidationResult.Reject(RejectionCode.WrongChainId, $"transaction for chain {tx.ChainId}, this is chain {_genesis.ChainId}", tx.ChainId, _genesis.ChainId);
        }

        var size = tx.EncodedSize;
        if (size > _genesis.Limits.MaxTransactionBytes)
        {
            return ValidationResult.Reject(RejectionCode.TooLarge, $"transaction is {size} bytes, limit {_genesis.Limits.MaxTransactionBytes}", size, _genesis.Limits.MaxTransactionBytes);
        }

        var shape = tx.CheckShape();
        return shape is null ? ValidationResult.Ok : ValidationResult.Reject(RejectionCode.FieldOutOfRange, shape);
    }

    /// <summary>Signature checks (skipped for ids already in the cache).</summary>
    public ValidationResult CheckSignatures(Transaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        var id = tx.Id;
        if (Cache.Contains(id))
        {
            return ValidationResult.Ok;
        }

        if (!tx.VerifySignature(_scheme))
        {
            return ValidationResult.Reject(RejectionCode.InvalidSignature, $"signature of {id.ToShortString()} does not verify for {tx.SenderAddress}");
        }

        switch (tx.Payload)
        {
            case DeviceRegistration reg:
                var message = DeviceRegistration.ProofOfPossessionMessage(tx.ChainId, reg.DeviceKey, reg.Patient, tx.SenderAddress);
                if (!_scheme.Verify(reg.DeviceKey, message, reg.ProofOfPossession))
                {
                    return ValidationResult.Reject(RejectionCode.InvalidProofOfPossession, $"device {reg.DeviceKey.ToAddress()} did not prove possession of its key");
                }

                break;
            case MisbehaviourEvidence evidence:
                if (!EvidenceVerifier.TryGetAccused(evidence, tx.ChainId, verifySignatures: true, out _, out var error, _scheme))
                {
                    return ValidationResult.Reject(RejectionCode.InvalidEvidence, error);
                }

                break;
        }

        Cache.Add(id);
        return ValidationResult.Ok;
    }

    /// <summary>Shape, then signatures.</summary>
    public ValidationResult Validate(Transaction tx)
    {
        var shape = CheckShape(tx);
        return shape.IsValid ? CheckSignatures(tx) : shape;
    }
}

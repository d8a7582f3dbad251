using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;

namespace HealthLedger.Testing.Builders;

/// <summary>
/// Builds a signed <see cref="Transaction"/>: by default the key labelled "patient" registers itself on chain 1 with
/// sequence 0 at <see cref="TestClock.DefaultStart"/>. Not thread-safe (one builder per test).
/// </summary>
public sealed class TransactionBuilder
{
    private KeyPair? _signer;
    private uint _chainId = 1;
    private ulong _sequence;
    private long _timestampMs = TestClock.DefaultStartMs;
    private TransactionPayload _payload = new PatientRegistration(Hash256.Sha256("mrn-0001:salt"u8));

    /// <summary>The signer (the caller keeps ownership of the key).</summary>
    public TransactionBuilder SignedBy(KeyPair signer)
    {
        _signer = signer ?? throw new ArgumentNullException(nameof(signer));
        return this;
    }

    /// <summary>The chain id signed into the transaction.</summary>
    public TransactionBuilder OnChain(uint chainId)
    {
        _chainId = chainId;
        return this;
    }

    /// <summary>The chain id of <paramref name="genesis"/>.</summary>
    public TransactionBuilder OnChain(GenesisConfig genesis)
    {
        ArgumentNullException.ThrowIfNull(genesis);
        _chainId = genesis.ChainId;
        return this;
    }

    /// <summary>The sender's sequence number.</summary>
    public TransactionBuilder WithSequence(ulong sequence)
    {
        _sequence = sequence;
        return this;
    }

    /// <summary>The timestamp, Unix milliseconds.</summary>
    public TransactionBuilder At(long timestampMs)
    {
        _timestampMs = timestampMs;
        return this;
    }

    /// <summary>The payload.</summary>
    public TransactionBuilder WithPayload(TransactionPayload payload)
    {
        _payload = payload ?? throw new ArgumentNullException(nameof(payload));
        return this;
    }

    /// <summary>A patient registration whose pseudonym commits to <paramref name="mrnAndSalt"/>.</summary>
    public TransactionBuilder RegisteringPatient(string mrnAndSalt = "mrn-0001:salt") =>
        WithPayload(new PatientRegistration(Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(mrnAndSalt))));

    /// <summary>A record anchor for a ciphertext labelled <paramref name="label"/>, measured a second before the timestamp.</summary>
    public TransactionBuilder AnchoringRecord(string label = "record", RecordType type = RecordType.Vitals)
    {
        ArgumentNullException.ThrowIfNull(label);
        return WithPayload(new RecordAnchor("bafy" + label, Hash256.Sha256(System.Text.Encoding.UTF8.GetBytes(label)), type, _timestampMs - 1000));
    }

    /// <summary>A finality vote for <paramref name="target"/> from <paramref name="source"/> (the genesis block when null).</summary>
    public TransactionBuilder Attesting(ChainEntry target, ChainEntry? source = null)
    {
        ArgumentNullException.ThrowIfNull(target);
        source ??= target.GetAncestor(0)!;
        return WithPayload(new Attestation(target.Hash, target.Height, source.Hash, source.Height));
    }

    /// <summary>The signed transaction.</summary>
    public Transaction TestObject
    {
        get
        {
            if (_signer is not null)
            {
                return Transaction.Create(_signer, _chainId, _sequence, _timestampMs, _payload);
            }

            using var patient = KeyPair.FromLabel("patient");
            return Transaction.Create(patient, _chainId, _sequence, _timestampMs, _payload);
        }
    }
}

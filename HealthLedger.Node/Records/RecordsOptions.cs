using HealthLedger.Records.Access;
using HealthLedger.Records.Fhir;

namespace HealthLedger.Node.Records;

/// <summary>
/// How a <see cref="LedgerNode"/> keeps health records: where the encrypted envelopes go (IPFS when
/// <see cref="IpfsEndpoint"/> is set, a local directory otherwise), how long a sealed record waits for its device's
/// signed anchor, and how long a key release waits for its on-chain record. The custodian key is the node's identity's
/// X25519 image (docs/records.md, "Encryption keys and identities").
/// </summary>
public sealed record RecordsOptions
{
    /// <summary>The Kubo RPC endpoint of an IPFS node (for example <c>http://127.0.0.1:5001</c>); null for the local store.</summary>
    public Uri? IpfsEndpoint { get; init; }

    /// <summary>The local store's directory; null means <c>records</c> under the node's data directory.</summary>
    public string? Directory { get; init; }

    /// <summary>How long a prepared (sealed, unstored) record waits for its device's signed anchor (default 2 minutes).</summary>
    public TimeSpan PreparedLifetime { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Most prepared records held at once (default 256).</summary>
    public int MaxPrepared { get; init; } = 256;

    /// <summary>Most prepared records of one device held at once (default 8): a device cannot crowd out the others.</summary>
    public int MaxPreparedPerDevice { get; init; } = 8;

    /// <summary>Most bytes of prepared envelopes held at once (default 64 MiB).</summary>
    public long MaxPreparedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How long a key release waits for its <c>KeyRelease</c> transaction to be in a block on the best chain (default 60 s).</summary>
    public TimeSpan ReleaseInclusionTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The release service's clock window and replay bound.</summary>
    public KeyReleaseOptions Release { get; init; } = new();

    /// <summary>Limits on untrusted FHIR JSON.</summary>
    public FhirLimits Fhir { get; init; } = new();
}

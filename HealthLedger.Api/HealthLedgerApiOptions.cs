namespace HealthLedger.Api;

/// <summary>How the API is configured by its host.</summary>
public sealed record HealthLedgerApiOptions
{
    /// <summary>
    /// The operator's bearer token for the endpoints under <c>/v1/admin</c> (which change what the node does); null
    /// disables them (every request gets 403). Give at least 128 bits of randomness; it is compared in constant time.
    /// </summary>
    public string? OperatorToken { get; init; }
}

using HealthLedger.Core.Chain;
using HealthLedger.Core.Transactions;
using HealthLedger.Core.Validation;

namespace HealthLedger.Core.Mempool;

/// <summary>
/// One admission rule of the mempool pipeline. Filters run in order, cheapest first (shape, duplicates,
/// signatures, state, then pluggable gates such as the intrusion detector); the first rejection wins.
/// </summary>
/// <remarks>Thread safety: the pool calls filters under its lock, one admission at a time; a filter must not call back into the pool.</remarks>
public interface IAdmissionFilter
{
    /// <summary>A short name for logs and metrics.</summary>
    string Name { get; }

    /// <summary>Checks one transaction.</summary>
    ValidationResult Check(AdmissionContext context);
}

/// <summary>What a filter sees.</summary>
/// <param name="Transaction">The candidate.</param>
/// <param name="PendingState">The tip state with every pending mempool transaction applied.</param>
/// <param name="Origin">Where the transaction came from.</param>
/// <param name="Attachment">
/// Local, off-chain data submitted with the transaction (for example the traffic features a gateway's detector
/// scores); never stored on-chain and never gossiped. Null for transactions from peers.
/// </param>
public sealed record AdmissionContext(Transaction Transaction, LedgerState PendingState, TransactionOrigin Origin, object? Attachment);

/// <summary>Where a transaction entered this node.</summary>
public enum TransactionOrigin
{
    /// <summary>Submitted locally (API, ingestion gateway).</summary>
    Local,
    /// <summary>Relayed by a peer.</summary>
    Peer,
    /// <summary>Re-admitted after a reorg undid its block.</summary>
    Reorg,
}

/// <summary>The outcome of submitting a transaction to the mempool.</summary>
/// <param name="Accepted">True when admitted.</param>
/// <param name="Validation">The rejection, if any.</param>
/// <param name="Filter">The filter that decided.</param>
public sealed record AdmissionResult(bool Accepted, ValidationResult Validation, string Filter)
{
    /// <summary>An acceptance.</summary>
    public static AdmissionResult Admitted { get; } = new(true, ValidationResult.Ok, "all");
}

/// <summary>A filter from a delegate (handy for gates and tests).</summary>
public sealed class DelegateAdmissionFilter : IAdmissionFilter
{
    private readonly Func<AdmissionContext, ValidationResult> _check;

    /// <summary>Creates the filter.</summary>
    public DelegateAdmissionFilter(string name, Func<AdmissionContext, ValidationResult> check)
    {
        Name = name;
        _check = check ?? throw new ArgumentNullException(nameof(check));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public ValidationResult Check(AdmissionContext context) => _check(context);
}

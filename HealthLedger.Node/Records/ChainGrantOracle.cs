using HealthLedger.Core.Chain;
using HealthLedger.Core.Crypto;
using HealthLedger.Core.Transactions;
using HealthLedger.Records.Access;

namespace HealthLedger.Node.Records;

/// <summary>
/// Grants as the chain states them: active when the tip's state holds the patient's grant to the provider for the
/// record type, unexpired at the time asked, the provider's node not revoked, and the mempool's pending state holds the
/// same grant (a pending revoke or re-grant counts against it, so a release is never decided on a grant about to go).
/// </summary>
internal sealed class ChainGrantOracle(Func<LedgerState> tip, Func<LedgerState> pending) : IGrantOracle
{
    public ValueTask<GrantCheck> CheckAsync(Address patient, Address provider, RecordType type, DateTimeOffset at, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Check(tip(), pending(), patient, provider, type, at.ToUnixTimeMilliseconds()));

    internal static GrantCheck Check(LedgerState tip, LedgerState pending, Address patient, Address provider, RecordType type, long atMs)
    {
        if (tip.GetNode(provider) is { Revoked: true })
        {
            return new GrantCheck(GrantStatus.Revoked);
        }
        var grant = tip.GetGrant(patient, provider, type);
        if (grant is null)
        {
            return new GrantCheck(tip.GetGrants(patient).Any(g => g.Grantee == provider) ? GrantStatus.OutOfScope : GrantStatus.NotGranted);
        }
        if (!grant.IsActiveAt(atMs))
        {
            return new GrantCheck(GrantStatus.Expired);
        }
        var next = pending.GetGrant(patient, provider, type);
        return next is null || next.GrantedAtHeight != grant.GrantedAtHeight || !next.IsActiveAt(atMs) || pending.GetNode(provider) is { Revoked: true }
            ? new GrantCheck(GrantStatus.Revoked)
            : new GrantCheck(GrantStatus.Active, grant.GrantedAtHeight);
    }
}

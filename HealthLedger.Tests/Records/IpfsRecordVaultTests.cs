using HealthLedger.Records;

namespace HealthLedger.Tests.Records;

/// <summary>The vault end to end on the real IPFS daemon.</summary>
[Category("Ipfs")]
public sealed class IpfsRecordVaultTests
{
    [Test]
    public async Task A_record_ingested_on_ipfs_is_pinned_and_reads_back_and_a_failed_commit_unpins_it()
    {
        var endpoint = RecordsTestSupport.RequireIpfsApi();
        using var http = new HttpClient();
        var store = RecordsTestSupport.IpfsStore(endpoint, http);
        using var w = new RecordWorld();
        var vault = w.Vault(store);
        var bundle = w.Vitals();

        var record = (await vault.IngestAsync(w.Submission(bundle), CancellationToken.None)).Value;
        var pinned = (await store.HasAsync(record.ContentAddress, CancellationToken.None)).Value;
        var opened = await vault.OpenAsync(record.ToAnchoredRecord(), w.Patient.Address, w.PatientKey, null, CancellationToken.None);
        HealthLedger.Records.Content.Cid? refused = null;
        var failed = await vault.IngestAsync(w.Submission(), (r, _) =>
        {
            refused = r.ContentAddress;
            return Task.FromResult(RecordResult.Fail(RecordErrorCode.StoreUnavailable, "anchor refused"));
        }, CancellationToken.None);
        var refusedPinned = (await store.HasAsync(refused!.Value, CancellationToken.None)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(pinned, Is.True);
            Assert.That(Hl7.Fhir.Model.PocoEqualityComparisons.IsExactly(opened.Value, bundle), Is.True, opened.ToString());
            Assert.That(failed.Error?.Code, Is.EqualTo(RecordErrorCode.CommitFailed));
            Assert.That(refusedPinned, Is.False, "the refused record's envelope is unpinned (collectable)");
        });
    }
}

using System.Diagnostics;
using HealthLedger.Api;
using HealthLedger.Core.Crypto;
using HealthLedger.Records.Crypto;
using HealthLedger.Records.Fhir;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>The demo's identities: the chain, the granted provider, a provider no patient granted, and patient i's device i.</summary>
internal sealed record DemoPeople(uint ChainId, KeyPair Provider, KeyPair Stranger, KeyPair[] Patients, KeyPair[] Devices);

/// <summary>A record a device got admitted: its content address, ciphertext hash, measurement time and the FHIR JSON it sent.</summary>
internal sealed record StoredRecord(string ContentAddress, Hash256 CiphertextHash, long MeasuredAtMs, string Fhir);

/// <summary>One <see cref="HttpClient"/> per node for the record endpoints (a longer timeout: a release waits for its block).</summary>
internal sealed class RecordsHttp(int nodes) : IDisposable
{
    public HttpClient[] Clients { get; } = new HttpClient[nodes];

    /// <summary>Points client i at the API on 127.0.0.1, port <paramref name="apiBase"/> + i.</summary>
    public void Connect(int apiBase)
    {
        for (var i = 0; i < Clients.Length; i++)
        {
            Clients[i] = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiBase + i}"), Timeout = TimeSpan.FromSeconds(90) };
        }
    }

    public void Dispose()
    {
        foreach (var c in Clients)
        {
            c?.Dispose();
        }
    }
}

/// <summary>What the custodians hold: anchored records whose envelope their node serves and matches, and envelopes without an anchor (local stores only).</summary>
internal sealed record StorageReport(int Anchored, int Stored, int? WithoutAnchor);

/// <summary>Key releases: granted and checked, refused to the never-granted provider, listed on-chain, and anything that went otherwise.</summary>
internal sealed record ReleaseReport(int Released, int Refused, int Listed, int Errors);

/// <summary>
/// The demo's record checks after the replay, all through the nodes' HTTP API (and, for the local stores, their
/// directories): every anchored record's envelope is served by the node that ingested it (device i's gateway, node
/// i mod N) and hashes to the anchor's ciphertext hash; the local stores hold no other envelope (a refused record left
/// none); the granted provider obtains a sample of record keys, decrypts each envelope and finds the FHIR bundle the
/// device sent; the never-granted provider is refused (403 <c>AccessDenied</c>) for the same records; and each patient
/// lists the provider's releases from the chain.
/// </summary>
internal sealed class DemoRecordsCheck(NodeApiClient[] nodes, RecordsHttp http, DemoPeople people, string? localStoresUnder, Action<string> line)
{
    private const int ReportedErrors = 5;
    private int _errors;

    /// <summary>Reads every patient's anchored records from node 0 and fetches each envelope from its custodian.</summary>
    public async Task<StorageReport> CheckStoredAsync(CancellationToken ct)
    {
        var n = nodes.Length;
        var anchored = 0;
        var stored = 0;
        var perNode = new int[n];
        for (var d = 0; d < people.Devices.Length; d++)
        {
            var records = await nodes[0].PatientRecordsAsync(people.Patients[d].Address.ToString(), ct).ConfigureAwait(false)
                ?? throw new DemoFailedException($"node-0 did not list patient {d}'s records");
            var custodian = nodes[d % n];
            anchored += records.Count;
            var held = 0;
            await Parallel.ForEachAsync(records, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = ct }, async (r, token) =>
            {
                var envelope = await custodian.CiphertextAsync(r.ContentAddress, token).ConfigureAwait(false);
                if (envelope is not null && Hash256.Sha256(envelope) == Hash256.Parse(r.CiphertextHash))
                {
                    Interlocked.Increment(ref held);
                }
                else
                {
                    Report($"record {r.ContentAddress} of device {d}: node-{d % n} {(envelope is null ? "does not serve its envelope" : "serves bytes that do not match the anchor")}");
                }
            }).ConfigureAwait(false);
            stored += held;
            perNode[d % n] += held;
        }

        int? withoutAnchor = null;
        if (localStoresUnder is not null)
        {
            withoutAnchor = 0;
            for (var i = 0; i < n; i++)
            {
                var files = EnvelopeFiles(Path.Combine(localStoresUnder, $"node-{i}", "data", "records"));
                withoutAnchor += Math.Max(0, files - perNode[i]);
            }
        }

        return new StorageReport(anchored, stored, withoutAnchor);
    }

    /// <summary>
    /// For each device, the provider asks its gateway for the keys of up to <paramref name="perDevice"/> admitted records
    /// (the first, the last, then from the start), the never-granted provider asks for the first, and the patient lists
    /// the releases. Devices run concurrently, each device's requests one after another.
    /// </summary>
    public async Task<ReleaseReport> ReleaseAsync(IReadOnlyList<StoredRecord>[] stored, int perDevice, CancellationToken ct)
    {
        var errorsBefore = Volatile.Read(ref _errors);
        var released = 0;
        var refused = 0;
        var listed = 0;
        await Task.WhenAll(Enumerable.Range(0, people.Devices.Length).Select(async d =>
        {
            var records = stored[d];
            if (records.Count == 0)
            {
                return;
            }

            var client = new RecordsClient(http.Clients[d % nodes.Length], people.ChainId);
            var sample = new[] { records[0], records[^1] }.Concat(records).Distinct().Take(perDevice).ToList();
            var transactions = new HashSet<string>(StringComparer.Ordinal);
            var recordedAt = 0UL;
            foreach (var record in sample)
            {
                if (await ReleaseAndOpenAsync(client, d, record, ct).ConfigureAwait(false) is { } release)
                {
                    transactions.Add(release.ReleaseTransactionId);
                    recordedAt = Math.Max(recordedAt, release.RecordedAtHeight);
                    Interlocked.Increment(ref released);
                }
            }

            using var strangerReply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
            var denied = await client.ReleaseAsync(people.Stranger, records[0].ContentAddress, records[0].CiphertextHash, strangerReply.PublicKey, ct).ConfigureAwait(false);
            if (denied.Error is { Status: 403, Title: "AccessDenied" })
            {
                Interlocked.Increment(ref refused);
            }
            else
            {
                Report($"device {d}: the never-granted provider was not refused with 403 AccessDenied: {(denied.IsSuccess ? "the key was released" : $"{denied.Error!.Status} {denied.Error.Title} {denied.Error.Detail}")}");
            }

            // The patient's view: the provider's releases of its records, from the chain (the gateway's index). A release
            // answers once its block is on the best chain; the index follows the chain asynchronously, and a block that
            // loses a race takes its releases back to the mempool until another block includes them, so the listing is
            // read again until it holds every release, at or above the height of the last one (for at most 30 s).
            int Listed(RecordsApiResult<ReleasePage> page) =>
                page.Value?.Items.Where(r => r.Recipient == people.Provider.Address.ToString() && transactions.Contains(r.TransactionId)).Count() ?? 0;
            var page = await client.GetReleasesAsync(people.Patients[d].Address, 1000, cancellationToken: ct).ConfigureAwait(false);
            for (var wait = Stopwatch.StartNew(); page.Value is { } p && (p.AtHeight < recordedAt || Listed(page) < transactions.Count) && wait.Elapsed < TimeSpan.FromSeconds(30);)
            {
                await Task.Delay(200, ct).ConfigureAwait(false);
                page = await client.GetReleasesAsync(people.Patients[d].Address, 1000, cancellationToken: ct).ConfigureAwait(false);
            }

            var onChain = Listed(page);
            if (onChain != transactions.Count)
            {
                Report($"device {d}: the patient lists {onChain} of the {transactions.Count} releases{(page.Error is { } e ? $" ({e.Status} {e.Title})" : "")}");
            }

            Interlocked.Add(ref listed, onChain);
            if (page.Value?.Items.Any(r => r.Recipient == people.Stranger.Address.ToString()) == true)
            {
                Report($"device {d}: a release to the never-granted provider is on-chain");
            }
        })).ConfigureAwait(false);
        return new ReleaseReport(released, refused, listed, Volatile.Read(ref _errors) - errorsBefore);
    }

    /// <summary>The release when the key was released and the envelope decrypts to the FHIR bundle the device sent; null (reported) otherwise.</summary>
    private async Task<KeyReleaseResponse?> ReleaseAndOpenAsync(RecordsClient client, int device, StoredRecord record, CancellationToken ct)
    {
        using var reply = EncryptionKeyPair.Generate(SystemRandomSource.Instance);
        var result = await client.ReleaseAsync(people.Provider, record.ContentAddress, record.CiphertextHash, reply.PublicKey, ct).ConfigureAwait(false);
        if (result.Error is { } e)
        {
            Report($"device {device}: release of {record.ContentAddress} refused: {e.Status} {e.Title} ({e.Stage}) {e.Detail}");
            return null;
        }

        var (release, wrap, envelope) = result.Value;
        if (Hash256.Sha256(envelope) != record.CiphertextHash)
        {
            Report($"device {device}: the envelope of {record.ContentAddress} does not match its anchor");
            return null;
        }

        var opened = RecordsClient.Open(envelope, wrap, reply);
        if (!opened.IsSuccess)
        {
            Report($"device {device}: the released key does not open {record.ContentAddress}: {opened.Error}");
            return null;
        }

        var codec = new FhirRecordCodec();
        var original = codec.Parse(System.Text.Encoding.UTF8.GetBytes(record.Fhir));
        var decrypted = codec.Parse(opened.Value);
        var subject = new FhirSubject(people.Patients[device].Address, people.Devices[device].Address, record.MeasuredAtMs);
        if (!original.IsSuccess || !decrypted.IsSuccess || !codec.Validate(decrypted.Value, subject).IsSuccess || !Hl7.Fhir.Model.PocoEqualityComparisons.IsExactly(decrypted.Value, original.Value))
        {
            Report($"device {device}: the decrypted record {record.ContentAddress} is not the FHIR bundle the device sent");
            return null;
        }

        return release;
    }

    /// <summary>Envelope files in a local store (<c>root/&lt;shard&gt;/&lt;cid&gt;</c>; not pin markers, not <c>.tmp</c>).</summary>
    private static int EnvelopeFiles(string root) =>
        !Directory.Exists(root)
            ? 0
            : Directory.EnumerateDirectories(root)
                .Where(dir => !Path.GetFileName(dir).StartsWith('.'))
                .Sum(dir => Directory.EnumerateFiles(dir).Count(f => !Path.GetFileName(f).Contains('.', StringComparison.Ordinal)));

    private void Report(string message)
    {
        if (Interlocked.Increment(ref _errors) <= ReportedErrors)
        {
            line(message);
        }
    }
}

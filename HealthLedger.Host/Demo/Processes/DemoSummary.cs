using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>What the multi-process demo measured; written as the <c>--json</c> file and printed as a table.</summary>
internal sealed record DemoSummary
{
    public required int Nodes { get; init; }

    public required string Consensus { get; init; }

    /// <summary>All nodes report the same tip and the same last final block through <c>/v1/head</c>.</summary>
    public required bool Agreement { get; init; }

    public required ulong Height { get; init; }

    public required ulong FinalizedHeight { get; init; }

    /// <summary>Transactions the demo submitted that are in final blocks (registrations, grants, record anchors).</summary>
    public required int Transactions { get; init; }

    /// <summary>Transactions the demo submitted that a node admitted.</summary>
    public required int Submitted { get; init; }

    /// <summary>Every transaction in the best chain, the validators' finality votes included.</summary>
    public required int ChainTransactions { get; init; }

    public required int Records { get; init; }

    public required bool Synthetic { get; init; }

    public required string Stream { get; init; }

    public required int BenignAdmitted { get; init; }

    public required int BenignRefused { get; init; }

    public required int AttacksRefused { get; init; }

    public required int AttacksAdmitted { get; init; }

    /// <summary>Records of the synthetic stream (no labels) admitted and refused.</summary>
    public required int UnlabelledAdmitted { get; init; }

    public required int UnlabelledRefused { get; init; }

    /// <summary>Submissions that failed for another reason than the gate (a node unreachable, a sequence the node did not expect, …).</summary>
    public required int OtherErrors { get; init; }

    /// <summary>Anchors admitted whose records every node's index shows in a final block.</summary>
    public required int AnchorsFinal { get; init; }

    /// <summary>Where the nodes keep the encrypted envelopes: <c>local</c> or <c>ipfs URL</c>.</summary>
    public required string RecordStore { get; init; }

    /// <summary>Rows with no vital sign in its plausible range (nothing to store; not submitted).</summary>
    public required int RecordsWithoutVitals { get; init; }

    /// <summary>Anchored records whose envelope the ingesting node serves and whose SHA-256 equals the anchor's ciphertext hash.</summary>
    public required int RecordsStored { get; init; }

    /// <summary>Envelopes in the nodes' local stores that no anchor names (null with IPFS, which the demo does not inventory).</summary>
    public required int? CiphertextsWithoutAnchor { get; init; }

    /// <summary>Record keys released to the granted provider whose envelope decrypted to the FHIR bundle the device sent.</summary>
    public required int RecordsReleased { get; init; }

    /// <summary>Release requests of the never-granted provider refused with 403 AccessDenied.</summary>
    public required int ReleasesRefused { get; init; }

    /// <summary>The provider's releases the patients list from the chain.</summary>
    public required int ReleasesListed { get; init; }

    /// <summary>Releases refused, undecryptable or unlisted, and refusals that did not happen.</summary>
    public required int ReleaseErrors { get; init; }

    public required long? FinalityP50Ms { get; init; }

    public required long? FinalityP99Ms { get; init; }

    public required string? KilledNode { get; init; }

    public required double KilledForSeconds { get; init; }

    public required double CatchUpSeconds { get; init; }

    public required double DurationSeconds { get; init; }

    public required string LoadAverage { get; init; }

    [JsonIgnore]
    public bool Passed => Agreement && FinalizedHeight > 0 && Transactions == Submitted && AnchorsFinal == BenignAdmitted + AttacksAdmitted + UnlabelledAdmitted && OtherErrors == 0
        && RecordsStored == AnchorsFinal && CiphertextsWithoutAnchor is null or 0
        && RecordsReleased > 0 && ReleasesRefused > 0 && ReleasesListed == RecordsReleased && ReleaseErrors == 0;

    public string Table()
    {
        var inv = CultureInfo.InvariantCulture;
        var b = new StringBuilder();
        void Row(string what, string value) => b.Append(inv, $"  {what,-44} {value}\n");
        b.Append("  ─────────────────────────────────────────────────────────────────────\n");
        Row("nodes (separate processes, TLS 1.3 on loopback)", $"{Nodes}, {Consensus}");
        Row("blocks (best chain height / last final)", $"{Height} / {FinalizedHeight}");
        Row("demo's transactions final / admitted", $"{Transactions} / {Submitted}");
        Row("transactions in the chain (votes included)", ChainTransactions.ToString(inv));
        Row("finality latency, sealing to final (p50/p99)", FinalityP50Ms is null ? "n/a" : $"{FinalityP50Ms} ms / {FinalityP99Ms} ms");
        Row("records replayed", $"{Records} ({(Synthetic ? "SYNTHETIC, unlabelled" : "WUSTL-EHMS-2020 test split")})");
        if (Synthetic)
        {
            Row("detector: admitted / refused (no labels)", $"{UnlabelledAdmitted} / {UnlabelledRefused}");
        }
        else
        {
            Row("detector: benign admitted / benign refused", $"{BenignAdmitted} / {BenignRefused}");
            Row("detector: attacks refused / attacks admitted", $"{AttacksRefused} / {AttacksAdmitted}");
        }

        Row("record anchors final on every node", AnchorsFinal.ToString(inv));
        Row($"records stored (encrypted FHIR, {(RecordStore == "local" ? "local" : "IPFS")})", RecordsStored.ToString(inv) + (CiphertextsWithoutAnchor is { } orphans ? $" ({orphans} envelopes without an anchor)" : ""));
        if (RecordsWithoutVitals > 0)
        {
            Row("records without a plausible vital sign (skipped)", RecordsWithoutVitals.ToString(inv));
        }

        Row("keys released to provider / listed on-chain", $"{RecordsReleased} / {ReleasesListed} (decrypted and equal to the FHIR sent)");
        Row("releases refused (never-granted provider)", ReleasesRefused.ToString(inv) + (ReleaseErrors > 0 ? $" ({ReleaseErrors} release ERRORS)" : ""));
        Row("other submission errors", OtherErrors.ToString(inv));
        Row("node killed with SIGKILL and restarted", KilledNode is null ? "none" : string.Create(inv, $"{KilledNode}: down {KilledForSeconds:F1} s, caught up {CatchUpSeconds:F1} s after restart"));
        Row("nodes in agreement (same tip, same last final)", Agreement ? "yes" : "NO");
        Row("duration", string.Create(inv, $"{DurationSeconds:F1} s (load average {LoadAverage})"));
        b.Append("  ─────────────────────────────────────────────────────────────────────\n");
        return b.ToString();
    }
}

using System.Diagnostics.Metrics;

namespace HealthLedger.Node;

/// <summary>
/// A node's metrics through <c>System.Diagnostics.Metrics</c> (meter <c>HealthLedger.Node</c>, so OpenTelemetry or
/// <c>dotnet-counters</c> can collect them): chain height, final height, finality lag, peers, mempool size, blocks mined
/// and local submissions by outcome.
/// </summary>
internal sealed class NodeMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "HealthLedger.Node";

    private readonly Meter _meter;
    private readonly Counter<long> _mined;
    private readonly Counter<long> _submissions;

    public NodeMetrics(LedgerNode node, IMeterFactory? factory)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _meter.CreateObservableGauge("healthledger.chain.height", () => (long)node.Chain.Height, description: "Height of the best chain's tip.");
        _meter.CreateObservableGauge("healthledger.chain.final_height", () => (long)node.Chain.LastFinal.Height, description: "Height of the last final block.");
        _meter.CreateObservableGauge("healthledger.chain.finality_lag", () => (long)(node.Chain.Height - node.Chain.LastFinal.Height), unit: "{block}", description: "Blocks between the tip and the last final block.");
        _meter.CreateObservableGauge("healthledger.peers", () => node.ConnectedPeers.Count, unit: "{peer}", description: "Authenticated peers connected.");
        _meter.CreateObservableGauge("healthledger.mempool.size", () => node.Pool.Count, unit: "{transaction}", description: "Pending transactions.");
        _mined = _meter.CreateCounter<long>("healthledger.blocks.mined", unit: "{block}", description: "Blocks this node mined.");
        _submissions = _meter.CreateCounter<long>("healthledger.submissions", unit: "{transaction}", description: "Local submissions, by outcome (admitted or the rejection code).");
    }

    public void BlockMined() => _mined.Add(1);

    public void Submitted(string outcome) => _submissions.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}

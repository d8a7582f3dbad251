using BenchmarkDotNet.Running;

namespace HealthLedger.Benchmarks;

/// <summary>Runs the benchmarks: <c>dotnet run -c Release --project HealthLedger.Benchmarks -- --filter '*'</c>.</summary>
internal static class Program
{
    private static void Main(string[] args)
    {
        if (args is ["consensus-mining", .. var rest])
        {
            Environment.ExitCode = Consensus.MiningTimeHarness.Run(rest);
            return;
        }

        if (args is ["mempool-flood", .. var floodArgs])
        {
            Environment.ExitCode = Core.MempoolFloodHarness.Run(floodArgs);
            return;
        }

        if (args is ["scale", .. var scaleArgs])
        {
            Environment.ExitCode = Core.ChainScaleHarness.Run(scaleArgs);
            return;
        }

        if (args is ["records-node", .. var recordArgs])
        {
            Environment.ExitCode = Records.RecordNodeHarness.Run(recordArgs);
            return;
        }

        if (args is ["finality-trace", .. var traceArgs])
        {
            Environment.ExitCode = Report.Experiments.FinalityTrace.Run(traceArgs);
            return;
        }

        if (args is ["report", .. var reportArgs])
        {
            Environment.ExitCode = Report.ReportCommand.Run(reportArgs);
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchmarkConfig.Create());
    }
}

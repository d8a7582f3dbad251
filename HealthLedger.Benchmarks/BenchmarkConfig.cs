using BenchmarkDotNet.Configs;

namespace HealthLedger.Benchmarks;

/// <summary>
/// The configuration every <c>BenchmarkSwitcher</c> run gets. Out of process, BenchmarkDotNet generates a project per
/// job and builds it with <c>dotnet build --nodeReuse:false /p:UseSharedCompilation=false</c>: without the compiler
/// server every referenced project (Core, Consensus, Detection, Records, Node, Network, Storage.RocksDb) is compiled
/// from scratch, which took 58 s at load average 9 on this 2-core machine and longer than BenchmarkDotNet's default
/// two-minute build timeout under heavier load — the "timed out building" that forced <c>--inProcess</c>. The
/// timeout is raised to 15 minutes (the forced <c>RuntimeIdentifier</c> in Directory.Build.props was not the cause:
/// the generated project inherits it and builds fine).
/// </summary>
internal static class BenchmarkConfig
{
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(BuildTimeout);
}

using BenchmarkDotNet.Configs;

namespace HealthLedger.Benchmarks;

/// <summary>
/// The configuration every <c>BenchmarkSwitcher</c> run gets. Out of process, BenchmarkDotNet generates a project per
/// job and builds it with <c>dotnet build --nodeReuse:false /p:UseSharedCompilation=false /p:ArtifactsPath=…</c>: the
/// artifacts path is a global property, so every referenced project (Core, Consensus, Detection, Records, Node,
/// Network, Storage.RocksDb, Host, Crypto.Sodium) is compiled again into fresh obj/bin directories, each by a new csc
/// without the compiler server. On this 2-core machine that build took 257 s (after 12 s of restore) at load average
/// 20–34 on 30 November (<c>--filter '*MerkleBenchmarks*' --job short</c>: 5 min 44 s in all, 68 s of it running the
/// benchmarks), more than BenchmarkDotNet's default two-minute build timeout — the "timed out building" that forced
/// <c>--inProcess</c>. The timeout is raised to 15 minutes. Passing <c>/p:UseSharedCompilation=true</c> through a job's
/// <c>MsBuildArgument</c> does not help: BenchmarkDotNet writes job arguments before its own, and the last value of a
/// property wins. The forced <c>RuntimeIdentifier</c> in Directory.Build.props was not the cause: the generated project
/// inherits it and builds fine.
/// </summary>
internal static class BenchmarkConfig
{
    public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    public static IConfig Create() => ManualConfig.Create(DefaultConfig.Instance).WithBuildTimeout(BuildTimeout);
}

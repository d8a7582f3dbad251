using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using HealthLedger.Api;
using HealthLedger.Host.Demo.Processes;

namespace HealthLedger.Tests.Host;

/// <summary>
/// Real node processes on loopback (<c>healthledger init</c>, <c>node run</c>, <c>chain verify</c>): they connect over
/// TLS, agree on final blocks, and a node killed with SIGKILL restarts from its own store and catches up from its peers.
/// </summary>
[TestFixture]
[Category("Slow")]
[NonParallelizable]
public sealed class NodeProcessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);
    private readonly List<Process> _processes = [];
    private string _dir = null!;

    [SetUp]
    public void SetUp() => _dir = Path.Combine(Path.GetTempPath(), "hl-processes-" + Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        foreach (var p in _processes.Where(p => !p.HasExited))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }

        foreach (var p in _processes)
        {
            p.Dispose();
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Test]
    public async Task Three_node_processes_agree_and_one_killed_with_sigkill_catches_up_from_its_store_and_peers()
    {
        var peerBase = LoopbackPorts.FreeBlock(3);
        var apiBase = LoopbackPorts.FreeBlock(3, Enumerable.Range(peerBase, 3).ToHashSet());
        var init = Run("init", "--nodes", "3", "--dir", _dir, "--consensus", "pow", "--difficulty", "6", "--block-interval-ms", "500",
            "--base-port", peerBase.ToString(System.Globalization.CultureInfo.InvariantCulture), "--api-port", apiBase.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(init.WaitForExit(60_000) && init.ExitCode == 0, Is.True, "init");

        var nodes = Enumerable.Range(0, 3).Select(StartNode).ToArray();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitUntil(async () => (await Health(http, apiBase, 0))?.FinalHeight >= 3 && (await Health(http, apiBase, 1))?.FinalHeight >= 3 && (await Health(http, apiBase, 2))?.FinalHeight >= 3, "three processes finalise #3");

        nodes[2].Kill(entireProcessTree: true); // SIGKILL: no shutdown, no flush beyond what the store already made durable
        nodes[2].WaitForExit(10_000);
        var finalBefore = (await Health(http, apiBase, 0))!.FinalHeight;
        var target = (await Health(http, apiBase, 0))!.Height + 3;
        await WaitUntil(async () => (await Health(http, apiBase, 0))?.Height >= target, "the other two keep mining (with N = 3 the quorum is 3: finality waits)");

        nodes[2] = StartNode(2);
        await WaitUntil(async () => (await Health(http, apiBase, 2))?.Height >= target, "the restarted process caught up");
        await WaitUntil(async () => (await Health(http, apiBase, 0))?.FinalHeight > finalBefore && (await Health(http, apiBase, 2))?.FinalHeight > finalBefore, "finality resumes with all three");
        var agreed = Math.Min((await Health(http, apiBase, 0))!.FinalHeight, (await Health(http, apiBase, 2))!.FinalHeight);
        var a = await http.GetFromJsonAsync<BlockResponse>($"http://127.0.0.1:{apiBase}/v1/blocks/{agreed}");
        var c = await http.GetFromJsonAsync<BlockResponse>($"http://127.0.0.1:{apiBase + 2}/v1/blocks/{agreed}");
        Assert.That(c!.Hash, Is.EqualTo(a!.Hash), "the same final block on both");

        // The node's meter in the Prometheus text format, on the API listener.
        var metrics = await http.GetStringAsync($"http://127.0.0.1:{apiBase}/metrics");
        Assert.That(metrics, Does.Contain("healthledger_chain_height").And.Contain("healthledger_chain_final_height").And.Contain("healthledger_peers"));

        foreach (var p in nodes)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }

        var verify = Run("chain", "verify", "--config", Path.Combine(_dir, "node-2", "config.json"));
        var output = await verify.StandardOutput.ReadToEndAsync();
        Assert.That(verify.WaitForExit(120_000), Is.True);
        Assert.That(verify.ExitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("valid"));
    }

    private Process StartNode(int i) => Run("node", "run", "--config", Path.Combine(_dir, $"node-{i}", "config.json"));

    private Process Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "healthledger.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var p = Process.Start(start)!;
        _processes.Add(p);
        if (args[0] == "node")
        {
            // Drain the logs so the child never blocks on a full pipe.
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }

        return p;
    }

    private static async Task<HealthResponse?> Health(HttpClient http, int apiBase, int node)
    {
        try
        {
            return await http.GetFromJsonAsync<HealthResponse>($"http://127.0.0.1:{apiBase + node}/healthz");
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (!await condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"timed out waiting until {what}");
            await Task.Delay(200);
        }
    }
}

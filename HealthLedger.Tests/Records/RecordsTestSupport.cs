using System.Diagnostics;
using HealthLedger.Records.Storage;

namespace HealthLedger.Tests.Records;

/// <summary>Payloads, the IPFS daemon lookup and the ipfs_cid tool for the records tests.</summary>
internal static class RecordsTestSupport
{
    /// <summary>A deterministic, non-periodic-at-chunk-size payload.</summary>
    public static byte[] Payload(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 7) + (i >> 8));
        }
        return bytes;
    }

    /// <summary>
    /// The Kubo-compatible RPC endpoint named by HEALTHLEDGER_IPFS_API (".ci/ipfs/ipfs.sh start" prints it), checked
    /// to answer. Without a daemon the test fails in CI and is skipped elsewhere.
    /// </summary>
    public static Uri RequireIpfsApi()
    {
        var configured = Environment.GetEnvironmentVariable("HEALTHLEDGER_IPFS_API");
        string problem;
        if (string.IsNullOrWhiteSpace(configured) || !Uri.TryCreate(configured, UriKind.Absolute, out var endpoint))
        {
            problem = "HEALTHLEDGER_IPFS_API is not set to an absolute URL";
        }
        else
        {
            try
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                using var response = http.PostAsync(new Uri(endpoint, "api/v0/id"), null).GetAwaiter().GetResult();
                if (response.IsSuccessStatusCode)
                {
                    return endpoint;
                }
                problem = $"{endpoint} answered /api/v0/id with HTTP {(int)response.StatusCode}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                problem = $"{endpoint} does not answer ({e.Message})";
            }
        }
        var message = $"IPFS daemon not available: {problem}. Start one with `eval \"$(bash .ci/ipfs/ipfs.sh start)\"` (after `bash .ci/ipfs/ipfs.sh install`), or point HEALTHLEDGER_IPFS_API at a Kubo-compatible RPC API.";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }
        Assert.Ignore(message);
        return null!;
    }

    /// <summary>A store over the daemon, with short timeouts.</summary>
    public static KuboContentStore IpfsStore(Uri endpoint, HttpClient http) =>
        new(http, new KuboContentStoreOptions { Endpoint = endpoint }, TimeProvider.System);

    /// <summary>The path of Debian's ipfs_cid (package ipfs-cid), or null.</summary>
    public static string? FindIpfsCidTool()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':'))
        {
            var path = Path.Combine(dir, "ipfs_cid");
            if (File.Exists(path))
            {
                return path;
            }
        }
        return null;
    }

    /// <summary>Runs ipfs_cid on a file and returns its "CIDv1" value.</summary>
    public static string RunIpfsCid(string tool, string file)
    {
        var start = new ProcessStartInfo(tool, [file]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        var json = stdout.Split('\n').First(l => l.TrimStart().StartsWith('{'));
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("CIDv1").GetString()!;
    }

    /// <summary>A fresh directory under the temp folder, removed by the caller.</summary>
    public static string TempDirectory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hl-records-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}

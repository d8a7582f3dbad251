using System.Collections.Concurrent;
using System.Diagnostics;

namespace HealthLedger.Tests.Support;

/// <summary>
/// A child process for crash tests (<c>dotnet</c> with the given arguments): collects its standard output lines as they
/// come, lets the test wait for a number of lines that start with a prefix (acknowledgements), and kills it with SIGKILL.
/// </summary>
internal sealed class KillableChild : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly SemaphoreSlim _counted = new(0);
    private readonly string _countedPrefix;

    private KillableChild(IEnumerable<string> arguments, string countedPrefix)
    {
        _countedPrefix = countedPrefix;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _lines.Enqueue(e.Data);
                if (e.Data.StartsWith(_countedPrefix, StringComparison.Ordinal))
                {
                    _counted.Release();
                }
            }
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                _errors.Enqueue(e.Data);
            }
        };
    }

    /// <summary>Everything the child printed on standard output so far.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>Its standard error so far, for assertion messages.</summary>
    public string Errors => string.Join('\n', _errors);

    public bool HasExited => _process.HasExited;

    /// <summary>Starts <c>dotnet <paramref name="arguments"/></c>, counting output lines that start with <paramref name="countedPrefix"/>.</summary>
    public static KillableChild Start(IEnumerable<string> arguments, string countedPrefix)
    {
        var child = new KillableChild(arguments, countedPrefix);
        child._process.Start();
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits until <paramref name="count"/> more counted lines have arrived (false on timeout).</summary>
    public bool WaitForCounted(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        for (var i = 0; i < count; i++)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !_counted.Wait(left))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>SIGKILL (on Unix), then waits for the exit so every printed line has been read.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        _counted.Dispose();
    }
}

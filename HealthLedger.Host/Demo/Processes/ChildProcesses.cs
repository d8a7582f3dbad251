using System.Diagnostics;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>
/// Child processes of this same executable (<c>healthledger …</c>), their output appended to log files. Every child is
/// killed (with its tree) on <see cref="Dispose"/>, which the demo calls in a <c>finally</c>, on process exit,
/// and on SIGINT (Ctrl+C), SIGTERM, SIGQUIT and SIGHUP; the nodes also watch this process
/// (<c>node run --exit-with-parent</c>), so even a SIGKILL of the demo leaves
/// no orphan for long.
/// </summary>
internal sealed class ChildProcesses : IDisposable
{
    private readonly List<Process> _running = [];
    private readonly object _lock = new();
    private readonly EventHandler _onExit;
    private readonly List<System.Runtime.InteropServices.PosixSignalRegistration> _signals = [];

    public ChildProcesses()
    {
        _onExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onExit;

        // Ctrl+C, SIGTERM, a closed terminal: the children go first, then the signal takes its course (not cancelled).
        foreach (var signal in new[] { System.Runtime.InteropServices.PosixSignal.SIGINT, System.Runtime.InteropServices.PosixSignal.SIGTERM, System.Runtime.InteropServices.PosixSignal.SIGQUIT, System.Runtime.InteropServices.PosixSignal.SIGHUP })
        {
            _signals.Add(System.Runtime.InteropServices.PosixSignalRegistration.Create(signal, _ => KillAll()));
        }
    }

    /// <summary>Starts <c>healthledger args…</c> with stdout and stderr appended to <paramref name="logFile"/>.</summary>
    public Process Start(string logFile, params string[] args)
    {
        var start = new ProcessStartInfo { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var self = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.FileName = self;
            start.ArgumentList.Add(typeof(ChildProcesses).Assembly.Location);
        }
        else
        {
            start.FileName = self;
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var writer = TextWriter.Synchronized(log);
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => Write(writer, e.Data);
        process.ErrorDataReceived += (_, e) => Write(writer, e.Data);
        process.Exited += (_, _) =>
        {
            // Let the asynchronous readers drain before closing the log.
            process.WaitForExit();
            writer.Dispose();
        };
        lock (_lock)
        {
            process.Start();
            _running.Add(process);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGKILL: no shutdown, nothing flushed that the store has not made durable.</summary>
    public static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public void Dispose()
    {
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
        foreach (var registration in _signals)
        {
            registration.Dispose();
        }

        KillAll();
        lock (_lock)
        {
            foreach (var p in _running)
            {
                p.Dispose();
            }

            _running.Clear();
        }
    }

    private void KillAll()
    {
        Process[] all;
        lock (_lock)
        {
            all = [.. _running];
        }

        foreach (var p in all)
        {
            try
            {
                if (!p.HasExited)
                {
                    Kill(p);
                }
            }
            catch (InvalidOperationException)
            {
                // never started or already disposed
            }
        }
    }

    private static void Write(TextWriter writer, string? line)
    {
        if (line is null)
        {
            return;
        }

        try
        {
            writer.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // the log closed with the process
        }
    }
}

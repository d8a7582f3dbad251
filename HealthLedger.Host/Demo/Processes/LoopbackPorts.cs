using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HealthLedger.Host.Demo.Processes;

/// <summary>
/// Blocks of loopback ports for node processes started by the demo (and the tests that start processes). The ports
/// are chosen below the kernel's ephemeral range: a port from that range that is free now can be taken a moment later
/// as the local port of any outgoing connection (the nodes dial each other while the last ones start), which made a
/// node fail with "address already in use" in about one demo in ten on a busy machine.
/// </summary>
internal static class LoopbackPorts
{
    private const int Lowest = 20_000;

    /// <summary>A base port whose next <paramref name="count"/> ports are free on loopback now, clear of <paramref name="taken"/> and of the ephemeral range.</summary>
    public static int FreeBlock(int count, IReadOnlySet<int>? taken = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var ceiling = EphemeralLow() - count;
        for (var attempt = 0; attempt < 200 && ceiling > Lowest; attempt++)
        {
            var port = Random.Shared.Next(Lowest, ceiling);
            if (Enumerable.Range(port, count).All(p => taken?.Contains(p) != true && IsFree(p)))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"no free block of {count} loopback ports between {Lowest} and the ephemeral range");
    }

    /// <summary>The lowest ephemeral port (Linux: /proc/sys/net/ipv4/ip_local_port_range; IANA's 49152 elsewhere).</summary>
    internal static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 49_152;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

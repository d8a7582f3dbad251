using System.Globalization;

namespace HealthLedger.Consensus.Hashing;

/// <summary>
/// Reads the output of <c>openssl speed -evp sha256 -bytes 16384 -seconds 3</c> and converts it to the nonce
/// rate a single SHA-256 stream at that speed implies: bytes/s ÷ 64 = compressions/s; ÷ 2 = nonces/s
/// (a midstate miner pays two compressions per nonce).
/// </summary>
internal static class OpenSslSpeed
{
    /// <summary>The arguments passed to <c>openssl</c>.</summary>
    public static string Arguments(int seconds) =>
        string.Create(CultureInfo.InvariantCulture, $"speed -evp sha256 -bytes 16384 -seconds {seconds}");

    /// <summary>Parses the "sha256 1572288.64k" result line (in 1000s of bytes per second) into bytes per second.</summary>
    public static bool TryParseBytesPerSecond(string output, out double bytesPerSecond)
    {
        bytesPerSecond = 0;
        ArgumentNullException.ThrowIfNull(output);
        foreach (var line in output.Split('\n'))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !parts[0].Equals("sha256", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var last = parts[^1];
            if (last.EndsWith('k') &&
                double.TryParse(last.AsSpan(0, last.Length - 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var thousands) &&
                thousands > 0)
            {
                bytesPerSecond = thousands * 1000;
                return true;
            }
        }

        return false;
    }

    /// <summary>Nonces per second implied by a single-stream SHA-256 speed.</summary>
    public static double ImpliedNoncesPerSecond(double bytesPerSecond) => bytesPerSecond / 64 / 2;
}

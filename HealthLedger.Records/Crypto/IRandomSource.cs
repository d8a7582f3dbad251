using System.Security.Cryptography;

namespace HealthLedger.Records.Crypto;

/// <summary>Where keys, nonces and record ids come from; injected so tests can pin them.</summary>
/// <remarks>Thread safety: an implementation given to a shared <see cref="RecordVault"/> must be safe for concurrent use (a seeded test source used by one test need not be).</remarks>
public interface IRandomSource
{
    /// <summary>Fills <paramref name="destination"/> with cryptographically strong random bytes.</summary>
    void Fill(Span<byte> destination);
}

/// <summary>The operating system's CSPRNG.</summary>
/// <remarks>Thread safety: safe for concurrent use.</remarks>
public sealed class SystemRandomSource : IRandomSource
{
    /// <summary>The one instance.</summary>
    public static SystemRandomSource Instance { get; } = new();

    private SystemRandomSource()
    {
    }

    /// <inheritdoc />
    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}

using System.Security.Cryptography;

namespace HealthLedger.Records.Crypto;

/// <summary>Where keys, nonces and record ids come from; injected so tests can pin them.</summary>
public interface IRandomSource
{
    /// <summary>Fills <paramref name="destination"/> with cryptographically strong random bytes.</summary>
    void Fill(Span<byte> destination);
}

/// <summary>The operating system's CSPRNG.</summary>
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

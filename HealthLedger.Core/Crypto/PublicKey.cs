using System.Runtime.InteropServices;

namespace HealthLedger.Core.Crypto;

/// <summary>An Ed25519 public key (32 bytes). Identities on the chain are derived from it.</summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
public readonly struct PublicKey : IEquatable<PublicKey>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 32;

    private readonly Hash256 _bytes;

    /// <summary>Creates a key from exactly 32 bytes. No curve check is made here; verification rejects invalid points.</summary>
    public PublicKey(ReadOnlySpan<byte> bytes) => _bytes = new Hash256(bytes);

    /// <summary>The all-zero key, never a valid signer.</summary>
    public static PublicKey Empty => default;

    /// <summary>True for the all-zero key.</summary>
    public bool IsEmpty => _bytes.IsZero;

    /// <summary>The key bytes without copying.</summary>
    public static ReadOnlySpan<byte> AsSpan(in PublicKey key) => MemoryMarshal.AsBytes(new ReadOnlySpan<PublicKey>(in key));

    /// <summary>Writes the 32 bytes.</summary>
    public void WriteTo(Span<byte> destination) => _bytes.WriteTo(destination);

    /// <summary>A copy of the 32 bytes.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    /// <summary>The on-chain identity of this key.</summary>
    public Address ToAddress() => Address.FromPublicKey(this);

    /// <summary>Parses 64 hex characters.</summary>
    public static PublicKey Parse(string hex) => new(Hash256.Parse(hex).ToArray());

    /// <inheritdoc />
    public bool Equals(PublicKey other) => _bytes == other._bytes;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PublicKey other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _bytes.GetHashCode();

    /// <summary>Lower-case hex.</summary>
    public override string ToString() => _bytes.ToString();

    /// <summary>Equality.</summary>
    public static bool operator ==(PublicKey left, PublicKey right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(PublicKey left, PublicKey right) => !left.Equals(right);
}

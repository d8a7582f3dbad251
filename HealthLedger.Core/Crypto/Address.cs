using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HealthLedger.Core.Crypto;

/// <summary>
/// An on-chain identity: the first 20 bytes of SHA-256("HL-ADDR" || public key).
/// Nodes, patients, providers and devices are all named by addresses.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
public readonly struct Address : IEquatable<Address>, IComparable<Address>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 20;

    private static ReadOnlySpan<byte> Domain => "HL-ADDR"u8;

    private readonly ulong _a;
    private readonly ulong _b;
    private readonly uint _c;

    /// <summary>Creates an address from exactly 20 bytes.</summary>
    public Address(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"An address needs {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        this = MemoryMarshal.Read<Address>(bytes);
    }

    /// <summary>The all-zero address (nobody).</summary>
    public static Address Zero => default;

    /// <summary>True for the all-zero address.</summary>
    public bool IsZero => (_a | _b | _c) == 0;

    /// <summary>Derives the address of a public key.</summary>
    public static Address FromPublicKey(in PublicKey key)
    {
        Span<byte> input = stackalloc byte[7 + PublicKey.Length];
        Domain.CopyTo(input);
        key.WriteTo(input[7..]);
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(input, digest);
        return new Address(digest[..Length]);
    }

    /// <summary>The bytes without copying.</summary>
    public static ReadOnlySpan<byte> AsSpan(in Address address) => MemoryMarshal.AsBytes(new ReadOnlySpan<Address>(in address));

    /// <summary>Writes the 20 bytes.</summary>
    public void WriteTo(Span<byte> destination) => AsSpan(in this).CopyTo(destination);

    /// <summary>Parses 40 hex characters, with or without an "hl" prefix.</summary>
    public static Address Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.StartsWith("hl", StringComparison.Ordinal) ? text[2..] : text;
        if (hex.Length != Length * 2)
        {
            throw new FormatException($"An address is {Length * 2} hex characters, got {hex.Length}.");
        }

        return new Address(Convert.FromHexString(hex));
    }

    /// <inheritdoc />
    public bool Equals(Address other) => _a == other._a && _b == other._b && _c == other._c;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Address other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_a, _b, _c);

    /// <inheritdoc />
    public int CompareTo(Address other) => AsSpan(in this).SequenceCompareTo(AsSpan(in other));

    /// <summary>"hl" followed by 40 lower-case hex characters.</summary>
    public override string ToString() => "hl" + Convert.ToHexStringLower(AsSpan(in this));

    /// <summary>Equality.</summary>
    public static bool operator ==(Address left, Address right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Address left, Address right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    public static bool operator <(Address left, Address right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    public static bool operator >(Address left, Address right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    public static bool operator <=(Address left, Address right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    public static bool operator >=(Address left, Address right) => left.CompareTo(right) >= 0;
}

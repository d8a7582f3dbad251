using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace HealthLedger.Core.Crypto;

/// <summary>
/// A 32-byte hash value (SHA-256 or double SHA-256). Immutable, compared by value,
/// printed as lower-case hex in byte order (most significant byte first when read as a number).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
public readonly struct Hash256 : IEquatable<Hash256>, IComparable<Hash256>
{
    /// <summary>The size of a hash in bytes.</summary>
    public const int Length = 32;

    private readonly ulong _u0, _u1, _u2, _u3;

    /// <summary>The all-zero hash (used as the previous hash of a genesis block).</summary>
    public static Hash256 Zero => default;

    /// <summary>Creates a hash from exactly 32 bytes.</summary>
    /// <exception cref="ArgumentException">The span is not 32 bytes long.</exception>
    public Hash256(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A Hash256 needs {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        this = MemoryMarshal.Read<Hash256>(bytes);
    }

    /// <summary>The 32 bytes of this hash, as a read-only span over a copy.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Length];
        WriteTo(result);
        return result;
    }

    /// <summary>Writes the 32 bytes into <paramref name="destination"/>.</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        MemoryMarshal.Write(destination, in this);
    }

    /// <summary>Reads the bytes of a hash held in a variable without copying.</summary>
    public static ReadOnlySpan<byte> AsSpan(in Hash256 hash) =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<Hash256>(in hash));

    /// <summary>SHA-256 of <paramref name="data"/>.</summary>
    public static Hash256 Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[Length];
        SHA256.HashData(data, buffer);
        return new Hash256(buffer);
    }

    /// <summary>SHA-256 of SHA-256 of <paramref name="data"/>.</summary>
    public static Hash256 DoubleSha256(ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = stackalloc byte[Length];
        SHA256.HashData(data, buffer);
        SHA256.HashData(buffer, buffer);
        return new Hash256(buffer);
    }

    /// <summary>Parses 64 hex characters.</summary>
    /// <exception cref="FormatException">The text is not 64 hex characters.</exception>
    public static Hash256 Parse(string hex)
    {
        ArgumentNullException.ThrowIfNull(hex);
        if (hex.Length != Length * 2)
        {
            throw new FormatException($"A Hash256 is {Length * 2} hex characters, got {hex.Length}.");
        }

        return new Hash256(Convert.FromHexString(hex));
    }

    /// <summary>True when every byte is zero.</summary>
    public bool IsZero => (_u0 | _u1 | _u2 | _u3) == 0;

    /// <summary>The first eight bytes as a big-endian integer, useful for quick comparisons and bucketing.</summary>
    public ulong Prefix64 => BinaryPrimitives.ReverseEndianness(_u0);

    /// <inheritdoc />
    public bool Equals(Hash256 other) => _u0 == other._u0 && _u1 == other._u1 && _u2 == other._u2 && _u3 == other._u3;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Hash256 other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_u0, _u1, _u2, _u3);

    /// <summary>Compares as a 256-bit big-endian unsigned integer.</summary>
    public int CompareTo(Hash256 other)
    {
        var a = AsSpan(in this);
        var b = AsSpan(in other);
        return a.SequenceCompareTo(b);
    }

    /// <summary>Lower-case hex of all 32 bytes.</summary>
    public override string ToString() => Convert.ToHexStringLower(AsSpan(in this));

    /// <summary>A short form for logs: the first 8 hex characters.</summary>
    public string ToShortString() => ToString()[..8];

    /// <summary>Equality operator.</summary>
    public static bool operator ==(Hash256 left, Hash256 right) => left.Equals(right);

    /// <summary>Inequality operator.</summary>
    public static bool operator !=(Hash256 left, Hash256 right) => !left.Equals(right);

    /// <summary>Less-than as big-endian integers.</summary>
    public static bool operator <(Hash256 left, Hash256 right) => left.CompareTo(right) < 0;

    /// <summary>Greater-than as big-endian integers.</summary>
    public static bool operator >(Hash256 left, Hash256 right) => left.CompareTo(right) > 0;

    /// <summary>Less-or-equal as big-endian integers.</summary>
    public static bool operator <=(Hash256 left, Hash256 right) => left.CompareTo(right) <= 0;

    /// <summary>Greater-or-equal as big-endian integers.</summary>
    public static bool operator >=(Hash256 left, Hash256 right) => left.CompareTo(right) >= 0;
}

using System.Runtime.InteropServices;

namespace HealthLedger.Core.Crypto;

/// <summary>An Ed25519 signature (64 bytes: R || S).</summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
public readonly struct Signature : IEquatable<Signature>
{
    /// <summary>Size in bytes.</summary>
    public const int Length = 64;

    private readonly Hash256 _r;
    private readonly Hash256 _s;

    /// <summary>Creates a signature from exactly 64 bytes.</summary>
    /// <exception cref="ArgumentException">Not 64 bytes.</exception>
    public Signature(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException($"A signature needs {Length} bytes, got {bytes.Length}.", nameof(bytes));
        }

        _r = new Hash256(bytes[..32]);
        _s = new Hash256(bytes[32..]);
    }

    /// <summary>The all-zero signature (absent).</summary>
    public static Signature Empty => default;

    /// <summary>True when all bytes are zero.</summary>
    public bool IsEmpty => _r.IsZero && _s.IsZero;

    /// <summary>The signature bytes without copying.</summary>
    public static ReadOnlySpan<byte> AsSpan(in Signature signature) => MemoryMarshal.AsBytes(new ReadOnlySpan<Signature>(in signature));

    /// <summary>Writes the 64 bytes.</summary>
    public void WriteTo(Span<byte> destination)
    {
        _r.WriteTo(destination);
        _s.WriteTo(destination[32..]);
    }

    /// <summary>A copy of the 64 bytes.</summary>
    public byte[] ToArray()
    {
        var result = new byte[Length];
        WriteTo(result);
        return result;
    }

    /// <inheritdoc />
    public bool Equals(Signature other) => _r == other._r && _s == other._s;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Signature other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_r, _s);

    /// <summary>Lower-case hex.</summary>
    public override string ToString() => _r.ToString() + _s.ToString();

    /// <summary>Equality.</summary>
    public static bool operator ==(Signature left, Signature right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(Signature left, Signature right) => !left.Equals(right);
}

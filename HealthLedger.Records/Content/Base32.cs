namespace HealthLedger.Records.Content;

/// <summary>RFC 4648 base32, lower case, no padding: the "b" multibase used by CIDv1.</summary>
internal static class Base32
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>Characters needed for <paramref name="byteCount"/> bytes.</summary>
    public static int EncodedLength(int byteCount) => (byteCount * 8 + 4) / 5;

    public static string Encode(ReadOnlySpan<byte> data)
    {
        return string.Create(EncodedLength(data.Length), data.ToArray(), static (chars, bytes) =>
        {
            int buffer = 0, bits = 0, o = 0;
            foreach (var b in bytes)
            {
                buffer = (buffer << 8) | b;
                bits += 8;
                while (bits >= 5)
                {
                    chars[o++] = Alphabet[(buffer >> (bits - 5)) & 31];
                    bits -= 5;
                }
            }
            if (bits > 0)
            {
                chars[o] = Alphabet[(buffer << (5 - bits)) & 31];
            }
        });
    }

    /// <summary>
    /// Decodes exactly <paramref name="destination"/>.Length bytes; false on any character outside the lower-case
    /// alphabet, a wrong length, or non-zero padding bits (so each byte string has exactly one accepted text).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.Length != EncodedLength(destination.Length))
        {
            return false;
        }
        int buffer = 0, bits = 0, o = 0;
        foreach (var c in text)
        {
            int v = c is >= 'a' and <= 'z' ? c - 'a' : c is >= '2' and <= '7' ? c - '2' + 26 : -1;
            if (v < 0)
            {
                return false;
            }
            buffer = ((buffer << 5) | v) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                destination[o++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }
        return (buffer & ((1 << bits) - 1)) == 0;
    }
}

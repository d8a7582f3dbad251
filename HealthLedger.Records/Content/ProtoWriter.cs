namespace HealthLedger.Records.Content;

/// <summary>The few protobuf wire-format pieces DAG-PB and UnixFS need, appended to a growable buffer.</summary>
internal sealed class ProtoWriter
{
    private byte[] _buffer;

    public ProtoWriter(int capacity) => _buffer = new byte[Math.Max(16, capacity)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Length0() => Length = 0;

    public static int VarintSize(ulong value)
    {
        int n = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            n++;
        }
        return n;
    }

    public void Varint(ulong value)
    {
        Ensure(10);
        while (value >= 0x80)
        {
            _buffer[Length++] = (byte)(value | 0x80);
            value >>= 7;
        }
        _buffer[Length++] = (byte)value;
    }

    /// <summary>A varint field (wire type 0).</summary>
    public void VarintField(int field, ulong value)
    {
        Varint((ulong)(field << 3));
        Varint(value);
    }

    /// <summary>A length-delimited field (wire type 2).</summary>
    public void BytesField(int field, ReadOnlySpan<byte> value)
    {
        Varint((ulong)((field << 3) | 2));
        Varint((ulong)value.Length);
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(Length));
        Length += value.Length;
    }

    private void Ensure(int extra)
    {
        if (Length + extra > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, Length + extra));
        }
    }
}

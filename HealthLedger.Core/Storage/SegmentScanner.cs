using System.Buffers.Binary;
using HealthLedger.Core.Crypto;
using Microsoft.Win32.SafeHandles;

namespace HealthLedger.Core.Storage;

/// <summary>
/// Reads and checks one segment file through a fixed 64 KiB window: never allocates more than the window,
/// whatever the length fields say, and every method runs in time linear in the file size.
/// </summary>
internal sealed class SegmentScanner
{
    private const int WindowSize = 64 * 1024;

    private readonly SafeFileHandle _handle;
    private readonly int _maxRecordSize;
    private readonly byte[] _window = new byte[WindowSize];
    private long _windowStart;
    private int _windowLength;

    public SegmentScanner(SafeFileHandle handle, long length, int maxRecordSize)
    {
        _handle = handle;
        Length = length;
        _maxRecordSize = maxRecordSize;
    }

    /// <summary>The file length being scanned.</summary>
    public long Length { get; }

    /// <summary>Checks the 16-byte segment header.</summary>
    public BlockStoreDamage CheckHeader(int expectedSegment)
    {
        if (Length < SegmentFormat.HeaderSize)
        {
            return BlockStoreDamage.IncompleteSegmentHeader;
        }

        var header = Window(0, SegmentFormat.HeaderSize);
        if (!header[..8].SequenceEqual(SegmentFormat.Magic))
        {
            return BlockStoreDamage.BadMagic;
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[8..]) != SegmentFormat.Version)
        {
            return BlockStoreDamage.UnsupportedVersion;
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) == (uint)expectedSegment
            ? BlockStoreDamage.None
            : BlockStoreDamage.SegmentNumberMismatch;
    }

    /// <summary>
    /// Checks the record at <paramref name="offset"/>. Returns <see cref="BlockStoreDamage.None"/> for a valid
    /// record (with its hash and payload length), or the damage found. <paramref name="payloadLength"/> is
    /// also set for <see cref="BlockStoreDamage.BadRecordChecksum"/> (its header is valid).
    /// </summary>
    public BlockStoreDamage CheckRecord(long offset, out long sequence, out Hash256 hash, out int payloadLength)
    {
        hash = default;
        sequence = -1;
        payloadLength = 0;
        if (Length - offset < SegmentFormat.RecordHeaderSize)
        {
            return BlockStoreDamage.IncompleteRecord;
        }

        if (!SegmentFormat.TryReadRecordHeader(Window(offset, SegmentFormat.RecordHeaderSize), out var length, out sequence, out hash))
        {
            return BlockStoreDamage.BadHeaderChecksum;
        }

        if (length > (uint)_maxRecordSize)
        {
            return BlockStoreDamage.RecordTooLarge;
        }

        payloadLength = (int)length;
        var checkedLength = SegmentFormat.RecordHeaderSize + (long)length;
        if (Length - offset < checkedLength + SegmentFormat.TrailerSize)
        {
            return BlockStoreDamage.IncompleteRecord;
        }

        var crc = Crc32C.Finish(CrcOfRange(offset, checkedLength));
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(Window(offset + checkedLength, SegmentFormat.TrailerSize));
        return crc == stored ? BlockStoreDamage.None : BlockStoreDamage.BadRecordChecksum;
    }

    /// <summary>
    /// Looks for a complete, valid record starting at any offset at or after <paramref name="from"/>; returns
    /// its offset or -1. A candidate whose header is valid but whose body is not is skipped as a whole
    /// (its length field is checksummed), so the search reads every byte a bounded number of times.
    /// </summary>
    public long FindValidRecord(long from)
    {
        var position = from;
        while (Length - position >= SegmentFormat.RecordOverhead)
        {
            var damage = CheckRecord(position, out _, out _, out var payloadLength);
            switch (damage)
            {
                case BlockStoreDamage.None:
                    return position;
                case BlockStoreDamage.BadRecordChecksum:
                    position += SegmentFormat.RecordOverhead + (long)payloadLength;
                    break;
                default:
                    position++;
                    break;
            }
        }

        return -1;
    }

    private uint CrcOfRange(long offset, long count)
    {
        var state = Crc32C.InitialState;
        while (count > 0)
        {
            var chunk = (int)Math.Min(count, WindowSize);
            state = Crc32C.Update(state, Window(offset, chunk));
            offset += chunk;
            count -= chunk;
        }

        return state;
    }

    /// <summary>Returns <paramref name="count"/> bytes at <paramref name="offset"/>; the range must lie within the file.</summary>
    private ReadOnlySpan<byte> Window(long offset, int count)
    {
        if (offset < _windowStart || offset + count > _windowStart + _windowLength)
        {
            _windowStart = offset;
            _windowLength = 0;
            var wanted = (int)Math.Min(WindowSize, Length - offset);
            while (_windowLength < wanted)
            {
                var read = RandomAccess.Read(_handle, _window.AsSpan(_windowLength, wanted - _windowLength), offset + _windowLength);
                if (read == 0)
                {
                    throw new IOException("The segment file shrank while it was being read.");
                }

                _windowLength += read;
            }
        }

        return _window.AsSpan((int)(offset - _windowStart), count);
    }
}

using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Encoding;

namespace HealthLedger.Core.Network;

/// <summary>
/// Reassembles frames from a byte stream that arrives in arbitrary pieces. The length prefix is read first and
/// refused as soon as its four bytes arrive when it is above the limit. The body goes into buffers rented from
/// <see cref="ArrayPool{T}.Shared"/>: 64 KiB first, doubled (up to the declared size) only as bytes actually arrive,
/// so a peer that declares 16 MiB and trickles bytes makes the reader hold at most max(64 KiB, about 4 × what it sent)
/// (2 × for doubling, 2 × for the pool's power-of-two sizes), not the declared size. After each frame is decoded the
/// buffer goes back to the pool and nothing is held between frames. In steady state (the pool holds buffers of those
/// sizes) reading a frame allocates only the message it returns; with a cold pool at most twice the frame more.
/// Not thread-safe: one reader per connection, used on its receive path.
/// </summary>
public sealed class FrameReader : IDisposable
{
    /// <summary>First body buffer size (and the most a peer can make the reader hold before sending more).</summary>
    public const int InitialBodyBuffer = 64 * 1024;

    private readonly int _maxBody;
    private readonly byte[] _prefix = new byte[MessageCodec.PrefixSize];
    private int _prefixFilled;
    private byte[]? _body;
    private int _bodyLength;
    private int _bodyFilled;

    /// <summary>Creates a reader with a body limit.</summary>
    public FrameReader(int maxBodyBytes = MessageCodec.MaxBodyBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBodyBytes);
        _maxBody = maxBodyBytes;
    }

    /// <summary>Bytes received and not yet returned as a message (a partial prefix or body).</summary>
    public int Buffered => _prefixFilled + _bodyFilled;

    /// <summary>Size of the buffer currently held for a partial frame body (zero between frames).</summary>
    public int HeldBytes => _body?.Length ?? 0;

    /// <summary>Appends received bytes and returns every complete message they finish.</summary>
    /// <exception cref="LedgerFormatException">A frame is oversized or its body is not a valid message (the reader is reset).</exception>
    public IReadOnlyList<NetworkMessage> Feed(ReadOnlySpan<byte> bytes)
    {
        List<NetworkMessage>? result = null;
        while (true)
        {
            if (_body is null)
            {
                if (bytes.IsEmpty)
                {
                    break;
                }

                var n = Math.Min(MessageCodec.PrefixSize - _prefixFilled, bytes.Length);
                bytes[..n].CopyTo(_prefix.AsSpan(_prefixFilled));
                _prefixFilled += n;
                bytes = bytes[n..];
                if (_prefixFilled < MessageCodec.PrefixSize)
                {
                    break;
                }

                var length = BinaryPrimitives.ReadUInt32LittleEndian(_prefix);
                if (length > (uint)_maxBody)
                {
                    Release();
                    throw new LedgerFormatException("frame", $"body of {length} bytes exceeds the limit of {_maxBody}");
                }

                _bodyLength = (int)length;
                _bodyFilled = 0;
                _body = _bodyLength == 0 ? [] : ArrayPool<byte>.Shared.Rent(Math.Min(_bodyLength, InitialBodyBuffer));
            }

            var take = Math.Min(_bodyLength - _bodyFilled, bytes.Length);
            if (_bodyFilled + take > _body.Length)
            {
                Grow(_bodyFilled + take);
            }

            bytes[..take].CopyTo(_body.AsSpan(_bodyFilled));
            _bodyFilled += take;
            bytes = bytes[take..];
            if (_bodyFilled < _bodyLength)
            {
                break;
            }

            try
            {
                (result ??= []).Add(MessageCodec.DecodeBody(_body.AsMemory(0, _bodyLength)));
            }
            finally
            {
                Release();
            }
        }

        return result ?? (IReadOnlyList<NetworkMessage>)[];
    }

    /// <summary>Returns a partially filled buffer to the pool (the connection is gone).</summary>
    public void Dispose() => Release();

    private void Grow(int needed)
    {
        var size = Math.Min(_bodyLength, Math.Max(needed, _body!.Length * 2));
        var bigger = ArrayPool<byte>.Shared.Rent(size);
        _body.AsSpan(0, _bodyFilled).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_body);
        _body = bigger;
    }

    private void Release()
    {
        if (_body is { Length: > 0 })
        {
            ArrayPool<byte>.Shared.Return(_body);
        }

        _body = null;
        _bodyLength = 0;
        _bodyFilled = 0;
        _prefixFilled = 0;
    }
}

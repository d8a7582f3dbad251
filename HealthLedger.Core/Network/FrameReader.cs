using System.Buffers;
using System.Buffers.Binary;
using HealthLedger.Core.Encoding;

namespace HealthLedger.Core.Network;

/// <summary>
/// Reassembles frames from a byte stream that arrives in arbitrary pieces. The length prefix is read first and
/// refused as soon as its four bytes arrive when it is above the limit; otherwise one buffer of exactly the body's
/// size is rented from <see cref="ArrayPool{T}.Shared"/>, filled, decoded, and returned to the pool before the next
/// frame starts. The reader therefore allocates at most one frame body (nothing in steady state, when the pool
/// holds a buffer of that size) and holds no buffer between frames. Not thread-safe: one reader per connection.
/// </summary>
public sealed class FrameReader : IDisposable
{
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
                _body = _bodyLength == 0 ? [] : ArrayPool<byte>.Shared.Rent(_bodyLength);
            }

            var take = Math.Min(_bodyLength - _bodyFilled, bytes.Length);
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

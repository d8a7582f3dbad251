using System.Buffers.Binary;
using System.Numerics;

namespace HealthLedger.Core.Storage;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF),
/// built on <see cref="BitOperations.Crc32C(uint, ulong)"/> (SSE4.2 / ARMv8 instructions with a
/// software fallback). Check value: CRC-32C("123456789") = 0xE3069283.
/// </summary>
internal static class Crc32C
{
    /// <summary>The state to start an incremental computation from.</summary>
    public const uint InitialState = 0xFFFFFFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running state.</summary>
    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        while (data.Length >= sizeof(ulong))
        {
            state = BitOperations.Crc32C(state, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[sizeof(ulong)..];
        }

        foreach (var b in data)
        {
            state = BitOperations.Crc32C(state, b);
        }

        return state;
    }

    /// <summary>Turns a running state into the checksum value.</summary>
    public static uint Finish(uint state) => ~state;

    /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(InitialState, data));
}

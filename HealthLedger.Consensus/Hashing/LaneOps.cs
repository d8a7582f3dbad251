using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace HealthLedger.Consensus.Hashing;

/// <summary>
/// The SHA-256 word operations over one lane type: a scalar <see cref="uint"/>, or 8/16 lanes of a vector.
/// The kernel is written once against this interface; the JIT specialises and inlines it per struct.
/// </summary>
/// <typeparam name="TV">The lane type.</typeparam>
internal interface ILaneOps<TV>
    where TV : unmanaged
{
    /// <summary>Lanes per value.</summary>
    static abstract int Lanes { get; }

    /// <summary>Whether the hardware accelerates this lane type.</summary>
    static abstract bool IsAccelerated { get; }

    /// <summary>The same word in every lane.</summary>
    static abstract TV Broadcast(uint value);

    /// <summary>Lane-wise addition modulo 2^32.</summary>
    static abstract TV Add(TV a, TV b);

    /// <summary>Ch(e, f, g) = (e AND f) XOR (NOT e AND g).</summary>
    static abstract TV Ch(TV e, TV f, TV g);

    /// <summary>Maj(a, b, c).</summary>
    static abstract TV Maj(TV a, TV b, TV c);

    /// <summary>Σ0 = ROTR2 ^ ROTR13 ^ ROTR22.</summary>
    static abstract TV BigSigma0(TV x);

    /// <summary>Σ1 = ROTR6 ^ ROTR11 ^ ROTR25.</summary>
    static abstract TV BigSigma1(TV x);

    /// <summary>σ0 = ROTR7 ^ ROTR18 ^ SHR3.</summary>
    static abstract TV SmallSigma0(TV x);

    /// <summary>σ1 = ROTR17 ^ ROTR19 ^ SHR10.</summary>
    static abstract TV SmallSigma1(TV x);

    /// <summary>Message word W0 for lane i: the nonce <c>first + i</c> stored little-endian, read big-endian.</summary>
    static abstract TV NonceWords(uint first);

    /// <summary>A bit per lane (lane 0 = bit 0) set when the lane's word is at most <paramref name="limit"/> (unsigned).</summary>
    static abstract uint LanesAtOrBelow(TV value, uint limit);
}

/// <summary>One nonce at a time in general-purpose registers.</summary>
internal readonly struct ScalarLanes : ILaneOps<uint>
{
    public static int Lanes => 1;

    public static bool IsAccelerated => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Broadcast(uint value) => value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Add(uint a, uint b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Ch(uint e, uint f, uint g) => Sha256Core.Ch(e, f, g);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Maj(uint a, uint b, uint c) => Sha256Core.Maj(a, b, c);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint BigSigma0(uint x) => Sha256Core.BigSigma0(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint BigSigma1(uint x) => Sha256Core.BigSigma1(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SmallSigma0(uint x) => Sha256Core.SmallSigma0(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint SmallSigma1(uint x) => Sha256Core.SmallSigma1(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint NonceWords(uint first) => BinaryPrimitives.ReverseEndianness(first);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LanesAtOrBelow(uint value, uint limit) => value <= limit ? 1u : 0u;
}

/// <summary>Eight nonces per step in 256-bit vectors (AVX2; vprord and vpternlogd when AVX-512VL is available).</summary>
internal readonly struct Vector256Lanes : ILaneOps<Vector256<uint>>
{
    private static readonly Vector256<uint> LaneIndex = Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);

    private static readonly Vector256<byte> ByteSwap = Vector256.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);

    // Vector256.Shuffle indexes all 32 bytes (vpshufb only within each 16-byte half).
    private static readonly Vector256<byte> ByteSwapGlobal = Vector256.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        19, 18, 17, 16, 23, 22, 21, 20, 27, 26, 25, 24, 31, 30, 29, 28);

    public static int Lanes => 8;

    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Broadcast(uint value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Add(Vector256<uint> a, Vector256<uint> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Ch(Vector256<uint> e, Vector256<uint> f, Vector256<uint> g) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(e, f, g, 0xCA) : g ^ (e & (f ^ g));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> Maj(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0xE8) : (a & b) | (c & (a | b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> BigSigma0(Vector256<uint> x) => Xor3(Rotr(x, 2), Rotr(x, 13), Rotr(x, 22));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> BigSigma1(Vector256<uint> x) => Xor3(Rotr(x, 6), Rotr(x, 11), Rotr(x, 25));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> SmallSigma0(Vector256<uint> x) => Xor3(Rotr(x, 7), Rotr(x, 18), Vector256.ShiftRightLogical(x, 3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> SmallSigma1(Vector256<uint> x) => Xor3(Rotr(x, 17), Rotr(x, 19), Vector256.ShiftRightLogical(x, 10));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<uint> NonceWords(uint first)
    {
        var n = Vector256.Create(first) + LaneIndex;
        return Avx2.IsSupported
            ? Avx2.Shuffle(n.AsByte(), ByteSwap).AsUInt32()
            : Vector256.Shuffle(n.AsByte(), ByteSwapGlobal).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LanesAtOrBelow(Vector256<uint> value, uint limit) =>
        Vector256.LessThanOrEqual(value, Vector256.Create(limit)).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotr(Vector256<uint> x, [ConstantExpected] byte n) =>
        Avx512F.VL.IsSupported
            ? Avx512F.VL.RotateRight(x, n)
            : Vector256.ShiftRightLogical(x, n) | Vector256.ShiftLeft(x, 32 - n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Xor3(Vector256<uint> a, Vector256<uint> b, Vector256<uint> c) =>
        Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(a, b, c, 0x96) : a ^ b ^ c;
}

/// <summary>Sixteen nonces per step in 512-bit vectors (AVX-512F: vprord, vpternlogd). Runs in software elsewhere (tests only).</summary>
internal readonly struct Vector512Lanes : ILaneOps<Vector512<uint>>
{
    private static readonly Vector512<uint> LaneIndex = Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

    private static readonly Vector512<byte> ByteSwap = Vector512.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12);

    private static readonly Vector512<byte> ByteSwapGlobal = Vector512.Create(
        (byte)3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12,
        19, 18, 17, 16, 23, 22, 21, 20, 27, 26, 25, 24, 31, 30, 29, 28,
        35, 34, 33, 32, 39, 38, 37, 36, 43, 42, 41, 40, 47, 46, 45, 44,
        51, 50, 49, 48, 55, 54, 53, 52, 59, 58, 57, 56, 63, 62, 61, 60);

    public static int Lanes => 16;

    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Broadcast(uint value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Add(Vector512<uint> a, Vector512<uint> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Ch(Vector512<uint> e, Vector512<uint> f, Vector512<uint> g) =>
        Avx512F.IsSupported ? Avx512F.TernaryLogic(e, f, g, 0xCA) : g ^ (e & (f ^ g));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> Maj(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c) =>
        Avx512F.IsSupported ? Avx512F.TernaryLogic(a, b, c, 0xE8) : (a & b) | (c & (a | b));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> BigSigma0(Vector512<uint> x) => Xor3(Rotr(x, 2), Rotr(x, 13), Rotr(x, 22));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> BigSigma1(Vector512<uint> x) => Xor3(Rotr(x, 6), Rotr(x, 11), Rotr(x, 25));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> SmallSigma0(Vector512<uint> x) => Xor3(Rotr(x, 7), Rotr(x, 18), Vector512.ShiftRightLogical(x, 3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> SmallSigma1(Vector512<uint> x) => Xor3(Rotr(x, 17), Rotr(x, 19), Vector512.ShiftRightLogical(x, 10));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<uint> NonceWords(uint first)
    {
        var n = Vector512.Create(first) + LaneIndex;
        return Avx512BW.IsSupported
            ? Avx512BW.Shuffle(n.AsByte(), ByteSwap).AsUInt32()
            : Vector512.Shuffle(n.AsByte(), ByteSwapGlobal).AsUInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint LanesAtOrBelow(Vector512<uint> value, uint limit) =>
        (uint)Vector512.LessThanOrEqual(value, Vector512.Create(limit)).ExtractMostSignificantBits();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Rotr(Vector512<uint> x, [ConstantExpected] byte n) =>
        Avx512F.IsSupported
            ? Avx512F.RotateRight(x, n)
            : Vector512.ShiftRightLogical(x, n) | Vector512.ShiftLeft(x, 32 - n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Xor3(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c) =>
        Avx512F.IsSupported ? Avx512F.TernaryLogic(a, b, c, 0x96) : a ^ b ^ c;
}

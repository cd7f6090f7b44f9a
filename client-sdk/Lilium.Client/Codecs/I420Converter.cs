using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Lilium.Client.Codecs;

/// <summary>
/// BGRA (B, G, R, X bytes) to I420 (planar Y, then U and V at half resolution) with BT.601
/// limited-range coefficients, the decoders' default for VP8 and H.264 without VUI colour info.
/// Luma is computed 16 pixels at a time and chroma 8 blocks of 2×2 at a time with
/// <see cref="Vector256"/> (AVX2 on x86-64, two NEON halves on arm64); a scalar loop takes the
/// remainder and machines without 256-bit vectors. Width and height must be even.
/// </summary>
internal static unsafe class I420Converter
{
    // Y = ((66R + 129G + 25B + 128) >> 8) + 16; U = ((-38R - 74G + 112B + 128) >> 8) + 128; V = ((112R - 94G - 18B + 128) >> 8) + 128.
    private const int YR = 66, YG = 129, YB = 25, UR = -38, UG = -74, UB = 112, VR = 112, VG = -94, VB = -18;

    /// <summary>Bytes an I420 image of this size needs (Y, then U, then V, tightly packed).</summary>
    public static int BufferSize(int width, int height) => (width * height) + (2 * (width / 2) * (height / 2));

    /// <summary>Converts one BGRA image into <paramref name="i420"/> laid out as <see cref="BufferSize"/> describes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // Tier-0 code of these vector loops is ~100x slower (seconds a frame)
    public static void Convert(nint bgra, int stride, int width, int height, Span<byte> i420)
    {
        if ((width | height) % 2 != 0)
        {
            throw new ArgumentException("I420 needs an even width and height.");
        }

        if (i420.Length < BufferSize(width, height))
        {
            throw new ArgumentException("The I420 buffer is too small.", nameof(i420));
        }

        fixed (byte* dst = i420)
        {
            var y = dst;
            var u = dst + (width * height);
            var v = u + ((width / 2) * (height / 2));
            for (var row = 0; row < height; row += 2)
            {
                var top = (uint*)((byte*)bgra + (row * stride));
                var bottom = (uint*)((byte*)bgra + ((row + 1) * stride));
                LumaRow(top, y + (row * width), width);
                LumaRow(bottom, y + ((row + 1) * width), width);
                ChromaRow(top, bottom, u + ((row / 2) * (width / 2)), v + ((row / 2) * (width / 2)), width);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // Tier-0 code of these vector loops is ~100x slower (seconds a frame)
    private static void LumaRow(uint* src, byte* dst, int width)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var mask = Vector256.Create(0xFFu);
            var yr = Vector256.Create(YR);
            var yg = Vector256.Create(YG);
            var yb = Vector256.Create(YB);
            var round = Vector256.Create(128 + (16 << 8));
            for (; x + 16 <= width; x += 16)
            {
                var a = Luma8(Vector256.Load(src + x), mask, yr, yg, yb, round);
                var b = Luma8(Vector256.Load(src + x + 8), mask, yr, yg, yb, round);
                var shorts = Vector256.Narrow(a, b); // 16 × int16, in order
                var bytes = Vector256.Narrow(shorts.AsUInt16(), shorts.AsUInt16());
                bytes.GetLower().Store(dst + x);
            }
        }

        for (; x < width; x++)
        {
            var p = src[x];
            int b = (byte)p, g = (byte)(p >> 8), r = (byte)(p >> 16);
            dst[x] = (byte)((((YR * r) + (YG * g) + (YB * b) + 128) >> 8) + 16);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Luma8(Vector256<uint> p, Vector256<uint> mask, Vector256<int> yr, Vector256<int> yg, Vector256<int> yb, Vector256<int> round)
    {
        var b = (p & mask).AsInt32();
        var g = (Vector256.ShiftRightLogical(p, 8) & mask).AsInt32();
        var r = (Vector256.ShiftRightLogical(p, 16) & mask).AsInt32();
        return Vector256.ShiftRightArithmetic((r * yr) + (g * yg) + (b * yb) + round, 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // Tier-0 code of these vector loops is ~100x slower (seconds a frame)
    private static void ChromaRow(uint* top, uint* bottom, byte* u, byte* v, int width)
    {
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            // Each 64-bit lane holds two horizontal pixels; lane sums of B, G, R over the 2×2 block
            // stay below 2^12, so the products fit the low 32-bit half and the high half stays 0.
            var mask = Vector256.Create(0xFFul);
            var ur = Vector256.Create((long)UR).AsInt32();
            var ug = Vector256.Create((long)UG).AsInt32();
            var ub = Vector256.Create((long)UB).AsInt32();
            var vr = Vector256.Create((long)VR).AsInt32();
            var vg = Vector256.Create((long)VG).AsInt32();
            var vb = Vector256.Create((long)VB).AsInt32();
            var round = Vector256.Create(512L + (128L << 10)).AsInt32();
            for (; x + 16 <= width; x += 16)
            {
                // Pixels x..x+7 in the first pair of loads, x+8..x+15 in the second: eight chroma samples.
                Sums(Vector256.Load((ulong*)(top + x)), Vector256.Load((ulong*)(bottom + x)), mask, out var bs0, out var gs0, out var rs0);
                Sums(Vector256.Load((ulong*)(top + x + 8)), Vector256.Load((ulong*)(bottom + x + 8)), mask, out var bs1, out var gs1, out var rs1);
                var u0 = Vector256.ShiftRightArithmetic((rs0 * ur) + (gs0 * ug) + (bs0 * ub) + round, 10);
                var v0 = Vector256.ShiftRightArithmetic((rs0 * vr) + (gs0 * vg) + (bs0 * vb) + round, 10);
                var u1 = Vector256.ShiftRightArithmetic((rs1 * ur) + (gs1 * ug) + (bs1 * ub) + round, 10);
                var v1 = Vector256.ShiftRightArithmetic((rs1 * vr) + (gs1 * vg) + (bs1 * vb) + round, 10);
                var o = x / 2;
                u[o] = (byte)u0.GetElement(0); u[o + 1] = (byte)u0.GetElement(2); u[o + 2] = (byte)u0.GetElement(4); u[o + 3] = (byte)u0.GetElement(6);
                u[o + 4] = (byte)u1.GetElement(0); u[o + 5] = (byte)u1.GetElement(2); u[o + 6] = (byte)u1.GetElement(4); u[o + 7] = (byte)u1.GetElement(6);
                v[o] = (byte)v0.GetElement(0); v[o + 1] = (byte)v0.GetElement(2); v[o + 2] = (byte)v0.GetElement(4); v[o + 3] = (byte)v0.GetElement(6);
                v[o + 4] = (byte)v1.GetElement(0); v[o + 5] = (byte)v1.GetElement(2); v[o + 6] = (byte)v1.GetElement(4); v[o + 7] = (byte)v1.GetElement(6);
            }
        }

        for (; x < width; x += 2)
        {
            int b = 0, g = 0, r = 0;
            foreach (var p in (ReadOnlySpan<uint>)[top[x], top[x + 1], bottom[x], bottom[x + 1]])
            {
                b += (byte)p;
                g += (byte)(p >> 8);
                r += (byte)(p >> 16);
            }

            u[x / 2] = (byte)((((UR * r) + (UG * g) + (UB * b) + 512) >> 10) + 128);
            v[x / 2] = (byte)((((VR * r) + (VG * g) + (VB * b) + 512) >> 10) + 128);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sums(Vector256<ulong> top, Vector256<ulong> bottom, Vector256<ulong> mask, out Vector256<int> b, out Vector256<int> g, out Vector256<int> r)
    {
        b = ((top & mask) + (Vector256.ShiftRightLogical(top, 32) & mask) + (bottom & mask) + (Vector256.ShiftRightLogical(bottom, 32) & mask)).AsInt32();
        g = ((Vector256.ShiftRightLogical(top, 8) & mask) + (Vector256.ShiftRightLogical(top, 40) & mask)
            + (Vector256.ShiftRightLogical(bottom, 8) & mask) + (Vector256.ShiftRightLogical(bottom, 40) & mask)).AsInt32();
        r = ((Vector256.ShiftRightLogical(top, 16) & mask) + (Vector256.ShiftRightLogical(top, 48) & mask)
            + (Vector256.ShiftRightLogical(bottom, 16) & mask) + (Vector256.ShiftRightLogical(bottom, 48) & mask)).AsInt32();
    }
}

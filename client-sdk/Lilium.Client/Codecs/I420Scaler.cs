using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Lilium.Client.Codecs;

/// <summary>
/// Downscales I420 frames (the <see cref="I420Converter"/> layout) by area averaging: each output
/// pixel is the mean of the source area it covers, weighted by overlap, on each plane. The tables
/// and the one intermediate row are allocated once; <see cref="Scale"/> allocates nothing.
/// </summary>
internal sealed unsafe class I420Scaler
{
    private readonly PlaneScaler _luma;
    private readonly PlaneScaler _chroma;

    /// <summary>Prepares a scaler from <paramref name="sourceWidth"/>×<paramref name="sourceHeight"/> down to <paramref name="width"/>×<paramref name="height"/> (all even, no upscaling).</summary>
    public I420Scaler(int sourceWidth, int sourceHeight, int width, int height)
    {
        if (((sourceWidth | sourceHeight | width | height) & 1) != 0 || width <= 0 || height <= 0)
        {
            throw new ArgumentException("I420 scaling needs even, positive sizes.");
        }

        if (width > sourceWidth || height > sourceHeight)
        {
            throw new ArgumentException($"The scaler only shrinks: {sourceWidth}x{sourceHeight} to {width}x{height} is an enlargement.");
        }

        SourceWidth = sourceWidth;
        SourceHeight = sourceHeight;
        Width = width;
        Height = height;
        _luma = new PlaneScaler(sourceWidth, sourceHeight, width, height);
        _chroma = new PlaneScaler(sourceWidth / 2, sourceHeight / 2, width / 2, height / 2);
    }

    public int SourceWidth { get; }

    public int SourceHeight { get; }

    public int Width { get; }

    public int Height { get; }

    /// <summary>Scales one I420 frame of the source size into <paramref name="destination"/> (the output size).</summary>
    public void Scale(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length < I420Converter.BufferSize(SourceWidth, SourceHeight) || destination.Length < I420Converter.BufferSize(Width, Height))
        {
            throw new ArgumentException("An I420 buffer is smaller than its frame.");
        }

        fixed (byte* s = source)
        fixed (byte* d = destination)
        {
            _luma.Scale(s, d);
            var su = s + (SourceWidth * SourceHeight);
            var du = d + (Width * Height);
            _chroma.Scale(su, du);
            _chroma.Scale(su + (SourceWidth / 2 * (SourceHeight / 2)), du + (Width / 2 * (Height / 2)));
        }
    }
}

/// <summary>
/// One plane's area-average downscale, separable: a vertical pass over whole source rows (vectorized,
/// 8.8 fixed point) into one row, then a horizontal pass (AVX2 gathers of up to four taps for eight
/// outputs at a time where available, else scalar). Weights are in 1/256 and each output's
/// weights add up to exactly 256, so a flat area keeps its value exactly.
/// </summary>
internal sealed unsafe class PlaneScaler
{
    private const int One = 256;
    private readonly int _sourceWidth;
    private readonly int _width;
    private readonly int _height;
    private readonly Taps _horizontal;
    private readonly Taps _vertical;
    private readonly ushort[] _row;
    private readonly int[][]? _gatherWeights; // [tap][output], for the AVX2 path (up to 4 taps)

    public PlaneScaler(int sourceWidth, int sourceHeight, int width, int height)
    {
        _sourceWidth = sourceWidth;
        _width = width;
        _height = height;
        _horizontal = Taps.Area(sourceWidth, width);
        _vertical = Taps.Area(sourceHeight, height);
        _row = new ushort[sourceWidth + 4]; // the gather path reads up to 3 past a window's start (zero weights)
        if (_horizontal.Count <= 4)
        {
            _gatherWeights = new int[4][];
            for (var t = 0; t < 4; t++)
            {
                _gatherWeights[t] = new int[width];
                for (var x = 0; x < width && t < _horizontal.Count; x++)
                {
                    _gatherWeights[t][x] = _horizontal.Weights[(x * _horizontal.Count) + t];
                }
            }
        }
    }

    /// <summary>Scales a tightly packed plane (stride = width) at <paramref name="source"/> into <paramref name="destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // tier-0 code of vector loops is far slower
    public void Scale(byte* source, byte* destination)
    {
        fixed (ushort* row = _row)
        fixed (int* vStart = _vertical.Start)
        fixed (ushort* vWeight = _vertical.Weights)
        {
            for (var y = 0; y < _height; y++)
            {
                VerticalPass(source, vStart[y], vWeight + (y * _vertical.Count), _vertical.Count, row);
                HorizontalPass(row, destination + (y * _width));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void VerticalPass(byte* source, int firstRow, ushort* weights, int count, ushort* row)
    {
        var width = _sourceWidth;
        var x = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; x + 32 <= width; x += 32)
            {
                var lo = Vector256<ushort>.Zero;
                var hi = Vector256<ushort>.Zero;
                for (var t = 0; t < count; t++)
                {
                    var w = weights[t];
                    if (w == 0)
                    {
                        continue;
                    }

                    var pixels = Vector256.Load(source + ((firstRow + t) * width) + x);
                    var wv = Vector256.Create(w);
                    lo += Vector256.WidenLower(pixels) * wv;
                    hi += Vector256.WidenUpper(pixels) * wv;
                }

                lo.Store(row + x);
                hi.Store(row + x + 16);
            }
        }

        for (; x < width; x++)
        {
            var sum = 0;
            for (var t = 0; t < count; t++)
            {
                sum += weights[t] * source[((firstRow + t) * width) + x];
            }

            row[x] = (ushort)sum;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void HorizontalPass(ushort* row, byte* destination)
    {
        var count = _horizontal.Count;
        var width = _width;
        var x = 0;
        fixed (int* start = _horizontal.Start)
        fixed (ushort* weights = _horizontal.Weights)
        {
            if (Avx2.IsSupported && _gatherWeights is { } gw)
            {
                fixed (int* w0 = gw[0])
                fixed (int* w1 = gw[1])
                fixed (int* w2 = gw[2])
                fixed (int* w3 = gw[3])
                {
                    var low = Vector256.Create(0xFFFF);
                    var round = Vector256.Create(One * One / 2);
                    for (; x + 8 <= width; x += 8)
                    {
                        // Each 32-bit gather at row + start reads two neighbouring 16-bit samples.
                        var index = Vector256.Load(start + x);
                        var pair = Avx2.GatherVector256((int*)row, index, 2);
                        var sum = round + ((pair & low) * Vector256.Load(w0 + x)) + (Vector256.ShiftRightLogical(pair, 16) * Vector256.Load(w1 + x));
                        if (count > 2)
                        {
                            var next = Avx2.GatherVector256((int*)(row + 2), index, 2);
                            sum += ((next & low) * Vector256.Load(w2 + x)) + (Vector256.ShiftRightLogical(next, 16) * Vector256.Load(w3 + x));
                        }

                        var values = Vector256.ShiftRightArithmetic(sum, 16);
                        var shorts = Vector256.Narrow(values, values);
                        var bytes = Vector256.Narrow(shorts, shorts);
                        *(ulong*)(destination + x) = bytes.AsUInt64().GetElement(0);
                    }
                }
            }

            for (; x < width; x++)
            {
                var p = row + start[x];
                var w = weights + (x * count);
                var sum = One * One / 2;
                for (var t = 0; t < count; t++)
                {
                    sum += w[t] * p[t];
                }

                destination[x] = (byte)(sum >> 16);
            }
        }
    }

    /// <summary>Per output index: the first source index and <see cref="Count"/> weights (1/256, summing to 256; zeros pad).</summary>
    internal sealed class Taps
    {
        private Taps(int count, int[] start, ushort[] weights)
        {
            Count = count;
            Start = start;
            Weights = weights;
        }

        public int Count { get; }

        public int[] Start { get; }

        public ushort[] Weights { get; }

        /// <summary>
        /// Output pixel i covers source [i·s, (i+1)·s) with s = source/output; computed in units of
        /// 1/output of a source pixel so every overlap is an exact integer.
        /// </summary>
        public static Taps Area(int source, int output)
        {
            var count = 0;
            for (var i = 0; i < output; i++)
            {
                var first = (int)((long)i * source / output);
                var last = (int)((((long)(i + 1) * source) - 1) / output);
                count = Math.Max(count, last - first + 1);
            }

            var starts = new int[output];
            var weights = new ushort[output * count];
            Span<int> w = stackalloc int[count];
            for (var i = 0; i < output; i++)
            {
                long begin = (long)i * source, end = (long)(i + 1) * source;
                var first = (int)(begin / output);
                var last = (int)((end - 1) / output);
                var shift = Math.Max(0, first + count - source); // keep the padded window inside the source
                starts[i] = first - shift;
                w.Clear();
                var sum = 0;
                var largest = shift;
                for (var k = first; k <= last; k++)
                {
                    var overlap = Math.Min(end, (long)(k + 1) * output) - Math.Max(begin, (long)k * output);
                    var slot = k - first + shift;
                    w[slot] = (int)(overlap * One / source);
                    sum += w[slot];
                    if (w[slot] > w[largest])
                    {
                        largest = slot;
                    }
                }

                w[largest] += One - sum;
                for (var t = 0; t < count; t++)
                {
                    weights[(i * count) + t] = (ushort)w[t];
                }
            }

            return new Taps(count, starts, weights);
        }
    }
}

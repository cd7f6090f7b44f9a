using System.Runtime.InteropServices;

namespace Lilium.Client.Codecs;

/// <summary>
/// VP8 decoding through libvpx (Debian libvpx7, decoder ABI 12), to I420 pictures. Used by the
/// desktop tests to check what the host sent; a viewer application can use it the same way.
/// </summary>
internal sealed unsafe partial class Vp8Decoder : IDisposable
{
    private const string Lib = "libvpx.so.7";
    private const int DecoderAbiVersion = 12;  // VPX_DECODER_ABI_VERSION in 1.12
    private const int ContextSize = 56;
    private const int ImageWidth = 24, ImageHeight = 28, ImagePlanes = 48, ImageStrides = 80;

    private readonly nint _context;

    public Vp8Decoder()
    {
        _context = Marshal.AllocHGlobal(ContextSize);
        new Span<byte>((void*)_context, ContextSize).Clear();
        var error = Init(_context, Vp8Interface(), 0, 0, DecoderAbiVersion);
        if (error != 0)
        {
            Marshal.FreeHGlobal(_context);
            throw new LiliumException("vpx_codec_dec_init_ver failed: " + error);
        }
    }

    /// <summary>Decodes one frame; null if libvpx rejected it or produced no picture.</summary>
    public I420Picture? Decode(ReadOnlySpan<byte> frame)
    {
        fixed (byte* data = frame)
        {
            if (DecodeFrame(_context, data, (uint)frame.Length, 0, 0) != 0)
            {
                return null;
            }
        }

        nint iterator = 0;
        I420Picture? last = null;
        nint image;
        while ((image = GetFrame(_context, &iterator)) != 0)
        {
            var w = (int)*(uint*)(image + ImageWidth);
            var h = (int)*(uint*)(image + ImageHeight);
            var planes = (byte**)(image + ImagePlanes);
            var strides = (int*)(image + ImageStrides);
            last = new I420Picture(w, h, Copy(planes[0], strides[0], w, h), Copy(planes[1], strides[1], (w + 1) / 2, (h + 1) / 2), Copy(planes[2], strides[2], (w + 1) / 2, (h + 1) / 2));
        }

        return last;
    }

    private static byte[] Copy(byte* plane, int stride, int width, int height)
    {
        var result = new byte[width * height];
        for (var row = 0; row < height; row++)
        {
            new ReadOnlySpan<byte>(plane + (row * stride), width).CopyTo(result.AsSpan(row * width));
        }

        return result;
    }

    public void Dispose()
    {
        Destroy(_context);
        Marshal.FreeHGlobal(_context);
    }

    [LibraryImport(Lib, EntryPoint = "vpx_codec_vp8_dx")]
    private static partial nint Vp8Interface();

    [LibraryImport(Lib, EntryPoint = "vpx_codec_dec_init_ver")]
    private static partial int Init(nint context, nint iface, nint config, long flags, int abiVersion);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_decode")]
    private static partial int DecodeFrame(nint context, byte* data, uint size, nint userData, long deadline);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_get_frame")]
    private static partial nint GetFrame(nint context, nint* iterator);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_destroy")]
    private static partial int Destroy(nint context);
}

/// <summary>A decoded picture: tightly packed Y, U and V planes.</summary>
internal sealed record I420Picture(int Width, int Height, byte[] Y, byte[] U, byte[] V)
{
    /// <summary>The pixel at (x, y) as BT.601 limited-range RGB.</summary>
    public (int R, int G, int B) Rgb(int x, int y)
    {
        var c = Y[(y * Width) + x] - 16;
        var d = U[((y / 2) * ((Width + 1) / 2)) + (x / 2)] - 128;
        var e = V[((y / 2) * ((Width + 1) / 2)) + (x / 2)] - 128;
        return (Math.Clamp(((298 * c) + (409 * e) + 128) >> 8, 0, 255),
            Math.Clamp(((298 * c) - (100 * d) - (208 * e) + 128) >> 8, 0, 255),
            Math.Clamp(((298 * c) + (516 * d) + 128) >> 8, 0, 255));
    }
}

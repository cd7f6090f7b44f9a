using System.Globalization;
using static Lilium.Client.Codecs.Libav;

namespace Lilium.Client.Codecs;

/// <summary>An encoder back end that cannot run on this machine, with the reason in one sentence.</summary>
public sealed class EncoderUnavailableException(string reason, Exception? inner = null) : LiliumException(reason, inner)
{
    /// <summary>Why the encoder cannot run (e.g. <c>no /dev/dri/renderD128</c>).</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// One libavcodec H.264 encoder and the settings that make it zero-latency: no B-frames, no lookahead, a GOP too
/// long to matter (keyframes only when forced), constrained baseline, the one-frame VBV the x264 path uses.
/// </summary>
/// <param name="Name">The <c>--encoder</c> name (<c>nvenc</c>, <c>vaapi</c>, <c>qsv</c>).</param>
/// <param name="EncoderName">libavcodec's encoder (<c>h264_nvenc</c> …).</param>
/// <param name="InputFormat">The software pixel format fed (<c>yuv420p</c> or <c>nv12</c>); uploaded first when <paramref name="HwDeviceType"/> is set.</param>
/// <param name="HwDeviceType">A libavutil hardware device type whose frames the encoder takes (<c>vaapi</c>), or null for system-memory frames.</param>
/// <param name="HwDevicePath">The device to open for <paramref name="HwDeviceType"/>.</param>
/// <param name="GopSize">The keyframe interval asked for: effectively infinite, within what the encoder's API holds.</param>
/// <param name="ReconfiguresBitrate">True when the libavcodec wrapper applies a changed <c>bit_rate</c> to an open encoder; otherwise a bitrate change reopens it.</param>
/// <param name="PrivateOptions">The encoder's own AVOptions, by name.</param>
internal sealed record LibavH264Backend(
    string Name,
    string EncoderName,
    string InputFormat,
    string? HwDeviceType,
    string? HwDevicePath,
    int GopSize,
    bool ReconfiguresBitrate,
    IReadOnlyList<KeyValuePair<string, string>> PrivateOptions)
{
    public const string RenderNode = "/dev/dri/renderD128";

    /// <summary>NVIDIA NVENC: lowest-latency preset and tune, CBR, no lookahead or delay, IDR when a frame asks for I.</summary>
    public static readonly LibavH264Backend Nvenc = new("nvenc", "h264_nvenc", "yuv420p", null, null, int.MaxValue, true,
    [
        new("preset", "p1"), new("tune", "ull"), new("rc", "cbr"), new("profile", "baseline"), new("zerolatency", "1"),
        new("delay", "0"), new("rc-lookahead", "0"), new("no-scenecut", "1"), new("forced-idr", "1"),
    ]);

    /// <summary>VAAPI (Intel, AMD): NV12 surfaces on the render node, CBR, one frame in flight; I-frames it is asked for are IDR.</summary>
    public static readonly LibavH264Backend Vaapi = new("vaapi", "h264_vaapi", "nv12", "vaapi", RenderNode, int.MaxValue, false,
    [
        new("profile", "constrained_baseline"), new("rc_mode", "CBR"), new("async_depth", "1"),
    ]);

    /// <summary>Intel Quick Sync through libmfx: NV12 from system memory, no lookahead, one frame in flight, forced IDR.
    /// libmfx's GOP size is 16-bit: 65,535 frames (36 min at 30 fps) is the longest it takes.</summary>
    public static readonly LibavH264Backend Qsv = new("qsv", "h264_qsv", "nv12", null, null, 65_535, false,
    [
        new("preset", "veryfast"), new("profile", "baseline"), new("look_ahead", "0"), new("async_depth", "1"),
        new("forced_idr", "1"), new("low_delay_brc", "1"),
    ]);

    /// <summary>
    /// libx264 inside libavcodec: not offered by <c>--encoder</c> (the host calls libx264 directly, X264Encoder); the
    /// software stand-in that runs this binding end to end on a machine without a GPU (the tests).
    /// </summary>
    public static LibavH264Backend Software(string inputFormat = "yuv420p") => new("libav-x264", "libx264", inputFormat, null, null, int.MaxValue, true,
    [
        new("preset", "ultrafast"), new("tune", "zerolatency"), new("profile", "baseline"), new("forced-idr", "1"),
        new("sc_threshold", "0"),
    ]);
}

/// <summary>
/// H.264 through libavcodec (FFmpeg 5.1, Debian's <c>libavcodec59</c>), for the hardware encoders
/// (<see cref="LibavH264Backend"/>): I420 frames are copied into an AVFrame (converted to NV12 when the encoder
/// wants it, then uploaded to a hardware surface when it takes only those), a keyframe is asked for with
/// <c>pict_type = AV_PICTURE_TYPE_I</c> (IDR by the backends' forced-IDR options), and the packets come out as
/// Annex B with SPS/PPS before each IDR (no global header), which the H.264 packetizer sends as they are.
/// Not thread-safe, like every <see cref="IVideoEncoder"/>.
/// </summary>
internal sealed unsafe class LibavH264Encoder : RealtimeVideoEncoder
{
    private readonly LibavH264Backend _backend;
    private readonly int _fps;
    private readonly bool _nv12;
    private nint _codec;
    private nint _context;
    private readonly nint _frame;
    private nint _hwFrame;
    private readonly nint _packet;
    private nint _device;
    private nint _hwFrames;
    private byte[] _output = new byte[256 * 1024];
    private bool _disposed;

    /// <summary>Opens <paramref name="backend"/>; throws <see cref="EncoderUnavailableException"/> when it cannot run here.</summary>
    public LibavH264Encoder(LibavH264Backend backend, VideoEncoderSettings settings)
        : base(settings)
    {
        _backend = backend;
        _fps = Math.Clamp(settings.Fps, 1, 240);
        _nv12 = backend.InputFormat == "nv12";
        try
        {
            LogSetLevel(Environment.GetEnvironmentVariable("LILIUM_LIBAV_LOG") is "1" ? 40 : LogQuiet);
            _codec = FindEncoder(backend.EncoderName);
            if (_codec == 0)
            {
                throw new EncoderUnavailableException($"this libavcodec has no {backend.EncoderName}");
            }

            var swFormat = PixelFormat(backend.InputFormat);
            if (backend.HwDeviceType is { } type)
            {
                OpenHardwareFrames(type, backend.HwDevicePath, swFormat);
            }

            _frame = FrameAlloc();
            _packet = PacketAlloc();
            var f = (byte*)_frame;
            *(int*)(f + FrameWidth) = Width;
            *(int*)(f + FrameHeight) = Height;
            *(int*)(f + FrameFormat) = swFormat;
            Check(FrameGetBuffer(_frame, 0), "av_frame_get_buffer");
            OpenContext(BitrateKbps);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            Dispose();
            throw new EncoderUnavailableException($"{Libav.Codec} / {Util} (FFmpeg 5.1) is not installed (apt install libavcodec59)", ex);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override string Codec => "H264";

    /// <summary>The back end's <c>--encoder</c> name.</summary>
    public string Name => _backend.Name;

    protected override bool ApplyBitrate(int kbps)
    {
        if (_backend.ReconfiguresBitrate)
        {
            ApplyBitrate(_context, kbps); // the wrapper reconfigures the open encoder before the next frame
            return false;
        }

        FreeContext(_context);
        _context = 0;
        OpenContext(kbps);
        return true; // a new encoder starts with an IDR anyway
    }

    protected override EncodedVideo EncodeFrame(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe)
    {
        Check(FrameMakeWritable(_frame), "av_frame_make_writable");
        Fill(i420);
        var input = _frame;
        if (_hwFrames != 0)
        {
            FrameUnref(_hwFrame);
            Check(HwFrameGetBuffer(_hwFrames, _hwFrame, 0), "av_hwframe_get_buffer");
            Check(HwFrameTransfer(_hwFrame, _frame, 0), "av_hwframe_transfer_data");
            input = _hwFrame;
        }

        var p = (byte*)input;
        *(int*)(p + FramePictType) = keyframe ? PictureTypeI : PictureTypeNone;
        *(long*)(p + FramePts) = frameIndex;
        Check(SendFrame(_context, input), "avcodec_send_frame");
        var length = 0;
        var isKey = false;
        while (true)
        {
            var rc = ReceivePacket(_context, _packet);
            if (rc == ErrorAgain)
            {
                break;
            }

            Check(rc, "avcodec_receive_packet");
            var pk = (byte*)_packet;
            var size = *(int*)(pk + PacketSize);
            if (length + size > _output.Length)
            {
                Array.Resize(ref _output, Math.Max(_output.Length * 2, length + size));
            }

            new ReadOnlySpan<byte>(*(byte**)(pk + PacketData), size).CopyTo(_output.AsSpan(length));
            length += size;
            isKey |= (*(int*)(pk + PacketFlags) & PacketFlagKey) != 0;
            PacketUnref(_packet);
        }

        return new EncodedVideo(_output.AsSpan(0, length), isKey);
    }

    private void Fill(ReadOnlySpan<byte> i420)
    {
        var f = (byte*)_frame;
        var data = (byte**)(f + FrameData);
        var linesize = (int*)(f + FrameLinesize);
        int cw = Width / 2, ch = Height / 2;
        var y = i420[..(Width * Height)];
        var u = i420.Slice(Width * Height, cw * ch);
        var v = i420.Slice((Width * Height) + (cw * ch), cw * ch);
        for (var row = 0; row < Height; row++)
        {
            y.Slice(row * Width, Width).CopyTo(new Span<byte>(data[0] + ((long)row * linesize[0]), Width));
        }

        for (var row = 0; row < ch; row++)
        {
            var uRow = u.Slice(row * cw, cw);
            var vRow = v.Slice(row * cw, cw);
            if (_nv12)
            {
                var uv = new Span<byte>(data[1] + ((long)row * linesize[1]), cw * 2);
                for (var x = 0; x < cw; x++)
                {
                    uv[2 * x] = uRow[x];
                    uv[(2 * x) + 1] = vRow[x];
                }
            }
            else
            {
                uRow.CopyTo(new Span<byte>(data[1] + ((long)row * linesize[1]), cw));
                vRow.CopyTo(new Span<byte>(data[2] + ((long)row * linesize[2]), cw));
            }
        }
    }

    private void OpenHardwareFrames(string type, string? path, int swFormat)
    {
        var deviceType = HwDeviceType(type);
        nint device;
        var rc = HwDeviceCreate(&device, deviceType, path, 0, 0);
        if (rc < 0)
        {
            throw new EncoderUnavailableException($"cannot open the {type} device {path} ({ErrorText(rc)})");
        }

        _device = device;
        _hwFrames = HwFramesAlloc(_device);
        var fc = *(byte**)((byte*)_hwFrames + BufferRefData);
        *(int*)(fc + HwFramesFormat) = PixelFormat(type);
        *(int*)(fc + HwFramesSwFormat) = swFormat;
        *(int*)(fc + HwFramesWidth) = Width;
        *(int*)(fc + HwFramesHeight) = Height;
        *(int*)(fc + HwFramesInitialPoolSize) = 20;
        rc = HwFramesInit(_hwFrames);
        if (rc < 0)
        {
            throw new EncoderUnavailableException($"the {type} device has no {Width}x{Height} {_backend.InputFormat} surfaces ({ErrorText(rc)})");
        }

        _hwFrame = FrameAlloc();
    }

    private void OpenContext(int kbps)
    {
        var context = AllocContext(_codec);
        try
        {
            Set(context, "video_size", $"{Width}x{Height}");
            Set(context, "pixel_format", _backend.HwDeviceType ?? _backend.InputFormat);
            Set(context, "time_base", $"1/{_fps}");
            SetInt(context, "g", _backend.GopSize);
            SetInt(context, "bf", 0);
            if (_backend.HwDeviceType is null && _backend.EncoderName == "libx264")
            {
                SetInt(context, "threads", Width * Height >= 1920 * 1080 ? 2 : 1);
            }

            ApplyBitrate(context, kbps);
            var priv = OptChildNext(context, 0);
            foreach (var (name, value) in _backend.PrivateOptions)
            {
                Set(priv, name, value);
            }

            if (_hwFrames != 0)
            {
                *(nint*)((byte*)context + ContextHwFramesCtx) = BufferRef(_hwFrames);
            }

            var rc = Libav.Open(context, _codec, 0);
            if (rc < 0)
            {
                throw new EncoderUnavailableException($"{_backend.EncoderName} did not open ({ErrorText(rc)})");
            }

            _context = context;
        }
        catch
        {
            FreeContext(context);
            throw;
        }
    }

    private void ApplyBitrate(nint context, int kbps)
    {
        SetInt(context, "b", kbps * 1000L);
        SetInt(context, "maxrate", kbps * 1000L);
        SetInt(context, "bufsize", Math.Max(1000L, kbps * 1000L / _fps));
    }

    private void Set(nint obj, string name, string value)
    {
        var rc = OptSet(obj, name, value, 0);
        if (rc < 0)
        {
            throw new EncoderUnavailableException($"{_backend.EncoderName} refused {name}={value} ({ErrorText(rc)})");
        }
    }

    private void SetInt(nint obj, string name, long value) =>
        Set(obj, name, value.ToString(CultureInfo.InvariantCulture));

    private static void Check(int rc, string call)
    {
        if (rc < 0)
        {
            throw new LiliumException($"{call} failed ({ErrorText(rc)}).");
        }
    }

    private static void FreeContext(nint context)
    {
        if (context != 0)
        {
            Libav.FreeContext(&context);
        }
    }

    public override void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        FreeContext(_context);
        _context = 0;
        nint frame = _frame, hwFrame = _hwFrame, packet = _packet, hwFrames = _hwFrames, device = _device;
        if (frame != 0)
        {
            FrameFree(&frame);
        }

        if (hwFrame != 0)
        {
            FrameFree(&hwFrame);
        }

        if (packet != 0)
        {
            PacketFree(&packet);
        }

        if (hwFrames != 0)
        {
            BufferUnref(&hwFrames);
        }

        if (device != 0)
        {
            BufferUnref(&device);
        }

        _hwFrame = _hwFrames = _device = _codec = 0;
    }
}

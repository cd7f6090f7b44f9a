using System.Globalization;
using System.Runtime.InteropServices;

namespace Lilium.Client.Codecs;

/// <summary>
/// H.264 through libx264 (Debian libx264-164, build 164): preset <c>ultrafast</c>, tune
/// <c>zerolatency</c> (no lookahead, no B-frames, sliced threads), constrained-baseline profile,
/// Annex B output with SPS/PPS repeated before every IDR, an infinite keyframe interval (IDR only
/// when forced by a PLI/FIR) and ABR with a one-frame VBV so the rate holds frame to frame.
/// Options go through <c>x264_param_parse</c> by name; only the frame size, colour space and
/// picture fields are written at offsets, read from libx264-dev 164's <c>x264.h</c>.
/// </summary>
internal sealed unsafe partial class X264Encoder : RealtimeVideoEncoder
{
    private const string Lib = "libx264.so.164";
    private const int ParamSize = 1024;                       // sizeof(x264_param_t), build 164
    private const int PictureSize = 240;                      // sizeof(x264_picture_t)
    private const int ParamWidth = 28, ParamHeight = 32, ParamCsp = 36;
    private const int PicType = 0, PicKeyframe = 12, PicPts = 16, PicCsp = 40, PicPlanes = 44, PicStride = 48, PicPlane = 64;
    private const int NalPayload = 24;
    private const int CspI420 = 2, TypeAuto = 0, TypeIdr = 1;

    private readonly nint _param;
    private readonly nint _picture;
    private readonly nint _output;
    private readonly nint _handle;
    private readonly int _fps;

    public X264Encoder(VideoEncoderSettings settings)
        : base(settings)
    {
        _fps = settings.Fps;
        _param = Marshal.AllocHGlobal(ParamSize);
        _picture = Marshal.AllocHGlobal(PictureSize);
        _output = Marshal.AllocHGlobal(PictureSize);
        try
        {
            if (DefaultPreset(_param, "ultrafast", "zerolatency") != 0)
            {
                throw new LiliumException("x264_param_default_preset refused ultrafast/zerolatency.");
            }

            var p = (byte*)_param;
            *(int*)(p + ParamWidth) = Width;
            *(int*)(p + ParamHeight) = Height;
            *(int*)(p + ParamCsp) = CspI420;
            Set("fps", settings.Fps.ToString(CultureInfo.InvariantCulture));
            Set("keyint", "infinite");
            Set("repeat-headers", "1");
            Set("annexb", "1");
            Set("log", "-1"); // X264_LOG_NONE: no per-session statistics on stderr
            Set("threads", (settings.Width * settings.Height >= 1920 * 1080 ? 2 : 1).ToString(CultureInfo.InvariantCulture));
            SetRateControl(BitrateKbps);
            if (ApplyProfile(_param, "baseline") != 0)
            {
                throw new LiliumException("x264_param_apply_profile(baseline) failed.");
            }

            _handle = Open(_param);
            if (_handle == 0)
            {
                throw new LiliumException("x264_encoder_open failed for " + Width + "x" + Height + ".");
            }

            PictureInit(_picture);
        }
        catch (DllNotFoundException ex)
        {
            FreeMemory();
            throw new LiliumException("libx264 is not installed (apt install libx264-164).", ex);
        }
        catch
        {
            FreeMemory();
            throw;
        }
    }

    public override string Codec => "H264";

    protected override bool ApplyBitrate(int kbps)
    {
        SetRateControl(kbps);
        Reconfig(_handle, _param);
        return false;
    }

    protected override EncodedVideo EncodeFrame(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe)
    {
        var pic = (byte*)_picture;
        fixed (byte* data = i420)
        {
            *(int*)(pic + PicType) = keyframe ? TypeIdr : TypeAuto;
            *(long*)(pic + PicPts) = frameIndex;
            *(int*)(pic + PicCsp) = CspI420;
            *(int*)(pic + PicPlanes) = 3;
            var strides = (int*)(pic + PicStride);
            var planes = (byte**)(pic + PicPlane);
            strides[0] = Width;
            strides[1] = Width / 2;
            strides[2] = Width / 2;
            planes[0] = data;
            planes[1] = data + (Width * Height);
            planes[2] = planes[1] + ((Width / 2) * (Height / 2));
            nint nals;
            int count;
            var size = EncoderEncode(_handle, &nals, &count, _picture, _output);
            if (size < 0)
            {
                throw new LiliumException("x264_encoder_encode failed.");
            }

            if (size == 0 || count == 0)
            {
                return new EncodedVideo([], false);
            }

            // The NAL payloads of one call are contiguous, starting at the first one's.
            var first = *(byte**)(nals + NalPayload);
            return new EncodedVideo(new ReadOnlySpan<byte>(first, size), *(int*)((byte*)_output + PicKeyframe) != 0);
        }
    }

    private void SetRateControl(int kbps)
    {
        var text = kbps.ToString(CultureInfo.InvariantCulture);
        Set("bitrate", text);
        Set("vbv-maxrate", text);
        Set("vbv-bufsize", Math.Max(1, kbps / _fps).ToString(CultureInfo.InvariantCulture));
    }

    private void Set(string name, string value)
    {
        var error = ParamParse(_param, name, value);
        if (error != 0)
        {
            throw new LiliumException($"x264_param_parse({name}={value}) failed ({error}).");
        }
    }

    private void FreeMemory()
    {
        Marshal.FreeHGlobal(_param);
        Marshal.FreeHGlobal(_picture);
        Marshal.FreeHGlobal(_output);
    }

    public override void Dispose()
    {
        if (_handle != 0)
        {
            Close(_handle);
        }

        FreeMemory();
    }

    [LibraryImport(Lib, EntryPoint = "x264_param_default_preset", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int DefaultPreset(nint param, string preset, string tune);

    [LibraryImport(Lib, EntryPoint = "x264_param_parse", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ParamParse(nint param, string name, string value);

    [LibraryImport(Lib, EntryPoint = "x264_param_apply_profile", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ApplyProfile(nint param, string profile);

    [LibraryImport(Lib, EntryPoint = "x264_encoder_open_164")]
    private static partial nint Open(nint param);

    [LibraryImport(Lib, EntryPoint = "x264_encoder_reconfig")]
    private static partial int Reconfig(nint handle, nint param);

    [LibraryImport(Lib, EntryPoint = "x264_picture_init")]
    private static partial void PictureInit(nint picture);

    [LibraryImport(Lib, EntryPoint = "x264_encoder_encode")]
    private static partial int EncoderEncode(nint handle, nint* nals, int* count, nint pictureIn, nint pictureOut);

    [LibraryImport(Lib, EntryPoint = "x264_encoder_close")]
    private static partial void Close(nint handle);
}

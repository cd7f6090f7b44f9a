using System.Runtime.InteropServices;

namespace Lilium.Client.Codecs;

/// <summary>
/// VP8 through libvpx (Debian libvpx7, 1.12): CBR, no lookahead, error resilient, keyframes only
/// on request (<c>kf_mode = VPX_KF_DISABLED</c>; <c>VPX_EFLAG_FORCE_KF</c> on a PLI), realtime
/// deadline, screen-content mode. The configuration struct is filled by
/// <c>vpx_codec_enc_config_default</c> and only the fields below are written, at offsets read
/// from libvpx-dev 1.12's <c>vpx_encoder.h</c> (ABI version 25; a different ABI is refused by
/// <c>vpx_codec_enc_init_ver</c> rather than misread).
/// </summary>
internal sealed unsafe partial class Vp8Encoder : RealtimeVideoEncoder
{
    private const string Lib = "libvpx.so.7";
    private const int EncoderAbiVersion = 25;         // VPX_ENCODER_ABI_VERSION in 1.12
    private const int ConfigSize = 504;               // sizeof(vpx_codec_enc_cfg_t)
    private const int ContextSize = 56;               // sizeof(vpx_codec_ctx_t)
    private const int ImageSize = 136;                // sizeof(vpx_image_t)
    private const int CfgThreads = 4, CfgWidth = 12, CfgHeight = 16, CfgTimebaseNum = 28, CfgTimebaseDen = 32, CfgErrorResilient = 36;
    private const int CfgLagInFrames = 44, CfgDropFrameThreshold = 48, CfgEndUsage = 72, CfgTargetBitrate = 112, CfgMinQ = 116, CfgMaxQ = 120;
    private const int CfgUndershoot = 124, CfgOvershoot = 128, CfgBufSize = 132, CfgBufInitial = 136, CfgBufOptimal = 140, CfgKfMode = 160;
    private const int PacketFrameBuf = 8, PacketFrameSize = 16, PacketFrameFlags = 40;
    private const int VpxCbr = 1, VpxKfDisabled = 0, ImgFmtI420 = 258, DeadlineRealtime = 1, ForceKeyframe = 1, FrameIsKey = 1;
    private const int CtrlCpuUsed = 13, CtrlStaticThreshold = 17, CtrlScreenContentMode = 31, CtrlNoiseSensitivity = 15;

    private readonly nint _context;
    private readonly nint _config;
    private readonly nint _image;
    private byte[] _output = new byte[256 * 1024];

    public Vp8Encoder(VideoEncoderSettings settings)
        : base(settings)
    {
        _context = Marshal.AllocHGlobal(ContextSize);
        _config = Marshal.AllocHGlobal(ConfigSize);
        _image = Marshal.AllocHGlobal(ImageSize);
        new Span<byte>((void*)_context, ContextSize).Clear();
        new Span<byte>((void*)_image, ImageSize).Clear();
        try
        {
            var iface = Vp8Interface();
            Check(ConfigDefault(iface, _config, 0), "vpx_codec_enc_config_default");
            var c = (byte*)_config;
            *(uint*)(c + CfgThreads) = 1;
            *(uint*)(c + CfgWidth) = (uint)settings.Width;
            *(uint*)(c + CfgHeight) = (uint)settings.Height;
            *(int*)(c + CfgTimebaseNum) = 1;
            *(int*)(c + CfgTimebaseDen) = settings.Fps;
            *(uint*)(c + CfgErrorResilient) = 1;
            *(uint*)(c + CfgLagInFrames) = 0;
            *(uint*)(c + CfgDropFrameThreshold) = 0;
            *(int*)(c + CfgEndUsage) = VpxCbr;
            *(uint*)(c + CfgTargetBitrate) = (uint)BitrateKbps;
            *(uint*)(c + CfgMinQ) = 2;
            *(uint*)(c + CfgMaxQ) = 56;
            *(uint*)(c + CfgUndershoot) = 100;
            *(uint*)(c + CfgOvershoot) = 15;
            *(uint*)(c + CfgBufSize) = 1000;
            *(uint*)(c + CfgBufInitial) = 500;
            *(uint*)(c + CfgBufOptimal) = 600;
            *(int*)(c + CfgKfMode) = VpxKfDisabled;
            Check(EncInit(_context, iface, _config, 0, EncoderAbiVersion), "vpx_codec_enc_init_ver");
            Control(_context, CtrlCpuUsed, -12);
            Control(_context, CtrlStaticThreshold, 1);
            Control(_context, CtrlNoiseSensitivity, 0);
            Control(_context, CtrlScreenContentMode, 1);
        }
        catch (DllNotFoundException ex)
        {
            FreeMemory();
            throw new LiliumException("libvpx is not installed (apt install libvpx7).", ex);
        }
        catch
        {
            FreeMemory();
            throw;
        }
    }

    public override string Codec => "VP8";

    protected override bool ApplyBitrate(int kbps)
    {
        *(uint*)((byte*)_config + CfgTargetBitrate) = (uint)kbps;
        Check(ConfigSet(_context, _config), "vpx_codec_enc_config_set");
        return false;
    }

    protected override EncodedVideo EncodeFrame(ReadOnlySpan<byte> i420, long frameIndex, bool keyframe)
    {
        var length = 0;
        var isKey = false;
        fixed (byte* data = i420)
        {
            if (ImgWrap(_image, ImgFmtI420, (uint)Width, (uint)Height, 1, data) == 0)
            {
                throw new LiliumException("vpx_img_wrap refused the frame.");
            }

            Check(Encode(_context, _image, frameIndex, 1, keyframe ? ForceKeyframe : 0, DeadlineRealtime), "vpx_codec_encode");
        }

        nint iterator = 0;
        nint packet;
        while ((packet = GetCxData(_context, &iterator)) != 0)
        {
            if (*(int*)packet != 0)
            {
                continue; // not VPX_CODEC_CX_FRAME_PKT
            }

            var size = (int)*(nuint*)(packet + PacketFrameSize);
            var buffer = *(nint*)(packet + PacketFrameBuf);
            if (length + size > _output.Length)
            {
                Array.Resize(ref _output, Math.Max(_output.Length * 2, length + size));
            }

            new ReadOnlySpan<byte>((void*)buffer, size).CopyTo(_output.AsSpan(length));
            length += size;
            isKey |= (*(uint*)(packet + PacketFrameFlags) & FrameIsKey) != 0;
        }

        return new EncodedVideo(_output.AsSpan(0, length), isKey);
    }

    private static void Check(int error, string call)
    {
        if (error != 0)
        {
            throw new LiliumException($"{call} failed: {Marshal.PtrToStringUTF8(ErrorString(error))}");
        }
    }

    private void FreeMemory()
    {
        Marshal.FreeHGlobal(_context);
        Marshal.FreeHGlobal(_config);
        Marshal.FreeHGlobal(_image);
    }

    public override void Dispose()
    {
        Destroy(_context);
        FreeMemory();
    }

    [LibraryImport(Lib, EntryPoint = "vpx_codec_vp8_cx")]
    private static partial nint Vp8Interface();

    [LibraryImport(Lib, EntryPoint = "vpx_codec_enc_config_default")]
    private static partial int ConfigDefault(nint iface, nint config, uint usage);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_enc_init_ver")]
    private static partial int EncInit(nint context, nint iface, nint config, long flags, int abiVersion);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_enc_config_set")]
    private static partial int ConfigSet(nint context, nint config);

    // vpx_codec_control_ is variadic; on x86-64 System V an int vararg travels like a fixed int argument.
    [LibraryImport(Lib, EntryPoint = "vpx_codec_control_")]
    private static partial int Control(nint context, int id, int value);

    [LibraryImport(Lib, EntryPoint = "vpx_img_wrap")]
    private static partial nint ImgWrap(nint image, int format, uint width, uint height, uint align, byte* data);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_encode")]
    private static partial int Encode(nint context, nint image, long pts, ulong duration, long flags, ulong deadline);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_get_cx_data")]
    private static partial nint GetCxData(nint context, nint* iterator);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_destroy")]
    private static partial int Destroy(nint context);

    [LibraryImport(Lib, EntryPoint = "vpx_codec_err_to_string")]
    private static partial nint ErrorString(int error);
}

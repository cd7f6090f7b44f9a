using System.Runtime.InteropServices;
using System.Text;

namespace Lilium.Client.Codecs;

/// <summary>
/// The libavcodec / libavutil entry points the hardware H.264 encoders use (Debian 12: FFmpeg 5.1,
/// <c>libavcodec.so.59</c>, <c>libavutil.so.57</c>). The codec context is configured through AVOptions by name
/// (<c>av_opt_set</c>), so its layout is not ours; the few struct fields written directly are listed here, read
/// from libavcodec-dev / libavutil-dev 5.1's headers (and in docs/host.md).
/// </summary>
internal static unsafe partial class Libav
{
    public const string Codec = "libavcodec.so.59";
    public const string Util = "libavutil.so.57";

    // AVCodecContext (lavc 59): the one field without an AVOption.
    public const int ContextHwFramesCtx = 848;

    // AVFrame (lavu 57).
    public const int FrameData = 0, FrameLinesize = 64, FrameWidth = 104, FrameHeight = 108, FrameFormat = 116, FramePictType = 124, FramePts = 136;

    // AVPacket (lavc 59).
    public const int PacketData = 24, PacketSize = 32, PacketFlags = 40;
    public const int PacketFlagKey = 1;

    // AVHWFramesContext (lavu 57) and AVBufferRef.
    public const int HwFramesInitialPoolSize = 64, HwFramesFormat = 68, HwFramesSwFormat = 72, HwFramesWidth = 76, HwFramesHeight = 80;
    public const int BufferRefData = 8;

    public const int PictureTypeNone = 0, PictureTypeI = 1;
    public const int ErrorAgain = -11;                         // AVERROR(EAGAIN) on Linux
    public const int OptSearchChildren = 1;
    public const int LogQuiet = -8;

    /// <summary>av_strerror's text for an AVERROR code.</summary>
    public static string ErrorText(int code)
    {
        var buffer = stackalloc byte[256];
        return StrError(code, buffer, 256) == 0
            ? Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer))
            : $"error {code}";
    }

    [LibraryImport(Codec, EntryPoint = "avcodec_find_encoder_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial nint FindEncoder(string name);

    [LibraryImport(Codec, EntryPoint = "avcodec_alloc_context3")]
    public static partial nint AllocContext(nint codec);

    [LibraryImport(Codec, EntryPoint = "avcodec_open2")]
    public static partial int Open(nint context, nint codec, nint options);

    [LibraryImport(Codec, EntryPoint = "avcodec_free_context")]
    public static partial void FreeContext(nint* context);

    [LibraryImport(Codec, EntryPoint = "avcodec_send_frame")]
    public static partial int SendFrame(nint context, nint frame);

    [LibraryImport(Codec, EntryPoint = "avcodec_receive_packet")]
    public static partial int ReceivePacket(nint context, nint packet);

    [LibraryImport(Codec, EntryPoint = "av_packet_alloc")]
    public static partial nint PacketAlloc();

    [LibraryImport(Codec, EntryPoint = "av_packet_unref")]
    public static partial void PacketUnref(nint packet);

    [LibraryImport(Codec, EntryPoint = "av_packet_free")]
    public static partial void PacketFree(nint* packet);

    [LibraryImport(Util, EntryPoint = "av_frame_alloc")]
    public static partial nint FrameAlloc();

    [LibraryImport(Util, EntryPoint = "av_frame_free")]
    public static partial void FrameFree(nint* frame);

    [LibraryImport(Util, EntryPoint = "av_frame_unref")]
    public static partial void FrameUnref(nint frame);

    [LibraryImport(Util, EntryPoint = "av_frame_get_buffer")]
    public static partial int FrameGetBuffer(nint frame, int align);

    [LibraryImport(Util, EntryPoint = "av_frame_make_writable")]
    public static partial int FrameMakeWritable(nint frame);

    [LibraryImport(Util, EntryPoint = "av_opt_set", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptSet(nint obj, string name, string value, int searchFlags);

    [LibraryImport(Util, EntryPoint = "av_opt_set_int", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptSetInt(nint obj, string name, long value, int searchFlags);

    [LibraryImport(Util, EntryPoint = "av_opt_get_int", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int OptGetInt(nint obj, string name, int searchFlags, long* value);

    /// <summary>For an AVCodecContext: its codec's private options object (<c>priv_data</c>), or 0.</summary>
    [LibraryImport(Util, EntryPoint = "av_opt_child_next")]
    public static partial nint OptChildNext(nint obj, nint previous);

    [LibraryImport(Util, EntryPoint = "av_get_pix_fmt", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int PixelFormat(string name);

    [LibraryImport(Util, EntryPoint = "av_hwdevice_find_type_by_name", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int HwDeviceType(string name);

    [LibraryImport(Util, EntryPoint = "av_hwdevice_ctx_create", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int HwDeviceCreate(nint* device, int type, string? deviceName, nint options, int flags);

    [LibraryImport(Util, EntryPoint = "av_hwframe_ctx_alloc")]
    public static partial nint HwFramesAlloc(nint device);

    [LibraryImport(Util, EntryPoint = "av_hwframe_ctx_init")]
    public static partial int HwFramesInit(nint frames);

    [LibraryImport(Util, EntryPoint = "av_hwframe_get_buffer")]
    public static partial int HwFrameGetBuffer(nint frames, nint frame, int flags);

    [LibraryImport(Util, EntryPoint = "av_hwframe_transfer_data")]
    public static partial int HwFrameTransfer(nint destination, nint source, int flags);

    [LibraryImport(Util, EntryPoint = "av_buffer_ref")]
    public static partial nint BufferRef(nint buffer);

    [LibraryImport(Util, EntryPoint = "av_buffer_unref")]
    public static partial void BufferUnref(nint* buffer);

    [LibraryImport(Util, EntryPoint = "av_log_set_level")]
    public static partial void LogSetLevel(int level);

    [LibraryImport(Util, EntryPoint = "av_strerror")]
    private static partial int StrError(int code, byte* buffer, nuint size);
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Lilium.Client.Platform;

namespace Lilium.Client.Capture;

/// <summary>
/// What Windows plays, through WASAPI loopback: the default render endpoint's shared-mode mix opened with
/// <c>AUDCLNT_STREAMFLAGS_LOOPBACK</c>, polled every few milliseconds and converted to 48 kHz stereo s16
/// (<see cref="PcmConverter"/>). Loopback delivers nothing while nothing plays, so after 40 ms without
/// data the source hands out silence at the real-time pace. Built on Linux, not run: see docs/host.md.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed partial class WasapiAudioSource : IAudioSource
{
    private const uint ClsctxAll = 0x17, StreamFlagsLoopback = 0x0002_0000, BufferFlagsSilent = 0x2;
    private const int RpcChangedMode = unchecked((int)0x80010106);

    // Vtable slots (IUnknown 0–2).
    private const int EnumeratorGetDefaultAudioEndpoint = 4, DeviceActivate = 3;
    private const int ClientInitialize = 3, ClientGetMixFormat = 8, ClientStart = 10, ClientStop = 11, ClientGetService = 14;
    private const int CaptureGetBuffer = 3, CaptureReleaseBuffer = 4, CaptureGetNextPacketSize = 5;

    private static readonly Guid ClsidMMDeviceEnumerator = new("bcde0395-e52f-467c-8e3d-c4579291692e");
    private static readonly Guid IidMMDeviceEnumerator = new("a95664d2-9614-4f35-a746-de8db63617e6");
    private static readonly Guid IidAudioClient = new("1cb9ad4c-dbfa-4c32-b178-c2f568a703b2");
    private static readonly Guid IidAudioCaptureClient = new("c8adbd64-e71e-48a0-a4de-185c395cd317");
    private static readonly Guid SubtypeFloat = new("00000003-0000-0010-8000-00aa00389b71");
    private static readonly Guid SubtypePcm = new("00000001-0000-0010-8000-00aa00389b71");

    private readonly PcmConverter _converter;
    private nint _enumerator;
    private nint _device;
    private nint _client;
    private nint _capture;
    private long _nextFrameDue;

    private WasapiAudioSource(nint enumerator, nint device, nint client, nint capture, PcmConverter converter)
    {
        _enumerator = enumerator;
        _device = device;
        _client = client;
        _capture = capture;
        _converter = converter;
        _nextFrameDue = Stopwatch.GetTimestamp();
    }

    /// <summary>Opens loopback capture of the default render device (what the speakers play).</summary>
    public static unsafe WasapiAudioSource Start()
    {
        var hr = CoInitializeEx(0, 0 /* COINIT_MULTITHREADED */);
        if (hr < 0 && hr != RpcChangedMode)
        {
            Com.Check(hr, "CoInitializeEx");
        }

        nint enumerator = 0, device = 0, client = 0, capture = 0;
        byte* format = null;
        try
        {
            var clsid = ClsidMMDeviceEnumerator;
            var iid = IidMMDeviceEnumerator;
            nint e;
            Com.Check(CoCreateInstance(&clsid, 0, ClsctxAll, &iid, &e), "CoCreateInstance(MMDeviceEnumerator)");
            enumerator = e;
            nint d;
            hr = ((delegate* unmanaged[Stdcall]<nint, int, int, nint*, int>)Com.Slot(enumerator, EnumeratorGetDefaultAudioEndpoint))(enumerator, 0 /* eRender */, 0 /* eConsole */, &d);
            if (hr == unchecked((int)0x80070490))
            {
                throw new LiliumException("Windows has no default playback device; there is no sound to share.");
            }

            Com.Check(hr, "IMMDeviceEnumerator::GetDefaultAudioEndpoint");
            device = d;
            var audioClient = IidAudioClient;
            nint c;
            Com.Check(((delegate* unmanaged[Stdcall]<nint, Guid*, uint, void*, nint*, int>)Com.Slot(device, DeviceActivate))(device, &audioClient, ClsctxAll, null, &c), "IMMDevice::Activate(IAudioClient)");
            client = c;
            Com.Check(((delegate* unmanaged[Stdcall]<nint, byte**, int>)Com.Slot(client, ClientGetMixFormat))(client, &format), "IAudioClient::GetMixFormat");
            var converter = Converter(format);
            Com.Check(((delegate* unmanaged[Stdcall]<nint, int, uint, long, long, byte*, Guid*, int>)Com.Slot(client, ClientInitialize))(
                client, 0 /* shared */, StreamFlagsLoopback, 2_000_000 /* 200 ms in 100 ns */, 0, format, null), "IAudioClient::Initialize(loopback)");
            var captureClient = IidAudioCaptureClient;
            nint cc;
            Com.Check(((delegate* unmanaged[Stdcall]<nint, Guid*, nint*, int>)Com.Slot(client, ClientGetService))(client, &captureClient, &cc), "IAudioClient::GetService(IAudioCaptureClient)");
            capture = cc;
            Com.Check(((delegate* unmanaged[Stdcall]<nint, int>)Com.Slot(client, ClientStart))(client), "IAudioClient::Start");
            var source = new WasapiAudioSource(enumerator, device, client, capture, converter);
            enumerator = device = client = capture = 0;
            return source;
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("ole32.dll is missing; WASAPI needs Windows Vista or later.", ex);
        }
        finally
        {
            if (format is not null)
            {
                CoTaskMemFree(format);
            }

            Com.Release(ref capture);
            Com.Release(ref client);
            Com.Release(ref device);
            Com.Release(ref enumerator);
        }
    }

    /// <summary>WAVEFORMATEX (tag 1 PCM, 3 float) or WAVEFORMATEXTENSIBLE (tag 0xFFFE, sub-format GUID at 24) → a converter.</summary>
    private static unsafe PcmConverter Converter(byte* format)
    {
        var tag = *(ushort*)format;
        var channels = *(ushort*)(format + 2);
        var rate = *(int*)(format + 4);
        var bits = *(ushort*)(format + 14);
        var isFloat = tag switch
        {
            3 => true,
            1 => false,
            0xFFFE when *(Guid*)(format + 24) == SubtypeFloat => true,
            0xFFFE when *(Guid*)(format + 24) == SubtypePcm => false,
            _ => throw new LiliumException($"The playback device's mix format (tag 0x{tag:X4}) is neither PCM nor float."),
        };
        return new PcmConverter(rate, channels, isFloat, bits);
    }

    public async ValueTask<bool> ReadFrameAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        var period = Stopwatch.Frequency / 50;
        while (true)
        {
            ObjectDisposedException.ThrowIf(_client == 0, this);
            Drain();
            if (_converter.TryRead(frame.Span))
            {
                _nextFrameDue = Math.Max(_nextFrameDue + period, Stopwatch.GetTimestamp() - (2 * period));
                return true;
            }

            if (Stopwatch.GetTimestamp() > _nextFrameDue + (2 * period))
            {
                frame.Span[..AudioCapture.FrameBytes].Clear(); // nothing playing: loopback is quiet, send silence in time
                _nextFrameDue += period;
                return true;
            }

            await Task.Delay(5, cancellationToken);
        }
    }

    private unsafe void Drain()
    {
        uint packet;
        while (((delegate* unmanaged[Stdcall]<nint, uint*, int>)Com.Slot(_capture, CaptureGetNextPacketSize))(_capture, &packet) >= 0 && packet > 0)
        {
            byte* data;
            uint frames, flags;
            var hr = ((delegate* unmanaged[Stdcall]<nint, byte**, uint*, uint*, ulong*, ulong*, int>)Com.Slot(_capture, CaptureGetBuffer))(_capture, &data, &frames, &flags, null, null);
            if (hr < 0)
            {
                throw new LiliumException($"IAudioCaptureClient::GetBuffer failed (HRESULT 0x{hr:X8}); the playback device went away?");
            }

            var silent = (flags & BufferFlagsSilent) != 0;
            _converter.Push(silent ? default : new ReadOnlySpan<byte>(data, (int)frames * _converter.InputFrameBytes), (int)frames, silent);
            _ = ((delegate* unmanaged[Stdcall]<nint, uint, int>)Com.Slot(_capture, CaptureReleaseBuffer))(_capture, frames);
        }
    }

    public unsafe ValueTask DisposeAsync()
    {
        if (_client != 0)
        {
            _ = ((delegate* unmanaged[Stdcall]<nint, int>)Com.Slot(_client, ClientStop))(_client);
        }

        Com.Release(ref _capture);
        Com.Release(ref _client);
        Com.Release(ref _device);
        Com.Release(ref _enumerator);
        return ValueTask.CompletedTask;
    }

    [LibraryImport("ole32.dll")]
    private static partial int CoInitializeEx(nint reserved, uint coInit);

    [LibraryImport("ole32.dll")]
    private static unsafe partial int CoCreateInstance(Guid* clsid, nint outer, uint context, Guid* iid, nint* instance);

    [LibraryImport("ole32.dll")]
    private static unsafe partial void CoTaskMemFree(void* memory);
}

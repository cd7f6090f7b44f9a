using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Lilium.Client.Platform;
using static Lilium.Client.Platform.ObjC;

namespace Lilium.Client.Capture;

/// <summary>
/// macOS 12.3+ screen capture with ScreenCaptureKit, through the Objective-C runtime: <c>SCShareableContent</c>
/// lists the displays, an <c>SCContentFilter</c> on display <c>Monitor</c> and an <c>SCStreamConfiguration</c>
/// (BGRA, the display's pixel size or a <c>sourceRect</c> region, the pointer drawn when asked, at most 60 frames/s)
/// make an <c>SCStream</c>, whose output delegate (a class built at run time) copies each new
/// <c>CVPixelBuffer</c> into a back buffer on its dispatch queue. <see cref="Capture"/> takes the newest picture,
/// or the last one again while the screen does not change (ScreenCaptureKit sends no frame then). BGRA then goes
/// through the same converter as every other source. Needs the Screen Recording permission. Built on Linux, never
/// run: see docs/host.md.
/// </summary>
[SupportedOSPlatform("macos12.3")]
internal sealed unsafe class ScreenCaptureKitSource : IScreenSource
{
    private const uint PixelFormatBgra = 0x42475241;      // 'BGRA', kCVPixelFormatType_32BGRA
    private const ulong LockReadOnly = 1;                 // kCVPixelBufferLock_ReadOnly
    private const string OutputClassName = "LiliumScreenCaptureOutput";
    private const string HandleIvar = "lilium";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);

    private readonly Lock _lock = new();
    private readonly ManualResetEventSlim _first = new();
    private readonly GCHandle _self;
    private readonly nint _filter;
    private readonly nint _config;
    private readonly nint _stream;
    private readonly nint _output;
    private readonly nint _queue;
    private byte* _front;
    private byte* _back;
    private long _backAt;
    private bool _fresh;
    private bool _stopped;
    private Exception? _failure;

    private ScreenCaptureKitSource(nint display, CGRect? sourceRect, int width, int height, ScreenRegion area, bool cursor)
    {
        Width = width;
        Height = height;
        Area = area;
        _front = (byte*)NativeMemory.AllocZeroed((nuint)(width * height * 4));
        _back = (byte*)NativeMemory.AllocZeroed((nuint)(width * height * 4));
        _self = GCHandle.Alloc(this);
        try
        {
            _filter = Send(Alloc(Class("SCContentFilter")), Sel("initWithDisplay:excludingWindows:"), display, Send(Class("NSArray"), Sel("array")));
            _config = Send(Alloc(Class("SCStreamConfiguration")), Sel("init"));
            SendLong(_config, Sel("setWidth:"), width);
            SendLong(_config, Sel("setHeight:"), height);
            SendLong(_config, Sel("setPixelFormat:"), PixelFormatBgra);
            SendTime(_config, Sel("setMinimumFrameInterval:"), new CMTime { Value = 1, Timescale = 60, Flags = 1 });
            SendLong(_config, Sel("setQueueDepth:"), 3);
            SendBool(_config, Sel("setShowsCursor:"), cursor ? (byte)1 : (byte)0);
            if (sourceRect is { } rect)
            {
                SendRect(_config, Sel("setSourceRect:"), rect);
            }

            _stream = Send(Alloc(Class("SCStream")), Sel("initWithFilter:configuration:delegate:"), _filter, _config, 0);
            _output = Send(Alloc(OutputClass()), Sel("init"));
            *(nint*)(_output + IvarOffset(InstanceVariable(OutputClass(), HandleIvar))) = GCHandle.ToIntPtr(_self);
            _queue = DispatchQueueCreate("lilium.screencapturekit", 0);
            nint error = 0;
            if (SendBool(_stream, Sel("addStreamOutput:type:sampleHandlerQueue:error:"), _output, 0, _queue, (nint)(&error)) == 0)
            {
                throw new LiliumException("ScreenCaptureKit refused the stream output: " + ErrorText(error, "no reason given") + ".");
            }

            var (_, startError) = Call(_stream, "startCaptureWithCompletionHandler:", (nint)(delegate* unmanaged<nint, nint, void>)&OnError);
            if (startError != 0)
            {
                var text = ErrorText(startError, "no reason given");
                Release(startError);
                throw new LiliumException("ScreenCaptureKit did not start: " + text + ".");
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int Width { get; }

    public int Height { get; }

    public ScreenRegion Area { get; }

    /// <summary>Opens display <c>Monitor</c> (0 = the first ScreenCaptureKit lists); a region is in points from its top-left.</summary>
    public static ScreenCaptureKitSource Open(ScreenSelection selection)
    {
        try
        {
            if (!MacOS.CGPreflightScreenCaptureAccess())
            {
                MacOS.CGRequestScreenCaptureAccess(); // shows the system prompt once
                throw new LiliumException("macOS has not allowed this program to record the screen: allow it in System Settings → Privacy & Security → Screen Recording, then start again.");
            }

            // The framework's classes and protocols exist for objc_getClass only once it is loaded.
            NativeLibrary.Load(ObjC.ScreenCaptureKit);
            if (Class("SCStream") == 0 || ObjC.Protocol("SCStreamOutput") == 0)
            {
                throw new LiliumException("This macOS has no ScreenCaptureKit (SCStream); it needs macOS 12.3 or later.");
            }

            var (content, error) = Call(Class("SCShareableContent"), "getShareableContentWithCompletionHandler:", (nint)(delegate* unmanaged<nint, nint, nint, void>)&OnContent);
            if (content == 0)
            {
                var text = ErrorText(error, "no reason given");
                Release(error);
                throw new LiliumException("ScreenCaptureKit listed no shareable content: " + text + ".");
            }

            try
            {
                var displays = Send(content, Sel("displays"));
                var count = (int)SendUInt(displays, Sel("count"));
                var index = selection.Monitor ?? 0;
                if (count == 0 || index < 0 || index >= count)
                {
                    throw new LiliumException(count == 0 ? "ScreenCaptureKit reported no display." : $"Monitor {index} does not exist; this Mac has {count} (0..{count - 1}).");
                }

                var display = SendIndex(displays, Sel("objectAtIndex:"), (nuint)index);
                var id = SendUInt32(display, Sel("displayID"));
                var bounds = MacOS.CGDisplayBounds(id);
                var mode = CopyDisplayMode(id);
                var scale = mode == 0 || bounds.Width <= 0 ? 1.0 : (double)ModePixelWidth(mode) / bounds.Width;
                ModeRelease(mode);
                var rect = new CGRect { X = 0, Y = 0, Width = bounds.Width, Height = bounds.Height };
                CGRect? sourceRect = null;
                if (selection.Region is { } r)
                {
                    if (r.X + r.Width > bounds.Width || r.Y + r.Height > bounds.Height)
                    {
                        throw new LiliumException($"The region {r.Width}x{r.Height}+{r.X}+{r.Y} is outside display {index} ({bounds.Width}x{bounds.Height} points).");
                    }

                    rect = new CGRect { X = r.X, Y = r.Y, Width = r.Width, Height = r.Height };
                    sourceRect = rect;
                }

                var width = (int)(rect.Width * scale) & ~1;
                var height = (int)(rect.Height * scale) & ~1;
                var area = new ScreenRegion((int)(bounds.X + rect.X), (int)(bounds.Y + rect.Y), (int)rect.Width, (int)rect.Height);
                return new ScreenCaptureKitSource(display, sourceRect, width, height, area, selection.Cursor);
            }
            finally
            {
                Release(content);
            }
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("The ScreenCaptureKit framework was not found.", ex);
        }
    }

    public ScreenFrame Capture()
    {
        if (!_first.Wait(TimeSpan.FromSeconds(2)))
        {
            throw new LiliumException("ScreenCaptureKit sent no picture within 2 s.");
        }

        lock (_lock)
        {
            if (_failure is { } failure)
            {
                throw new LiliumException("ScreenCaptureKit capture failed: " + failure.Message, failure);
            }

            var at = Stopwatch.GetTimestamp();
            if (_fresh)
            {
                var newest = _back;
                _back = _front;
                _front = newest;
                _fresh = false;
                at = _backAt;
            }

            return new ScreenFrame((nint)_front, Width, Height, Width * 4, at);
        }
    }

    /// <summary>On the stream's dispatch queue: copies a new picture into the back buffer.</summary>
    private void Receive(nint sampleBuffer)
    {
        var image = SampleBufferImage(sampleBuffer);
        if (image == 0 || LockBaseAddress(image, LockReadOnly) != 0)
        {
            return; // idle and blank frames carry no picture
        }

        try
        {
            if (PixelFormat(image) != PixelFormatBgra)
            {
                throw new LiliumException($"ScreenCaptureKit sent pixel format 0x{PixelFormat(image):X8}, not BGRA.");
            }

            var width = Math.Min((int)PixelWidth(image), Width);
            var height = Math.Min((int)PixelHeight(image), Height);
            var stride = (int)BytesPerRow(image);
            var source = BaseAddress(image);
            lock (_lock)
            {
                if (_stopped)
                {
                    return;
                }

                for (var y = 0; y < height; y++)
                {
                    new ReadOnlySpan<byte>(source + ((long)y * stride), width * 4).CopyTo(new Span<byte>(_back + ((long)y * Width * 4), width * 4));
                }

                _backAt = Stopwatch.GetTimestamp();
                _fresh = true;
            }

            _first.Set();
        }
        finally
        {
            UnlockBaseAddress(image, LockReadOnly);
        }
    }

    private void Fail(Exception ex)
    {
        lock (_lock)
        {
            _failure ??= ex;
        }

        _first.Set();
    }

    /// <summary>The delegate's class, registered once per process (the Objective-C runtime keeps it by name).</summary>
    private static nint OutputClass()
    {
        var cls = Class(OutputClassName);
        if (cls != 0)
        {
            return cls;
        }

        cls = AllocateClassPair(Class("NSObject"), OutputClassName, 0);
        if (cls == 0)
        {
            return Class(OutputClassName); // registered meanwhile by another thread
        }

        AddIvar(cls, HandleIvar, (nuint)sizeof(nint), 3, "^v");
        AddMethod(cls, Sel("stream:didOutputSampleBuffer:ofType:"), (nint)(delegate* unmanaged<nint, nint, nint, nint, nint, void>)&OnSample, "v@:@^{opaqueCMSampleBuffer=}q");
        AddProtocol(cls, ObjC.Protocol("SCStreamOutput"));
        RegisterClassPair(cls);
        return cls;
    }

    [UnmanagedCallersOnly]
    private static void OnSample(nint self, nint selector, nint stream, nint sampleBuffer, nint type)
    {
        ScreenCaptureKitSource? source = null;
        try
        {
            var handle = *(nint*)(self + IvarOffset(InstanceVariable(Class(OutputClassName), HandleIvar)));
            source = handle == 0 ? null : GCHandle.FromIntPtr(handle).Target as ScreenCaptureKitSource;
            if (type == 0 && source is not null) // SCStreamOutputTypeScreen
            {
                source.Receive(sampleBuffer);
            }
        }
        catch (Exception ex)
        {
            source?.Fail(ex); // never unwind into the dispatch queue
        }
    }

    /// <summary>What a completion handler handed back (retained), and when.</summary>
    private sealed class Completion : IDisposable
    {
        public nint Value;
        public nint Error;
        public readonly ManualResetEventSlim Done = new();

        public void Dispose() => Done.Dispose();
    }

    /// <summary>
    /// Sends <paramref name="selector"/> with a completion block and waits for it (5 s). If it never comes, the block and
    /// its context are left allocated, since the framework may still call it.
    /// </summary>
    private static (nint Value, nint Error) Call(nint receiver, string selector, nint invoke)
    {
        var completion = new Completion();
        var handle = GCHandle.Alloc(completion);
        var block = Block(invoke, GCHandle.ToIntPtr(handle));
        Send(receiver, Sel(selector), block);
        if (!completion.Done.Wait(CallTimeout))
        {
            throw new LiliumException($"ScreenCaptureKit did not answer {selector} within {CallTimeout.TotalSeconds:F0} s.");
        }

        NativeMemory.Free((void*)block);
        handle.Free();
        completion.Dispose();
        return (completion.Value, completion.Error);
    }

    private static Completion CompletionOf(nint block) => (Completion)GCHandle.FromIntPtr(BlockContext(block)).Target!;

    [UnmanagedCallersOnly]
    private static void OnContent(nint block, nint content, nint error)
    {
        var completion = CompletionOf(block);
        completion.Value = content == 0 ? 0 : Send(content, Sel("retain"));
        completion.Error = error == 0 ? 0 : Send(error, Sel("retain"));
        completion.Done.Set();
    }

    [UnmanagedCallersOnly]
    private static void OnError(nint block, nint error)
    {
        var completion = CompletionOf(block);
        completion.Error = error == 0 ? 0 : Send(error, Sel("retain"));
        completion.Done.Set();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
        }

        if (_stream != 0)
        {
            try
            {
                var (_, error) = Call(_stream, "stopCaptureWithCompletionHandler:", (nint)(delegate* unmanaged<nint, nint, void>)&OnError);
                Release(error);
            }
            catch (LiliumException)
            {
                // Not answered in time: the delegate finds _stopped set and copies nothing more.
            }
        }

        if (_output != 0)
        {
            *(nint*)(_output + IvarOffset(InstanceVariable(OutputClass(), HandleIvar))) = 0;
        }

        Release(_stream);
        Release(_output);
        Release(_config);
        Release(_filter);
        if (_queue != 0)
        {
            DispatchRelease(_queue);
        }

        lock (_lock)
        {
            NativeMemory.Free(_front);
            NativeMemory.Free(_back);
            _front = _back = null;
        }

        if (_self.IsAllocated)
        {
            _self.Free();
        }
    }
}

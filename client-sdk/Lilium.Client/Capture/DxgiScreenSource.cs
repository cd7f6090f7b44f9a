using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Lilium.Client.Platform;

namespace Lilium.Client.Capture;

/// <summary>
/// Windows screen capture through DXGI Desktop Duplication: a D3D11 device on the default adapter, the
/// chosen output (monitor) duplicated, each new desktop image copied into a CPU-readable staging texture
/// and mapped; a region is a window into that mapping. When nothing changed since the last grab
/// (<c>DXGI_ERROR_WAIT_TIMEOUT</c>) the previous image is returned again; when the duplication is lost
/// (mode change, UAC or lock screen: <c>DXGI_ERROR_ACCESS_LOST</c>) it is re-created. The pointer is not
/// drawn in (Desktop Duplication hands its shape over separately) and rotated outputs are sent as the
/// GPU stores them. Built on Linux, not run: see docs/host.md.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe partial class DxgiScreenSource : IScreenSource
{
    private const int DriverTypeHardware = 1, CreateDeviceBgraSupport = 0x20, SdkVersion = 7;
    private const int FormatB8G8R8A8 = 87, UsageStaging = 3, CpuAccessRead = 0x20000, MapRead = 1;
    private const int WaitTimeout = unchecked((int)0x887A0027), AccessLost = unchecked((int)0x887A0026), NotFound = unchecked((int)0x887A0002);

    // Vtable slots (IUnknown 0–2, IDXGIObject 3–6, then each interface's own methods in header order).
    private const int DxgiDeviceGetAdapter = 7, DxgiAdapterEnumOutputs = 7, DxgiOutputGetDesc = 7, DxgiOutput1DuplicateOutput = 22;
    private const int DuplicationAcquireNextFrame = 8, DuplicationReleaseFrame = 14;
    private const int DeviceCreateTexture2D = 5, ContextMap = 14, ContextUnmap = 15, ContextCopyResource = 47;

    private static readonly Guid IidDxgiDevice = new("54ec77fa-1377-44e6-8c32-88fd5f44c84c");
    private static readonly Guid IidDxgiOutput1 = new("00cddea8-939b-4b83-a340-a685226666cc");
    private static readonly Guid IidTexture2D = new("6f15aaf2-d208-4e89-9ab4-489535d34f9c");

    private readonly ScreenRegion _crop;
    private nint _device;
    private nint _context;
    private nint _output1;
    private nint _duplication;
    private nint _staging;
    private bool _mapped;
    private bool _hasImage;

    private DxgiScreenSource(nint device, nint context, nint output1, ScreenRegion crop, ScreenRegion area)
    {
        _device = device;
        _context = context;
        _output1 = output1;
        _crop = crop;
        Area = area;
    }

    public int Width => _crop.Width;

    public int Height => _crop.Height;

    public ScreenRegion Area { get; }

    /// <summary>Opens output <c>Monitor</c> (0 when not given) of the default adapter; a region is relative to that monitor's top-left corner.</summary>
    public static DxgiScreenSource Open(ScreenSelection selection)
    {
        nint device = 0, context = 0, dxgiDevice = 0, adapter = 0, output = 0, output1 = 0;
        try
        {
            int level;
            Com.Check(D3D11CreateDevice(0, DriverTypeHardware, 0, CreateDeviceBgraSupport, null, 0, SdkVersion, &device, &level, &context), "D3D11CreateDevice");
            Com.Check(Com.QueryInterface(device, IidDxgiDevice, out dxgiDevice), "ID3D11Device::QueryInterface(IDXGIDevice)");
            nint a;
            Com.Check(((delegate* unmanaged[Stdcall]<nint, nint*, int>)Com.Slot(dxgiDevice, DxgiDeviceGetAdapter))(dxgiDevice, &a), "IDXGIDevice::GetAdapter");
            adapter = a;
            var index = selection.Monitor ?? 0;
            nint o;
            var hr = ((delegate* unmanaged[Stdcall]<nint, uint, nint*, int>)Com.Slot(adapter, DxgiAdapterEnumOutputs))(adapter, (uint)Math.Max(0, index), &o);
            if (hr == NotFound || index < 0)
            {
                throw new LiliumException($"Monitor {index} does not exist on the default graphics adapter.");
            }

            Com.Check(hr, "IDXGIAdapter::EnumOutputs");
            output = o;
            var desc = stackalloc byte[96]; // DXGI_OUTPUT_DESC: DeviceName[32] WCHAR, RECT DesktopCoordinates at 64, …
            Com.Check(((delegate* unmanaged[Stdcall]<nint, byte*, int>)Com.Slot(output, DxgiOutputGetDesc))(output, desc), "IDXGIOutput::GetDesc");
            var rect = (int*)(desc + 64);
            var monitor = new ScreenRegion(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
            var crop = selection.Region ?? new ScreenRegion(0, 0, monitor.Width, monitor.Height);
            if (crop.X < 0 || crop.Y < 0 || crop.X + crop.Width > monitor.Width || crop.Y + crop.Height > monitor.Height)
            {
                throw new LiliumException($"The region {crop.Width}x{crop.Height}+{crop.X}+{crop.Y} is outside monitor {index} ({monitor.Width}x{monitor.Height}).");
            }

            crop = crop with { Width = crop.Width & ~1, Height = crop.Height & ~1 };
            Com.Check(Com.QueryInterface(output, IidDxgiOutput1, out output1), "IDXGIOutput::QueryInterface(IDXGIOutput1) (Windows 8 or later)");
            var source = new DxgiScreenSource(device, context, output1, crop, crop with { X = monitor.X + crop.X, Y = monitor.Y + crop.Y });
            device = context = output1 = 0; // the source owns them now
            try
            {
                source.CreateStaging(monitor.Width, monitor.Height);
                source.Duplicate();
            }
            catch
            {
                source.Dispose();
                throw;
            }

            return source;
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("d3d11.dll is missing; Desktop Duplication needs Windows 8 or later.", ex);
        }
        finally
        {
            Com.Release(ref output);
            Com.Release(ref adapter);
            Com.Release(ref dxgiDevice);
            Com.Release(ref output1);
            Com.Release(ref context);
            Com.Release(ref device);
        }
    }

    public ScreenFrame Capture()
    {
        ObjectDisposedException.ThrowIf(_device == 0, this);
        Unmap();
        if (_duplication == 0)
        {
            Duplicate();
        }

        var info = stackalloc byte[48]; // DXGI_OUTDUPL_FRAME_INFO
        nint resource;
        var hr = ((delegate* unmanaged[Stdcall]<nint, uint, byte*, nint*, int>)Com.Slot(_duplication, DuplicationAcquireNextFrame))(_duplication, _hasImage ? 0u : 500u, info, &resource);
        if (hr == AccessLost)
        {
            Com.Release(ref _duplication); // re-created on the next grab; this one repeats the last image
        }
        else if (hr != WaitTimeout)
        {
            Com.Check(hr, "IDXGIOutputDuplication::AcquireNextFrame");
            try
            {
                Com.Check(Com.QueryInterface(resource, IidTexture2D, out var texture), "IDXGIResource::QueryInterface(ID3D11Texture2D)");
                ((delegate* unmanaged[Stdcall]<nint, nint, nint, void>)Com.Slot(_context, ContextCopyResource))(_context, _staging, texture);
                Com.Release(ref texture);
                _hasImage = true;
            }
            finally
            {
                Com.Release(ref resource);
                _ = ((delegate* unmanaged[Stdcall]<nint, int>)Com.Slot(_duplication, DuplicationReleaseFrame))(_duplication);
            }
        }

        var mapped = stackalloc byte[16]; // D3D11_MAPPED_SUBRESOURCE: pData, RowPitch, DepthPitch
        Com.Check(((delegate* unmanaged[Stdcall]<nint, nint, uint, int, uint, byte*, int>)Com.Slot(_context, ContextMap))(_context, _staging, 0, MapRead, 0, mapped), "ID3D11DeviceContext::Map");
        _mapped = true;
        var data = *(byte**)mapped;
        var pitch = *(int*)(mapped + 8);
        return new ScreenFrame((nint)(data + (_crop.Y * pitch) + (_crop.X * 4)), _crop.Width, _crop.Height, pitch, Stopwatch.GetTimestamp());
    }

    private void CreateStaging(int width, int height)
    {
        var desc = stackalloc int[11] { width, height, 1, 1, FormatB8G8R8A8, 1, 0, UsageStaging, 0, CpuAccessRead, 0 }; // D3D11_TEXTURE2D_DESC
        nint texture;
        Com.Check(((delegate* unmanaged[Stdcall]<nint, int*, void*, nint*, int>)Com.Slot(_device, DeviceCreateTexture2D))(_device, desc, null, &texture), "ID3D11Device::CreateTexture2D (staging)");
        _staging = texture;
    }

    private void Duplicate()
    {
        nint duplication;
        var hr = ((delegate* unmanaged[Stdcall]<nint, nint, nint*, int>)Com.Slot(_output1, DxgiOutput1DuplicateOutput))(_output1, _device, &duplication);
        if (hr == unchecked((int)0x887A0022))
        {
            throw new LiliumException("Desktop Duplication is not available now: too many applications already duplicate this output (DXGI_ERROR_NOT_CURRENTLY_AVAILABLE).");
        }

        if (hr == unchecked((int)0x80070005))
        {
            throw new LiliumException("Desktop Duplication was refused (E_ACCESSDENIED): the secure desktop (UAC, lock screen) is showing, or this process runs as a service.");
        }

        Com.Check(hr, "IDXGIOutput1::DuplicateOutput");
        _duplication = duplication;
    }

    private void Unmap()
    {
        if (_mapped)
        {
            ((delegate* unmanaged[Stdcall]<nint, nint, uint, void>)Com.Slot(_context, ContextUnmap))(_context, _staging, 0);
            _mapped = false;
        }
    }

    public void Dispose()
    {
        if (_device == 0)
        {
            return;
        }

        Unmap();
        Com.Release(ref _duplication);
        Com.Release(ref _staging);
        Com.Release(ref _output1);
        Com.Release(ref _context);
        Com.Release(ref _device);
    }

    [LibraryImport("d3d11.dll")]
    private static partial int D3D11CreateDevice(nint adapter, int driverType, nint software, uint flags, int* featureLevels, uint featureLevelCount, uint sdkVersion, nint* device, int* featureLevel, nint* context);
}

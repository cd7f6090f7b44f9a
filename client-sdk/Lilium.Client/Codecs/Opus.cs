using System.Runtime.InteropServices;

namespace Lilium.Client.Codecs;

/// <summary>Opus through libopus (Debian libopus0): 48 kHz stereo, 20 ms frames, the application type for music and system sound.</summary>
internal sealed unsafe partial class OpusEncoder : IDisposable
{
    private const string Lib = "libopus.so.0";
    private const int ApplicationAudio = 2049, SetBitrate = 4002;
    private readonly nint _encoder;
    private readonly byte[] _output = new byte[4000];

    public OpusEncoder(int bitrate = 128_000)
    {
        try
        {
            _encoder = Create(48_000, 2, ApplicationAudio, out var error);
            if (_encoder == 0 || error != 0)
            {
                throw new LiliumException("opus_encoder_create failed: " + error);
            }
        }
        catch (DllNotFoundException ex)
        {
            throw new LiliumException("libopus is not installed (apt install libopus0).", ex);
        }

        Ctl(_encoder, SetBitrate, bitrate);
    }

    /// <summary>Encodes one 20 ms frame of interleaved s16le stereo (3,840 bytes); the packet is valid until the next call.</summary>
    public ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> pcm)
    {
        fixed (byte* input = pcm)
        fixed (byte* output = _output)
        {
            var length = EncodeFrame(_encoder, (short*)input, 960, output, _output.Length);
            if (length < 0)
            {
                throw new LiliumException("opus_encode failed: " + length);
            }

            return _output.AsSpan(0, length);
        }
    }

    public void Dispose() => Destroy(_encoder);

    [LibraryImport(Lib, EntryPoint = "opus_encoder_create")]
    private static partial nint Create(int rate, int channels, int application, out int error);

    // opus_encoder_ctl is variadic; an int vararg travels like a fixed int argument on x86-64 and arm64 Linux.
    [LibraryImport(Lib, EntryPoint = "opus_encoder_ctl")]
    private static partial int Ctl(nint encoder, int request, int value);

    [LibraryImport(Lib, EntryPoint = "opus_encode")]
    private static partial int EncodeFrame(nint encoder, short* pcm, int frameSize, byte* data, int maxBytes);

    [LibraryImport(Lib, EntryPoint = "opus_encoder_destroy")]
    private static partial void Destroy(nint encoder);
}

/// <summary>Opus decoding (48 kHz stereo) for tests and viewer applications.</summary>
internal sealed unsafe partial class OpusDecoder : IDisposable
{
    private const string Lib = "libopus.so.0";
    private readonly nint _decoder;

    public OpusDecoder()
    {
        _decoder = Create(48_000, 2, out var error);
        if (_decoder == 0 || error != 0)
        {
            throw new LiliumException("opus_decoder_create failed: " + error);
        }
    }

    /// <summary>Decodes one packet to interleaved stereo samples; returns samples per channel.</summary>
    public int Decode(ReadOnlySpan<byte> packet, Span<short> pcm)
    {
        fixed (byte* data = packet)
        fixed (short* output = pcm)
        {
            return DecodeFrame(_decoder, data, packet.Length, output, pcm.Length / 2, 0);
        }
    }

    public void Dispose() => Destroy(_decoder);

    [LibraryImport(Lib, EntryPoint = "opus_decoder_create")]
    private static partial nint Create(int rate, int channels, out int error);

    [LibraryImport(Lib, EntryPoint = "opus_decode")]
    private static partial int DecodeFrame(nint decoder, byte* data, int length, short* pcm, int frameSize, int fec);

    [LibraryImport(Lib, EntryPoint = "opus_decoder_destroy")]
    private static partial void Destroy(nint decoder);
}

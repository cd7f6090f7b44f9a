namespace Lilium.WebRtc.Rtp;

/// <summary>
/// The playout-delay RTP header extension (<see cref="Uri"/>; webrtc.googlesource.com, docs/native-code/rtp-hdrext/
/// playout-delay): the sender's bounds on the receiver's playout delay, in 10 ms units, so a screen share can ask for
/// frames to be shown as soon as they are decoded (0, 0).
/// <code>
/// | MIN delay (12 bits) | MAX delay (12 bits) |   3 bytes, each in 10 ms units (0–40.95 s)
/// </code>
/// </summary>
public static class PlayoutDelay
{
    public const string Uri = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";

    /// <summary>The element's data length.</summary>
    public const int Size = 3;

    /// <summary>The largest delay the 12-bit fields carry.</summary>
    public const int MaxMilliseconds = 0xFFF * 10;

    /// <summary>Writes the element's data: <paramref name="minMs"/> and <paramref name="maxMs"/> rounded down to 10 ms.</summary>
    public static void Write(Span<byte> destination, int minMs, int maxMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(minMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMs, MaxMilliseconds);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMs, minMs);
        var min = minMs / 10;
        var max = maxMs / 10;
        destination[0] = (byte)(min >> 4);
        destination[1] = (byte)(((min & 0x0F) << 4) | (max >> 8));
        destination[2] = (byte)max;
    }

    /// <summary>Reads the element's data; false (never an exception) when it is not 3 bytes or min exceeds max.</summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out int minMs, out int maxMs)
    {
        minMs = maxMs = 0;
        if (data.Length != Size)
        {
            return false;
        }

        var min = (data[0] << 4) | (data[1] >> 4);
        var max = ((data[1] & 0x0F) << 8) | data[2];
        if (min > max)
        {
            return false;
        }

        (minMs, maxMs) = (min * 10, max * 10);
        return true;
    }
}

namespace Lilium.Client.Media;

/// <summary>
/// H.264 RTP payloads (RFC 6184, packetization-mode 1) from an Annex B access unit: a NAL unit
/// that fits goes alone (§5.6); a bigger one is cut into FU-A fragments (§5.8):
/// <code>
///  FU indicator      FU header
/// +-+-+-+-+-+-+-+-+ +-+-+-+-+-+-+-+-+
/// |F|NRI|  Type=28| |S|E|R|  Type   |
/// +-+-+-+-+-+-+-+-+ +-+-+-+-+-+-+-+-+
/// </code>
/// The RTP marker goes on the last packet of the access unit.
/// </summary>
internal static class H264Packetizer
{
    /// <summary>Keeps RTP + SRTP + UDP/IP under the 1200-byte path MTU WebRTC stacks assume.</summary>
    public const int MaxPayload = 1100;
    private const byte FuA = 28;

    /// <summary>Appends the NAL units of an Annex B stream (start codes 00 00 01 or 00 00 00 01) as ranges.</summary>
    public static void FindNals(ReadOnlySpan<byte> stream, List<Range> nals)
    {
        var start = -1;
        var i = 0;
        while (i + 3 <= stream.Length)
        {
            if (stream[i] == 0 && stream[i + 1] == 0 && stream[i + 2] == 1)
            {
                if (start >= 0)
                {
                    var end = i;
                    while (end > start && stream[end - 1] == 0)
                    {
                        end--; // the zero of a four-byte start code (or trailing zeros) belongs to no NAL
                    }

                    if (end > start)
                    {
                        nals.Add(start..end);
                    }
                }

                i += 3;
                start = i;
                continue;
            }

            i++;
        }

        if (start >= 0 && start < stream.Length)
        {
            nals.Add(start..stream.Length);
        }
    }

    /// <summary>How many RTP payloads a NAL unit of this length needs.</summary>
    public static int PacketCount(int nalLength) => nalLength <= MaxPayload ? 1 : (nalLength - 1 + MaxPayload - 3) / (MaxPayload - 2);

    /// <summary>Writes payload <paramref name="index"/> of <paramref name="nal"/>; returns its length.</summary>
    public static int WritePayload(ReadOnlySpan<byte> nal, int index, Span<byte> destination)
    {
        if (nal.Length <= MaxPayload)
        {
            nal.CopyTo(destination);
            return nal.Length;
        }

        var chunk = MaxPayload - 2;
        var body = nal[1..];
        var offset = index * chunk;
        var length = Math.Min(chunk, body.Length - offset);
        destination[0] = (byte)((nal[0] & 0xE0) | FuA);
        destination[1] = (byte)((index == 0 ? 0x80 : 0) | (offset + length == body.Length ? 0x40 : 0) | (nal[0] & 0x1F));
        body.Slice(offset, length).CopyTo(destination[2..]);
        return length + 2;
    }

    /// <summary>True if the access unit holds an IDR slice (NAL type 5).</summary>
    public static bool IsIdr(ReadOnlySpan<byte> stream, List<Range> scratch)
    {
        scratch.Clear();
        FindNals(stream, scratch);
        foreach (var r in scratch)
        {
            if ((stream[r][0] & 0x1F) == 5)
            {
                return true;
            }
        }

        return false;
    }
}

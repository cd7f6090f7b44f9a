namespace Lilium.Relay.Media;

/// <summary>Recognises the first packet of a keyframe in VP8 and H.264 RTP payloads, so a new subscriber starts on one.</summary>
internal static class Keyframes
{
    public static bool StartsKeyframe(string encodingName, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        return encodingName.ToUpperInvariant() switch
        {
            "VP8" => Vp8(payload),
            "H264" => H264(payload),
            _ => true,
        };
    }

    // RFC 7741 §4.2 payload descriptor:
    //  |X|R|N|S|R| PID |   then if X: |I|L|T|K| RSV |, I: |M| PictureID (7 or 15 bits) |, L: TL0PICIDX, T|K: |TID|Y| KEYIDX |
    // then the VP8 payload header, whose first bit P is 0 for a key frame (RFC 7741 §4.3), valid when S=1 and PID=0.
    private static bool Vp8(ReadOnlySpan<byte> p)
    {
        var start = (p[0] & 0x10) != 0;
        var pid = p[0] & 0x07;
        if (!start || pid != 0)
        {
            return false;
        }

        var at = 1;
        if ((p[0] & 0x80) != 0)
        {
            if (p.Length <= at)
            {
                return false;
            }

            var ext = p[at++];
            if ((ext & 0x80) != 0)
            {
                if (p.Length <= at)
                {
                    return false;
                }

                at += (p[at] & 0x80) != 0 ? 2 : 1;
            }

            if ((ext & 0x40) != 0)
            {
                at++;
            }

            if ((ext & 0x30) != 0)
            {
                at++;
            }
        }

        return p.Length > at && (p[at] & 0x01) == 0;
    }

    // RFC 6184 §5.4: NAL type in the low 5 bits; 5 = IDR slice, 7 = SPS; STAP-A (24) aggregates NALs
    // (2-byte size + NAL each); FU-A (28) carries a fragment whose FU header has S and the real type.
    private static bool H264(ReadOnlySpan<byte> p)
    {
        var type = p[0] & 0x1F;
        switch (type)
        {
            case 5 or 7:
                return true;
            case 24:
                for (var at = 1; at + 2 < p.Length;)
                {
                    var size = (p[at] << 8) | p[at + 1];
                    if (size == 0 || at + 2 + size > p.Length)
                    {
                        return false;
                    }

                    if ((p[at + 2] & 0x1F) is 5 or 7)
                    {
                        return true;
                    }

                    at += 2 + size;
                }

                return false;
            case 28:
                return p.Length > 1 && (p[1] & 0x80) != 0 && (p[1] & 0x1F) is 5 or 7;
            default:
                return false;
        }
    }
}

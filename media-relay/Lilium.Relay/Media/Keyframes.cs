namespace Lilium.Relay.Media;

/// <summary>
/// Recognises the first packet of a keyframe in VP8, VP9, AV1 and H.264 RTP payloads, so a new subscriber starts on one.
/// Never throws on hostile bytes: a payload too short for what its header announces is no keyframe. A codec it does not
/// know counts every packet as a start (audio).
/// </summary>
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
            "VP9" => Vp9(payload),
            "AV1" => Av1(payload),
            _ => true,
        };
    }

    // RFC 7741 §4.2 payload descriptor:
    //  |X|R|N|S|R| PID |   then if X: |I|L|T|K| RSV |, I: |M| PictureID (7 or 15 bits) |, L: TL0PICIDX, T|K: |TID|Y| KEYIDX |
    // then the VP8 payload header, whose first bit P is 0 for a key frame (RFC 7741 §4.3), valid when S=1 and PID=0.
    internal static bool Vp8(ReadOnlySpan<byte> p)
    {
        var at = Vp8FrameStart(p);
        return at >= 0 && (p[at] & 0x01) == 0;
    }

    /// <summary>
    /// Where the VP8 frame (its payload header) starts in a packet that begins a frame's first partition (S=1, PID=0),
    /// past the payload descriptor; −1 for any other packet, or one too short for what its descriptor announces.
    /// </summary>
    internal static int Vp8FrameStart(ReadOnlySpan<byte> p)
    {
        if (p.IsEmpty || (p[0] & 0x10) == 0 || (p[0] & 0x07) != 0)
        {
            return -1;
        }

        var at = 1;
        if ((p[0] & 0x80) != 0)
        {
            if (p.Length <= at)
            {
                return -1;
            }

            var ext = p[at++];
            if ((ext & 0x80) != 0)
            {
                if (p.Length <= at)
                {
                    return -1;
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

        return p.Length > at ? at : -1;
    }

    // RFC 9628 §4.2 payload descriptor: |I|P|L|F|B|E|V|Z|, then if I: |M| PictureID (7 or 15 bits) |, then if L:
    // |TID|U| SID |D| (and, in non-flexible mode, F=0, a TL0PICIDX octet). A keyframe starts where B (start of a frame)
    // is set, P (inter-picture predicted) is not, and the layer is the base spatial layer (SID 0, or no layer indices).
    // Flexible mode (F=1, reference indices follow) does not change that: a keyframe has P=0 and so no references.
    internal static bool Vp9(ReadOnlySpan<byte> p) => Vp9KeyframeStart(p) is var at && at > 0 && p.Length > at; // some VP9 payload follows

    /// <summary>
    /// Where the descriptor's picture ID and layer indices end in a packet that starts a base-layer keyframe (the
    /// scalability structure, if V is set, begins there), or −1 when the packet is not one or is cut short.
    /// </summary>
    internal static int Vp9KeyframeStart(ReadOnlySpan<byte> p)
    {
        var first = p[0];
        var predicted = (first & 0x40) != 0;
        var begins = (first & 0x08) != 0;
        if (predicted || !begins)
        {
            return -1;
        }

        var at = 1;
        if ((first & 0x80) != 0)
        {
            if (p.Length <= at)
            {
                return -1;
            }

            at += (p[at] & 0x80) != 0 ? 2 : 1;
        }

        if ((first & 0x20) != 0)
        {
            if (p.Length <= at || ((p[at] >> 1) & 0x07) != 0)
            {
                return -1; // cut short, or not the base spatial layer
            }

            at += (first & 0x10) == 0 ? 2 : 1; // TL0PICIDX in non-flexible mode
        }

        return at;
    }

    // AV1 RTP payload format (aomediacodec.github.io/av1-rtp-spec §4.4): aggregation header |Z|Y|W W|N|-|-|-|. N marks
    // the first packet of a coded video sequence — a keyframe that starts with a sequence header; libwebrtc sets it on
    // every keyframe. Without N, a packet whose first OBU element starts an OBU (Z=0) that is a sequence header
    // (obu_type 1) counts too, for senders that do not set N. W=1 means one element without a length field; else
    // each element but the last is preceded by its LEB128 length.
    internal static bool Av1(ReadOnlySpan<byte> p)
    {
        var aggregation = p[0];
        if ((aggregation & 0x08) != 0)
        {
            return true;
        }

        if ((aggregation & 0x80) != 0)
        {
            return false; // the first element continues an OBU from the previous packet
        }

        var at = 1;
        var elements = (aggregation >> 4) & 0x03;
        if (elements != 1)
        {
            // a LEB128 length (at most 8 octets) precedes the first element
            var octets = 0;
            while (true)
            {
                if (at >= p.Length || octets == 8)
                {
                    return false;
                }

                octets++;
                if ((p[at++] & 0x80) == 0)
                {
                    break;
                }
            }
        }

        return at < p.Length && ((p[at] >> 3) & 0x0F) == 1;
    }

    // RFC 6184 §5.4: NAL type in the low 5 bits; 5 = IDR slice, 7 = SPS; STAP-A (24) aggregates NALs
    // (2-byte size + NAL each); FU-A (28) carries a fragment whose FU header has S and the real type.
    internal static bool H264(ReadOnlySpan<byte> p)
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

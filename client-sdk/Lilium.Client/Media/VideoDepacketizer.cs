namespace Lilium.Client.Media;

/// <summary>
/// How one codec's RTP payloads become the bytes of an encoded frame, for <see cref="VideoFrameAssembler"/>:
/// VP8 (RFC 7741) or H.264 (RFC 6184, packetization-mode 1). Never throws on hostile payloads.
/// </summary>
internal abstract class VideoDepacketizer
{
    /// <summary>The encoding name frames carry (<see cref="VideoFrame.Codec"/>).</summary>
    public abstract string Codec { get; }

    /// <summary>
    /// The bytes <paramref name="payload"/> adds to its frame, and whether a frame may begin with it (a decoder can
    /// start reading there); false for a payload that cannot be used.
    /// </summary>
    public abstract bool TryRead(ReadOnlySpan<byte> payload, out bool start, out byte[] data);

    /// <summary>True for a complete frame a decoder can start from.</summary>
    public abstract bool IsKeyframe(ReadOnlySpan<byte> frame);

    /// <summary>The depacketizer for an SDP encoding name (<c>VP8</c>, <c>H264</c>); null for another codec.</summary>
    public static VideoDepacketizer? For(string encodingName) => encodingName.ToUpperInvariant() switch
    {
        "VP8" => new Vp8Depacketizer(),
        "H264" => new H264Depacketizer(),
        _ => null,
    };
}

/// <summary>VP8: the payload descriptor comes off; a frame starts at S=1 in partition 0.</summary>
internal sealed class Vp8Depacketizer : VideoDepacketizer
{
    public override string Codec => "VP8";

    public override bool TryRead(ReadOnlySpan<byte> payload, out bool start, out byte[] data)
    {
        data = [];
        if (!Vp8Packetizer.TryReadDescriptor(payload, out var header, out start))
        {
            return false;
        }

        data = payload[header..].ToArray();
        return true;
    }

    public override bool IsKeyframe(ReadOnlySpan<byte> frame) => Vp8Packetizer.IsKeyframe(frame);
}

/// <summary>
/// H.264 (RFC 6184 §5.6–5.8): single NAL units, STAP-A aggregates and FU-A fragments become an Annex B access unit
/// (four-byte start codes). An access unit may begin at a parameter set, SEI or delimiter, or at a slice whose
/// first_mb_in_slice is 0 (its first Exp-Golomb bit is 1); a frame is a keyframe when it holds an IDR slice.
/// STAP-B, MTAP and FU-B (interleaved mode) are refused, as the relay negotiates packetization-mode 1 only.
/// </summary>
internal sealed class H264Depacketizer : VideoDepacketizer
{
    private const byte StapA = 24;
    private const byte FuA = 28;
    private static ReadOnlySpan<byte> StartCode => [0, 0, 0, 1];

    private readonly List<Range> _scratch = [];

    public override string Codec => "H264";

    public override bool TryRead(ReadOnlySpan<byte> payload, out bool start, out byte[] data)
    {
        start = false;
        data = [];
        if (payload.IsEmpty || (payload[0] & 0x80) != 0)
        {
            return false; // empty, or the forbidden bit set
        }

        var type = payload[0] & 0x1F;
        switch (type)
        {
            case >= 1 and <= 23:
                start = StartsAccessUnit(payload);
                data = [.. StartCode, .. payload];
                return true;
            case StapA:
                return TryReadAggregate(payload[1..], out start, out data);
            case FuA:
                if (payload.Length < 3)
                {
                    return false;
                }

                var fu = payload[1];
                var nalHeader = (byte)((payload[0] & 0xE0) | (fu & 0x1F));
                if ((fu & 0x80) == 0)
                {
                    data = payload[2..].ToArray();
                    return true;
                }

                Span<byte> head = [nalHeader, payload[2]];
                start = StartsAccessUnit(head);
                data = [.. StartCode, nalHeader, .. payload[2..]];
                return true;
            default:
                return false;
        }
    }

    public override bool IsKeyframe(ReadOnlySpan<byte> frame) => H264Packetizer.IsIdr(frame, _scratch);

    private static bool TryReadAggregate(ReadOnlySpan<byte> units, out bool start, out byte[] data)
    {
        start = false;
        data = [];
        var output = new List<byte>(units.Length + 16);
        var first = true;
        while (!units.IsEmpty)
        {
            if (units.Length < 2)
            {
                return false;
            }

            var size = (units[0] << 8) | units[1];
            if (size == 0 || units.Length < 2 + size)
            {
                return false;
            }

            var nal = units.Slice(2, size);
            if (first)
            {
                start = StartsAccessUnit(nal);
                first = false;
            }

            output.AddRange(StartCode);
            output.AddRange(nal);
            units = units[(2 + size)..];
        }

        data = [.. output];
        return !first;
    }

    private static bool StartsAccessUnit(ReadOnlySpan<byte> nal) => (nal[0] & 0x1F) switch
    {
        6 or 7 or 8 or 9 => true, // SEI, SPS, PPS, access unit delimiter
        1 or 5 => nal.Length >= 2 && (nal[1] & 0x80) != 0, // a slice with first_mb_in_slice = 0
        _ => false,
    };
}

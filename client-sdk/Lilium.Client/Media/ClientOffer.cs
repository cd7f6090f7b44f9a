using System.Text;
using Lilium.WebRtc.Ice;

namespace Lilium.Client.Media;

/// <summary>What the SDK offers to the relay: the send or receive sections and the data-channel section.</summary>
internal sealed record ClientOfferSpec(bool Publish, uint VideoSsrc, uint AudioSsrc, bool DataChannel, string VideoCodec = "VP8")
{
    public const byte Vp8PayloadType = 96;
    public const byte H264PayloadType = 102;

    /// <summary>Constrained baseline (what x264 writes with the baseline profile), level 3.1, any level accepted.</summary>
    public const string H264Fmtp = "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";

    public bool IsH264 => string.Equals(VideoCodec, "H264", StringComparison.OrdinalIgnoreCase);

    public byte VideoPayloadType => IsH264 ? H264PayloadType : Vp8PayloadType;
    public const byte OpusPayloadType = 111;
    public const string StreamId = "lilium";

    /// <summary>A bundled offer, shaped like the browsers' (RFC 8829): video, audio, then the data-channel section.</summary>
    public string Build(IceCredentials ice, string fingerprint)
    {
        var direction = Publish ? "sendonly" : "recvonly";
        var sb = new StringBuilder();
        void Line(string s) => sb.Append(s).Append("\r\n");
        Line("v=0");
        Line($"o=- {Random.Shared.NextInt64(1, long.MaxValue)} 2 IN IP4 0.0.0.0");
        Line("s=-");
        Line("t=0 0");
        Line(DataChannel ? "a=group:BUNDLE 0 1 2" : "a=group:BUNDLE 0 1");
        Line("a=msid-semantic:WMS *");
        void Transport(string mid)
        {
            Line("c=IN IP4 0.0.0.0");
            Line($"a=mid:{mid}");
            Line($"a=ice-ufrag:{ice.Ufrag}");
            Line($"a=ice-pwd:{ice.Password}");
            Line($"a=fingerprint:{fingerprint}");
            Line("a=setup:actpass");
        }

        // A publisher offers the codec it encodes; a viewer offers both, and the relay answers with the publisher's.
        byte[] payloadTypes = Publish ? [VideoPayloadType] : [Vp8PayloadType, H264PayloadType];
        Line($"m=video 9 UDP/TLS/RTP/SAVPF {string.Join(' ', payloadTypes)}");
        Transport("0");
        Line("a=" + direction);
        Line("a=rtcp-mux");
        foreach (var pt in payloadTypes)
        {
            Line(pt == H264PayloadType ? $"a=rtpmap:{pt} H264/90000" : $"a=rtpmap:{pt} VP8/90000");
            if (pt == H264PayloadType)
            {
                Line($"a=fmtp:{pt} {H264Fmtp}");
            }

            Line($"a=rtcp-fb:{pt} goog-remb");
            Line($"a=rtcp-fb:{pt} nack");
            Line($"a=rtcp-fb:{pt} nack pli");
            Line($"a=rtcp-fb:{pt} ccm fir");
        }

        if (Publish)
        {
            Line($"a=msid:{StreamId} video");
            Line($"a=ssrc:{VideoSsrc} cname:{StreamId}");
        }

        Line($"m=audio 9 UDP/TLS/RTP/SAVPF {OpusPayloadType}");
        Transport("1");
        Line("a=" + direction);
        Line("a=rtcp-mux");
        Line($"a=rtpmap:{OpusPayloadType} opus/48000/2");
        if (Publish)
        {
            Line($"a=msid:{StreamId} audio");
            Line($"a=ssrc:{AudioSsrc} cname:{StreamId}");
        }

        if (DataChannel)
        {
            Line("m=application 9 UDP/DTLS/SCTP webrtc-datachannel");
            Transport("2");
            Line("a=sctp-port:5000");
            Line("a=max-message-size:65536");
        }

        return sb.ToString();
    }
}

using System.Text;
using Lilium.WebRtc.Ice;

namespace Lilium.Client.Media;

/// <summary>What the SDK offers to the relay: the send or receive sections and the data-channel section.</summary>
internal sealed record ClientOfferSpec(bool Publish, uint VideoSsrc, uint AudioSsrc, bool DataChannel)
{
    public const byte Vp8PayloadType = 96;
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

        Line($"m=video 9 UDP/TLS/RTP/SAVPF {Vp8PayloadType}");
        Transport("0");
        Line("a=" + direction);
        Line("a=rtcp-mux");
        Line($"a=rtpmap:{Vp8PayloadType} VP8/90000");
        Line($"a=rtcp-fb:{Vp8PayloadType} nack");
        Line($"a=rtcp-fb:{Vp8PayloadType} nack pli");
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

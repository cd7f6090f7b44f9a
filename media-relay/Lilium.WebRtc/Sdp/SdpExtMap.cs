namespace Lilium.WebRtc.Sdp;

/// <summary><c>a=extmap:ID[/direction] URI [attributes]</c> (RFC 8285 §8).</summary>
public sealed record SdpExtMap(int Id, string Uri, string? Direction = null)
{
    public const string SdesMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string AudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    public const string PlayoutDelay = Rtp.PlayoutDelay.Uri;
    public const string AbsCaptureTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
}

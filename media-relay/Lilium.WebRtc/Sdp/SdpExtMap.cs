namespace Lilium.WebRtc.Sdp;

/// <summary><c>a=extmap:ID[/direction] URI [attributes]</c> (RFC 8285 §8).</summary>
public sealed record SdpExtMap(int Id, string Uri, string? Direction = null)
{
    public const string SdesMid = "urn:ietf:params:rtp-hdrext:sdes:mid";
    public const string AudioLevel = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public const string AbsSendTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    public const string TransportWideCc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

    // Simulcast, RTX, latency and SVC (issue 25).
    public const string SdesRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    public const string SdesRepairedRtpStreamId = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    public const string PlayoutDelay = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
    public const string AbsCaptureTime = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
    public const string DependencyDescriptor = "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
}

/// <summary>
/// The header extension ids an m-section's <c>a=extmap</c> lines assign to the extensions an SFU reads or writes;
/// null where the extension is not offered.
/// </summary>
public sealed record SdpExtensionIds
{
    public byte? TransportWideCc { get; init; }

    public byte? Mid { get; init; }

    public byte? Rid { get; init; }

    public byte? RepairedRid { get; init; }

    public byte? PlayoutDelay { get; init; }

    public byte? AbsCaptureTime { get; init; }

    public byte? DependencyDescriptor { get; init; }

    public byte? AbsSendTime { get; init; }

    public byte? AudioLevel { get; init; }

    public static SdpExtensionIds From(IReadOnlyList<SdpExtMap> extMaps)
    {
        byte? Id(string uri) => extMaps.FirstOrDefault(e => e.Uri == uri) is { } e && e.Id is >= 1 and <= 255 ? (byte)e.Id : null;
        return new SdpExtensionIds
        {
            TransportWideCc = Id(SdpExtMap.TransportWideCc),
            Mid = Id(SdpExtMap.SdesMid),
            Rid = Id(SdpExtMap.SdesRtpStreamId),
            RepairedRid = Id(SdpExtMap.SdesRepairedRtpStreamId),
            PlayoutDelay = Id(SdpExtMap.PlayoutDelay),
            AbsCaptureTime = Id(SdpExtMap.AbsCaptureTime),
            DependencyDescriptor = Id(SdpExtMap.DependencyDescriptor),
            AbsSendTime = Id(SdpExtMap.AbsSendTime),
            AudioLevel = Id(SdpExtMap.AudioLevel),
        };
    }
}

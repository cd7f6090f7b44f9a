namespace Lilium.WebRtc.Sdp;

/// <summary>
/// A track an egress (WHEP) answer offers to send: its kind, the publisher's codec (matched
/// against the viewer's offer by name, clock rate and, for H.264, packetization mode), the SSRC
/// the viewer will see, and the <c>cname</c>/<c>msid</c> identity to announce.
/// </summary>
public sealed record SdpEgressTrack(string Kind, SdpRtpMap Codec, uint Ssrc, string Cname, string StreamId, string TrackId);

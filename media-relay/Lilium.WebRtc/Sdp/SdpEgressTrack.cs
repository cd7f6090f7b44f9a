namespace Lilium.WebRtc.Sdp;

/// <summary>
/// A track an egress (WHEP) answer offers to send: its kind, the publisher's codec (matched
/// against the viewer's offer by <see cref="CodecMatcher.CanCarry"/>: name, clock rate, profile), the SSRC
/// the viewer will see, and the <c>cname</c>/<c>msid</c> identity to announce.
/// </summary>
public sealed record SdpEgressTrack(string Kind, SdpRtpMap Codec, uint Ssrc, string Cname, string StreamId, string TrackId)
{
    /// <summary>The SSRC to retransmit on (RFC 4588) if the viewer's offer has <c>rtx</c> for the chosen codec; null: no RTX.</summary>
    public uint? RtxSsrc { get; init; }
}

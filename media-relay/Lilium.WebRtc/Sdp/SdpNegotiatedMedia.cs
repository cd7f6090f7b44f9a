namespace Lilium.WebRtc.Sdp;

/// <summary>
/// What an answer settled for one accepted m-section: the codec (with the offerer's payload type),
/// header extension ids to use, the SSRCs the offerer announced, the SSRC we send with (egress),
/// and which feedback was negotiated.
/// </summary>
public sealed record SdpNegotiatedMedia(string Mid, string Kind, SdpRtpMap Codec)
{
    /// <summary>The id of <c>urn:ietf:params:rtp-hdrext:sdes:mid</c>, if negotiated.</summary>
    public int? MidExtensionId { get; init; }

    /// <summary>The id of <c>ssrc-audio-level</c>, if negotiated.</summary>
    public int? AudioLevelExtensionId { get; init; }

    /// <summary>The id of <c>playout-delay</c>, if negotiated (video sections of egress answers only).</summary>
    public int? PlayoutDelayExtensionId { get; init; }

    /// <summary>The id of <c>abs-capture-time</c>, if negotiated.</summary>
    public int? AbsCaptureTimeExtensionId { get; init; }

    /// <summary>
    /// The id of the transport-wide sequence number extension (draft-holmer-rmcat-transport-wide-cc-extensions-01), if
    /// the offer had it: the relay numbers what it sends with it and answers what it receives with transport feedback.
    /// </summary>
    public int? TransportCcExtensionId { get; init; }

    /// <summary>SSRCs the offerer announced with <c>a=ssrc</c> (media, then RTX).</summary>
    public IReadOnlyList<uint> RemoteSsrcs { get; init; } = [];

    /// <summary>The SSRC we send on (egress answers only).</summary>
    public uint? LocalSsrc { get; init; }

    public bool Nack { get; init; }

    public bool Pli { get; init; }

    public bool Fir { get; init; }
}

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

    /// <summary>
    /// The id of the AV1 dependency descriptor extension (video; negotiated only with <c>a=extmap-allow-mixed</c>): the
    /// relay passes a publisher's descriptor on to viewers unchanged.
    /// </summary>
    public int? DependencyDescriptorExtensionId { get; init; }

    /// <summary>SSRCs the offerer announced with <c>a=ssrc</c> (media, then RTX).</summary>
    public IReadOnlyList<uint> RemoteSsrcs { get; init; } = [];

    /// <summary>The SSRC we send on (egress answers only).</summary>
    public uint? LocalSsrc { get; init; }

    /// <summary>
    /// The <c>rtx</c> payload type (RFC 4588 §8.6) negotiated for <see cref="Codec"/> (its <c>apt=</c>), or null: video
    /// only, and only when the offer had one for the chosen codec.
    /// </summary>
    public int? RtxPayloadType { get; init; }

    /// <summary>Ingest: the RTX SSRC the offerer paired with its media SSRC (<c>a=ssrc-group:FID</c>), if it announced one.</summary>
    public uint? RemoteRtxSsrc { get; init; }

    /// <summary>Egress: the SSRC we retransmit on (announced with <c>a=ssrc-group:FID</c>), when RTX was negotiated.</summary>
    public uint? LocalRtxSsrc { get; init; }

    /// <summary>
    /// Simulcast (ingest only): the RIDs the relay accepted to receive (RFC 8851/8853), in the offer's order, which the
    /// relay takes as low → high (Chromium's <c>sendEncodings</c> order); empty without simulcast.
    /// </summary>
    public IReadOnlyList<string> Rids { get; init; } = [];

    /// <summary>The id of <c>sdes:rtp-stream-id</c> (RID), if negotiated.</summary>
    public int? RidExtensionId { get; init; }

    /// <summary>The id of <c>sdes:repaired-rtp-stream-id</c>, if negotiated.</summary>
    public int? RepairedRidExtensionId { get; init; }

    public bool Nack { get; init; }

    public bool Pli { get; init; }

    public bool Fir { get; init; }
}

using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// One m-section: <c>m=kind port proto fmt…</c> with its attributes, parsed into typed views.
/// Transport attributes (ufrag, pwd, fingerprint, setup) fall back to the session level.
/// </summary>
public sealed class SdpMedia
{
    public required string Kind { get; init; }

    public required int Port { get; init; }

    public required string Protocol { get; init; }

    /// <summary>The format list of the m-line (payload types for RTP, e.g. <c>webrtc-datachannel</c> for SCTP).</summary>
    public required IReadOnlyList<string> Formats { get; init; }

    public IReadOnlyList<SdpAttribute> Attributes { get; init; } = [];

    public string? Mid { get; init; }

    public SdpDirection Direction { get; init; } = SdpDirection.SendRecv;

    /// <summary>Payload formats in m-line order (only those with an rtpmap; static PTs without one are skipped).</summary>
    public IReadOnlyList<SdpRtpMap> RtpMaps { get; init; } = [];

    public IReadOnlyList<SdpExtMap> ExtMaps { get; init; } = [];

    public IReadOnlyList<SdpSsrc> Ssrcs { get; init; } = [];

    public IReadOnlyList<SdpSsrcGroup> SsrcGroups { get; init; } = [];

    /// <summary>The <c>a=msid</c> value: <c>stream-id [track-id]</c> (RFC 8830).</summary>
    public string? Msid { get; init; }

    public string? IceUfrag { get; init; }

    public string? IcePwd { get; init; }

    public DtlsFingerprint? Fingerprint { get; init; }

    public SdpSetup? Setup { get; init; }

    public bool RtcpMux { get; init; }

    public bool RtcpRsize { get; init; }

    public IReadOnlyList<SdpCandidate> Candidates { get; init; } = [];

    public bool EndOfCandidates { get; init; }

    public bool IsRtp => Protocol.Contains("RTP", StringComparison.OrdinalIgnoreCase);

    /// <summary>The distinct SSRCs announced with <c>a=ssrc</c>, in order of appearance.</summary>
    public IReadOnlyList<uint> DistinctSsrcs => Ssrcs.Select(s => s.Ssrc).Distinct().ToList();

    /// <summary>The SSRC used for retransmission: the second member of a FID group, if any.</summary>
    public IEnumerable<uint> RtxSsrcs => SsrcGroups.Where(g => g.Semantics == "FID" && g.Ssrcs.Count == 2).Select(g => g.Ssrcs[1]);

    public SdpExtMap? FindExtMap(string uri) => ExtMaps.FirstOrDefault(e => e.Uri == uri);

    public bool HasAttribute(string name) => Attributes.Any(a => a.Name == name);

    // ---- Simulcast, RTX and header extensions (issue 25). ----

    /// <summary>The <c>a=rid</c> lines (RFC 8851), in order.</summary>
    public IReadOnlyList<SdpRid> Rids { get; init; } = [];

    /// <summary>The <c>a=simulcast</c> line (RFC 8853), or null.</summary>
    public SdpSimulcast? Simulcast { get; init; }

    /// <summary>The ids of the header extensions an SFU uses, from <see cref="ExtMaps"/>.</summary>
    public SdpExtensionIds ExtensionIds => SdpExtensionIds.From(ExtMaps);

    /// <summary>Each <c>a=ssrc-group:FID</c> as (media SSRC, RTX SSRC) (RFC 4588 §8.7, RFC 5576 §4.2).</summary>
    public IReadOnlyList<(uint Media, uint Rtx)> FidPairs =>
        SsrcGroups.Where(g => g.Semantics == "FID" && g.Ssrcs.Count == 2).Select(g => (g.Ssrcs[0], g.Ssrcs[1])).ToList();

    /// <summary>The <c>rtx</c> payload type that repairs <paramref name="payloadType"/>, or null.</summary>
    public int? RtxPayloadTypeFor(int payloadType) =>
        RtpMaps.FirstOrDefault(m => m.AssociatedPayloadType == payloadType)?.PayloadType;

    /// <summary>The RIDs sent by the offerer: the simulcast send list if there is one, else the <c>send</c> rids.</summary>
    public IReadOnlyList<string> SendRids =>
        Simulcast is { Send.Count: > 0 } s ? s.SendRids : Rids.Where(r => r.Send).Select(r => r.Id).ToList();
}

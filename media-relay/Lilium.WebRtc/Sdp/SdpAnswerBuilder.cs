using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// Builds answers for an ICE-lite, bundle-only endpoint (RFC 8829 §5.3.1, RFC 9725 §4.2, WHEP):
/// every offered m-section is answered in order with its mid; accepted ones are bundled, carry our
/// ICE credentials, fingerprint, <c>a=setup:passive</c>, <c>a=rtcp-mux</c> and one host candidate (plus a passive TCP one);
/// only offered payload types, feedback and extension ids are echoed. Unusable m-sections are
/// rejected with port 0.
/// </summary>
public static class SdpAnswerBuilder
{
    /// <summary>RFC 8445 §5.1.2.1 with type preference 126 (host) and local preference 65535, component 1.</summary>
    public const uint HostPriority = Ice.IceCandidate.HostPriority;

    private static readonly string[] EchoedExtensions = [SdpExtMap.SdesMid, SdpExtMap.AudioLevel, SdpExtMap.AbsCaptureTime, SdpExtMap.PlayoutDelay, SdpExtMap.TransportWideCc];

    /// <summary>Echoed in a WHIP answer that accepts simulcast: packets are assigned to layers by their RID.</summary>
    private static readonly string[] SimulcastExtensions = [SdpExtMap.SdesRtpStreamId, SdpExtMap.SdesRepairedRtpStreamId];

    /// <summary>The most simulcast layers a publisher's video section may send (low, medium, high); later RIDs are declined.</summary>
    public const int MaxSimulcastLayers = 3;

    /// <summary>
    /// WHIP: the client sends, we answer <c>recvonly</c> with the first supported codec for the first usable audio
    /// and the first usable video m-section; other media sections are declined (port 0).
    /// </summary>
    public static bool TryAnswerIngest(SdpSession offer, SdpLocalTransport local, out SdpAnswer? answer, out string? error)
    {
        answer = null;
        if (!TryValidate(offer, out error))
        {
            return false;
        }

        var decisions = new List<Decision>();
        foreach (var m in offer.Media)
        {
            if (TryDataChannel(offer, m, decisions) is { } channel)
            {
                decisions.Add(channel);
                continue;
            }

            // One audio and one video section (a screen and its sound) are what a session serves; more would only
            // cost memory (a packet cache per section), so later ones are declined with port 0.
            var codec = m.IsRtp && m.Direction.Sends() && IsBundled(offer, m) && !decisions.Exists(d => d.Media is not null && d.Offer.Kind == m.Kind)
                ? m.RtpMaps.FirstOrDefault(c => SdpCodecs.IsSupported(m.Kind, c))
                : null;
            decisions.Add(codec is null
                ? Decision.Reject(m)
                : new Decision(m, WithRtx(m, WithDependencyDescriptor(offer, m, Negotiate(m, codec)) with
                {
                    RemoteSsrcs = m.DistinctSsrcs,
                    PlayoutDelayExtensionId = null,
                    Rids = SimulcastRids(m),
                    RidExtensionId = m.FindExtMap(SdpExtMap.SdesRtpStreamId)?.Id,
                    RepairedRidExtensionId = m.FindExtMap(SdpExtMap.SdesRepairedRtpStreamId)?.Id,
                }, null), SdpDirection.RecvOnly, null));
        }

        return TryFinish(offer, local, decisions, out answer, out error);
    }

    /// <summary>
    /// WHEP: the viewer receives, we answer <c>sendonly</c>. Each audio/video m-section takes the next
    /// unused track of its kind whose codec the viewer offered; the answer announces it with
    /// <c>a=msid</c> and <c>a=ssrc</c> cname/msid lines.
    /// </summary>
    public static bool TryAnswerEgress(SdpSession offer, SdpLocalTransport local, IReadOnlyList<SdpEgressTrack> tracks, out SdpAnswer? answer, out string? error)
    {
        answer = null;
        if (!TryValidate(offer, out error))
        {
            return false;
        }

        var unused = tracks.ToList();
        var decisions = new List<Decision>();
        foreach (var m in offer.Media)
        {
            var decision = TryDataChannel(offer, m, decisions);
            if (decision is null && m.IsRtp && m.Direction.Receives() && IsBundled(offer, m))
            {
                foreach (var track in unused.Where(t => t.Kind == m.Kind))
                {
                    var codec = m.RtpMaps.FirstOrDefault(c => SdpCodecs.CanCarry(c, track.Codec));
                    if (codec is not null)
                    {
                        unused.Remove(track);
                        decision = new Decision(m, WithRtx(m, WithDependencyDescriptor(offer, m, Negotiate(m, CodecMatcher.AnswerFor(codec, track.Codec))) with { LocalSsrc = track.Ssrc }, track), SdpDirection.SendOnly, track);
                        break;
                    }
                }
            }

            decisions.Add(decision ?? Decision.Reject(m));
        }

        return TryFinish(offer, local, decisions, out answer, out error);
    }

    /// <summary>
    /// The RIDs a WHIP answer accepts on a video section: the offer's simulcast send list (first alternative of each
    /// entry, paused ones included: the publisher may resume them), at most <see cref="MaxSimulcastLayers"/>, when there
    /// are at least two and the RID header extension (a one-byte id, 1–14) is offered — without it the relay could not
    /// tell the layers apart (browsers announce no SSRCs for simulcast). Otherwise none: the answer has no simulcast
    /// lines and the browser sends its first encoding alone.
    /// </summary>
    private static List<string> SimulcastRids(SdpMedia m)
    {
        if (m.Kind != "video" || m.FindExtMap(SdpExtMap.SdesRtpStreamId) is not { Id: >= 1 and <= 14 })
        {
            return [];
        }

        var rids = m.SendRids.Distinct(StringComparer.Ordinal).Take(MaxSimulcastLayers).ToList();
        return rids.Count >= 2 ? rids : [];
    }

    private static bool TryValidate(SdpSession offer, out string? error)
    {
        foreach (var m in offer.Media)
        {
            if (m.Mid is null)
            {
                error = $"sdp: m-section '{m.Kind}' has no a=mid";
                return false;
            }
        }

        if (offer.Media.Select(m => m.Mid).Distinct().Count() != offer.Media.Count)
        {
            error = "sdp: duplicate a=mid";
            return false;
        }

        var first = offer.Media.FirstOrDefault(m => m.Port != 0) ?? offer.Media[0];
        if (string.IsNullOrEmpty(first.IceUfrag) || string.IsNullOrEmpty(first.IcePwd))
        {
            error = "sdp: missing a=ice-ufrag or a=ice-pwd";
            return false;
        }

        if (first.IceUfrag.Length is < 4 or > 256 || first.IcePwd.Length is < 22 or > 256)
        {
            error = "sdp: ice-ufrag must be 4-256 and ice-pwd 22-256 characters (RFC 8839 §5.4)";
            return false;
        }

        if (first.Fingerprint is null)
        {
            error = "sdp: missing a=fingerprint (sha-1/256/384/512)";
            return false;
        }

        if (first.Setup is not (SdpSetup.ActPass or SdpSetup.Active))
        {
            error = "sdp: a=setup must be actpass or active (we are the passive DTLS side)";
            return false;
        }

        error = null;
        return true;
    }

    // The first usable data-channel section is accepted (one SCTP association per transport, RFC 8841 §5).
    private static Decision? TryDataChannel(SdpSession offer, SdpMedia m, List<Decision> sofar) =>
        m.Kind == "application" && sofar.All(d => d.DataChannel is null)
        && (offer.BundleMids.Contains(m.Mid!) || offer.Media.Count == 1)
        && SdpDataChannelMedia.TryRead(m, out var channel)
            ? new Decision(m, null, SdpDirection.SendRecv, null) { DataChannel = channel }
            : null;

    private static bool IsBundled(SdpSession offer, SdpMedia m) =>
        m.Port != 0 && m.RtcpMux && (offer.BundleMids.Contains(m.Mid!) || offer.Media.Count == 1);

    private static SdpNegotiatedMedia Negotiate(SdpMedia m, SdpRtpMap codec)
    {
        var feedback = codec.Feedback.Where(f => SdpCodecs.SupportedFeedback.Contains(f)).Distinct().ToList();
        var chosen = codec with { Feedback = feedback };
        return new SdpNegotiatedMedia(m.Mid!, m.Kind, chosen)
        {
            MidExtensionId = m.FindExtMap(SdpExtMap.SdesMid)?.Id,
            AudioLevelExtensionId = m.Kind == "audio" ? m.FindExtMap(SdpExtMap.AudioLevel)?.Id : null,
            PlayoutDelayExtensionId = m.Kind == "video" ? m.FindExtMap(SdpExtMap.PlayoutDelay)?.Id : null,
            AbsCaptureTimeExtensionId = m.FindExtMap(SdpExtMap.AbsCaptureTime)?.Id,
            TransportCcExtensionId = m.FindExtMap(SdpExtMap.TransportWideCc)?.Id,
            Nack = feedback.Contains("nack"),
            Pli = feedback.Contains("nack pli"),
            Fir = feedback.Contains("ccm fir"),
        };
    }

    /// <summary>
    /// RTX (RFC 4588): a video codec gets its <c>rtx</c> format when the offer pairs one with it (<c>apt=</c>), under the
    /// offer's payload type. Ingest: the publisher's RTX SSRC from its <c>a=ssrc-group:FID</c>, if announced. Egress: only
    /// with an SSRC to retransmit on (<see cref="SdpEgressTrack.RtxSsrc"/>), which the answer announces in a FID group.
    /// </summary>
    private static SdpNegotiatedMedia WithRtx(SdpMedia m, SdpNegotiatedMedia n, SdpEgressTrack? track)
    {
        if (m.Kind != "video" || m.RtxPayloadTypeFor(n.Codec.PayloadType) is not { } rtx || track is { RtxSsrc: null })
        {
            return n;
        }

        if (track is not null)
        {
            return n with { RtxPayloadType = rtx, LocalRtxSsrc = track.RtxSsrc };
        }

        var media = n.RemoteSsrcs.Count > 0 ? n.RemoteSsrcs[0] : (uint?)null;
        var fid = m.FidPairs.FirstOrDefault(p => p.Media == media);
        return n with { RtxPayloadType = rtx, RemoteRtxSsrc = fid.Rtx != 0 ? fid.Rtx : null };
    }

    // The rtx format's m-line entry, rtpmap and fmtp (no rtcp-fb: feedback is about the media it repairs).
    private static string RtxFormat(SdpNegotiatedMedia n) =>
        n.RtxPayloadType is { } rtx ? " " + rtx.ToString(CultureInfo.InvariantCulture) : string.Empty;

    private static void RtxLines(StringBuilder sb, SdpNegotiatedMedia n)
    {
        if (n.RtxPayloadType is { } rtx)
        {
            Line(sb, $"a=rtpmap:{rtx} rtx/{n.Codec.ClockRate}");
            Line(sb, $"a=fmtp:{rtx} apt={n.Codec.PayloadType}");
        }
    }

    /// <summary>
    /// The AV1 dependency descriptor (passed through unchanged: issue 25) on video, when offered together with
    /// <c>a=extmap-allow-mixed</c> (RFC 8285 §6): a descriptor that carries its template structure is longer than a
    /// one-byte element's 16 bytes, so without two-byte elements a sender could not send it.
    /// </summary>
    private static SdpNegotiatedMedia WithDependencyDescriptor(SdpSession offer, SdpMedia m, SdpNegotiatedMedia n) =>
        m.Kind == "video" && AllowsMixed(offer) && m.FindExtMap(SdpExtMap.DependencyDescriptor) is { } dd
            ? n with { DependencyDescriptorExtensionId = dd.Id }
            : n;

    private static bool AllowsMixed(SdpSession offer) =>
        offer.Attributes.Any(a => a.Name == "extmap-allow-mixed") || offer.Media.Any(m => m.HasAttribute("extmap-allow-mixed"));

    private static bool TryFinish(SdpSession offer, SdpLocalTransport local, List<Decision> decisions, out SdpAnswer? answer, out string? error)
    {
        answer = null;
        var accepted = decisions.Where(d => d.IsAccepted).ToList();
        if (accepted.Count == 0)
        {
            error = "sdp: no acceptable m-section (need bundled, rtcp-mux audio/video with VP8, VP9, AV1, H.264 packetization-mode=1 or Opus in a usable direction, or a UDP/DTLS/SCTP webrtc-datachannel section)";
            return false;
        }

        var ip = local.Candidate.Address;
        var family = ip.AddressFamily == AddressFamily.InterNetworkV6 ? "IP6" : "IP4";
        var sb = new StringBuilder(2048);
        var sessionId = BitConverter.ToUInt64(Guid.NewGuid().ToByteArray(), 0) >> 1;
        Line(sb, "v=0");
        Line(sb, $"o=- {sessionId} 2 IN {family} {ip}");
        Line(sb, "s=-");
        Line(sb, "t=0 0");
        Line(sb, "a=ice-lite");
        Line(sb, "a=group:BUNDLE " + string.Join(' ', accepted.Select(d => d.Offer.Mid)));
        Line(sb, "a=msid-semantic: WMS *");
        if (AllowsMixed(offer))
        {
            Line(sb, "a=extmap-allow-mixed");
        }

        foreach (var d in decisions)
        {
            var m = d.Offer;
            if (d.DataChannel is { } channel)
            {
                Line(sb, channel.Legacy
                    ? $"m=application {local.Candidate.Port} {m.Protocol} {SdpDataChannelMedia.DefaultSctpPort}"
                    : $"m=application {local.Candidate.Port} {m.Protocol} webrtc-datachannel");
                Line(sb, $"c=IN {family} {ip}");
                Line(sb, $"a=mid:{m.Mid}");
                Line(sb, $"a=ice-ufrag:{local.IceUfrag}");
                Line(sb, $"a=ice-pwd:{local.IcePwd}");
                Line(sb, $"a=fingerprint:{local.Fingerprint}");
                Line(sb, "a=setup:passive");
                Line(sb, channel.Legacy
                    ? $"a=sctpmap:{SdpDataChannelMedia.DefaultSctpPort} webrtc-datachannel 1024"
                    : $"a=sctp-port:{SdpDataChannelMedia.DefaultSctpPort}");
                Line(sb, $"a=max-message-size:{SdpDataChannelMedia.LocalMaxMessageSize}");
                Line(sb, $"a=candidate:1 1 udp {HostPriority} {ip} {local.Candidate.Port} typ host");
                TcpCandidate(sb, local);
                Line(sb, "a=end-of-candidates");
                continue;
            }

            if (d.Media is null)
            {
                // A rejected m-section keeps its place and mid (RFC 8829 §5.3.1).
                Line(sb, $"m={m.Kind} 0 {m.Protocol} {(m.Formats.Count > 0 ? string.Join(' ', m.Formats) : "0")}");
                Line(sb, $"c=IN {family} 0.0.0.0");
                Line(sb, $"a=mid:{m.Mid}");
                Line(sb, "a=inactive");
                continue;
            }

            var n = d.Media;
            var codec = n.Codec;
            Line(sb, $"m={m.Kind} {local.Candidate.Port} {m.Protocol} {codec.PayloadType}{RtxFormat(n)}");
            Line(sb, $"c=IN {family} {ip}");
            Line(sb, $"a=mid:{m.Mid}");
            Line(sb, $"a=ice-ufrag:{local.IceUfrag}");
            Line(sb, $"a=ice-pwd:{local.IcePwd}");
            Line(sb, $"a=fingerprint:{local.Fingerprint}");
            Line(sb, "a=setup:passive");
            Line(sb, "a=" + d.Direction.ToSdp());
            Line(sb, "a=rtcp-mux");
            if (m.RtcpRsize)
            {
                Line(sb, "a=rtcp-rsize");
            }

            // playout-delay: only what we send, on video towards a viewer (the relay writes it; a publisher's is not read).
            foreach (var ext in m.ExtMaps.Where(e => ((EchoedExtensions.Contains(e.Uri) || (n.Rids.Count > 0 && SimulcastExtensions.Contains(e.Uri)))
                    && (e.Uri != SdpExtMap.AudioLevel || m.Kind == "audio")
                    && (e.Uri != SdpExtMap.PlayoutDelay || (m.Kind == "video" && d.Track is not null)))
                || (e.Uri == SdpExtMap.DependencyDescriptor && e.Id == n.DependencyDescriptorExtensionId)))
            {
                Line(sb, $"a=extmap:{ext.Id} {ext.Uri}");
            }

            Line(sb, codec.Channels > 1
                ? $"a=rtpmap:{codec.PayloadType} {codec.EncodingName}/{codec.ClockRate}/{codec.Channels}"
                : $"a=rtpmap:{codec.PayloadType} {codec.EncodingName}/{codec.ClockRate}");
            if (!string.IsNullOrEmpty(codec.Fmtp))
            {
                Line(sb, $"a=fmtp:{codec.PayloadType} {codec.Fmtp}");
            }

            foreach (var fb in codec.Feedback)
            {
                Line(sb, $"a=rtcp-fb:{codec.PayloadType} {fb}");
            }

            RtxLines(sb, n);

            // Simulcast (RFC 8853 §5.3): the answerer receives the offered streams, one "recv" RID each.
            foreach (var rid in n.Rids)
            {
                Line(sb, $"a=rid:{rid} recv");
            }

            if (n.Rids.Count > 0)
            {
                Line(sb, "a=simulcast:recv " + string.Join(';', n.Rids));
            }

            if (d.Track is { } track)
            {
                Line(sb, $"a=msid:{track.StreamId} {track.TrackId}");
                if (n.LocalRtxSsrc is { } rtxSsrc)
                {
                    Line(sb, $"a=ssrc-group:FID {track.Ssrc} {rtxSsrc}");
                }

                Line(sb, $"a=ssrc:{track.Ssrc} cname:{track.Cname}");
                Line(sb, $"a=ssrc:{track.Ssrc} msid:{track.StreamId} {track.TrackId}");
                if (n.LocalRtxSsrc is { } rtxSsrcLines)
                {
                    // After the media SSRC's lines: aiortc takes the first announced SSRC as the media one.
                    Line(sb, $"a=ssrc:{rtxSsrcLines} cname:{track.Cname}");
                    Line(sb, $"a=ssrc:{rtxSsrcLines} msid:{track.StreamId} {track.TrackId}");
                }
            }

            Line(sb, $"a=candidate:1 1 udp {HostPriority} {ip} {local.Candidate.Port} typ host");
            TcpCandidate(sb, local);
            Line(sb, "a=end-of-candidates");
        }

        answer = new SdpAnswer(sb.ToString(), accepted.Where(d => d.Media is not null).Select(d => d.Media!).ToList())
        {
            DataChannel = accepted.Select(d => d.DataChannel).FirstOrDefault(c => c is not null),
            TransportMid = accepted[0].Offer.Mid!,
        };
        error = null;
        return true;
    }

    // RFC 6544: the passive TCP candidate on the same address, ranked below the UDP one (IceCandidate.HostTcpPassivePriority).
    private static void TcpCandidate(StringBuilder sb, SdpLocalTransport local)
    {
        if (local.TcpPort is { } port)
        {
            Line(sb, "a=" + Ice.IceCandidate.HostTcpPassive(new System.Net.IPEndPoint(local.Candidate.Address, port)));
        }
    }

    private static void Line(StringBuilder sb, string line) => sb.Append(line).Append("\r\n");

    private sealed record Decision(SdpMedia Offer, SdpNegotiatedMedia? Media, SdpDirection Direction, SdpEgressTrack? Track)
    {
        public SdpDataChannelMedia? DataChannel { get; init; }

        public bool IsAccepted => Media is not null || DataChannel is not null;

        public static Decision Reject(SdpMedia offer) => new(offer, null, SdpDirection.Inactive, null);
    }
}

namespace Lilium.Testing.WebRtc;

/// <summary>Offers for HTTP-level tests (shaped like aiortc's and Chrome's; the ICE/DTLS values are placeholders).</summary>
public static class TestOffers
{
    public const string Fingerprint = "sha-256 2F:68:81:3A:0E:A4:ED:73:AE:94:0E:7A:8F:68:8C:86:92:80:EA:05:A4:5E:AA:B0:01:51:AE:A6:5A:69:1C:D3";

    public static string Publisher(string fingerprint = Fingerprint) => $"""
        v=0
        o=- 4004334428 4004334428 IN IP4 0.0.0.0
        s=-
        t=0 0
        a=group:BUNDLE 0 1
        a=msid-semantic:WMS *
        m=video 9 UDP/TLS/RTP/SAVPF 97 98
        c=IN IP4 0.0.0.0
        a=sendonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=mid:0
        a=msid:stream video
        a=rtcp-mux
        a=ssrc:3434957552 cname:test
        a=rtpmap:97 VP8/90000
        a=rtcp-fb:97 nack
        a=rtcp-fb:97 nack pli
        a=rtpmap:98 rtx/90000
        a=fmtp:98 apt=97
        a=ice-ufrag:oGiI
        a=ice-pwd:GNInPXMd3a63snFKjkSxlZ
        a=fingerprint:{fingerprint}
        a=setup:actpass
        m=audio 9 UDP/TLS/RTP/SAVPF 96
        c=IN IP4 0.0.0.0
        a=sendonly
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
        a=mid:1
        a=msid:stream audio
        a=rtcp-mux
        a=ssrc:2487031246 cname:test
        a=rtpmap:96 opus/48000/2
        a=ice-ufrag:oGiI
        a=ice-pwd:GNInPXMd3a63snFKjkSxlZ
        a=fingerprint:{fingerprint}
        a=setup:actpass

        """.Replace("\n", "\r\n", StringComparison.Ordinal);

    public static string Viewer(string fingerprint = Fingerprint) => Publisher(fingerprint)
        .Replace("a=sendonly", "a=recvonly", StringComparison.Ordinal)
        .Replace("a=ssrc:3434957552 cname:test\r\n", string.Empty, StringComparison.Ordinal)
        .Replace("a=ssrc:2487031246 cname:test\r\n", string.Empty, StringComparison.Ordinal);

    /// <summary>The offer without its <c>rtx</c> format: resends come back on the media SSRC.</summary>
    public static string WithoutRtx(string offer) => offer
        .Replace("SAVPF 97 98\r\n", "SAVPF 97\r\n", StringComparison.Ordinal)
        .Replace("a=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n", string.Empty, StringComparison.Ordinal);

    /// <summary>
    /// The offer with transport-wide CC as Chromium offers it: the sequence number extension (id 3) in every section and
    /// <c>a=rtcp-fb:97 transport-cc</c> for the video codec.
    /// </summary>
    public static string WithTransportCc(string offer) => offer
        .Replace("a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\n",
            "a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n", StringComparison.Ordinal)
        .Replace("a=rtcp-fb:97 nack pli\r\n", "a=rtcp-fb:97 nack pli\r\na=rtcp-fb:97 transport-cc\r\n", StringComparison.Ordinal);

    /// <summary>
    /// The publisher offer with simulcast as Chromium offers it: the RID and repaired-RID extensions (ids 4 and 5), three
    /// <c>a=rid:… send</c> lines (low <c>q</c>, medium <c>h</c>, full <c>f</c>), <c>a=simulcast:send q;h;f</c>, and no
    /// video SSRC (the layers are told apart by RID).
    /// </summary>
    public static string WithSimulcast(string offer) => offer
        .Replace("a=mid:0\r\n",
            "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\na=extmap:5 urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\na=mid:0\r\n", StringComparison.Ordinal)
        .Replace("a=ssrc:3434957552 cname:test\r\n", string.Empty, StringComparison.Ordinal)
        .Replace("a=fmtp:98 apt=97\r\n", "a=fmtp:98 apt=97\r\na=rid:q send\r\na=rid:h send\r\na=rid:f send\r\na=simulcast:send q;h;f\r\n", StringComparison.Ordinal);
}

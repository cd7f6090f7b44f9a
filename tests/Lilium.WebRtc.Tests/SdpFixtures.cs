namespace Lilium.WebRtc.Tests;

/// <summary>Offers captured from real peers, used by the SDP tests.</summary>
internal static class SdpFixtures
{
    /// <summary>aiortc 1.4 (Debian python3-aiortc) publishing VP8/H.264 video and Opus audio: sendonly, BUNDLE offered, per-m-section ICE credentials.</summary>
    public const string AiortcPublisherOffer = """
v=0
o=- 4004334450 4004334450 IN IP4 0.0.0.0
s=-
t=0 0
a=group:BUNDLE 0 1
a=msid-semantic:WMS *
m=video 47620 UDP/TLS/RTP/SAVPF 97 98 99 100 101 102
c=IN IP4 192.0.2.2
a=sendonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=mid:0
a=msid:db160af0-d874-43fd-a6d4-8d6aa0757108 af5cdf17-8655-4a24-8757-fddd0277b119
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc-group:FID 3572150876 177863730
a=ssrc:3572150876 cname:9193fdb4-4228-4d4d-9d41-7b6744710e8f
a=ssrc:177863730 cname:9193fdb4-4228-4d4d-9d41-7b6744710e8f
a=rtpmap:97 VP8/90000
a=rtcp-fb:97 nack
a=rtcp-fb:97 nack pli
a=rtcp-fb:97 goog-remb
a=rtpmap:98 rtx/90000
a=fmtp:98 apt=97
a=rtpmap:99 H264/90000
a=rtcp-fb:99 nack
a=rtcp-fb:99 nack pli
a=rtcp-fb:99 goog-remb
a=fmtp:99 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:100 rtx/90000
a=fmtp:100 apt=99
a=rtpmap:101 H264/90000
a=rtcp-fb:101 nack
a=rtcp-fb:101 nack pli
a=rtcp-fb:101 goog-remb
a=fmtp:101 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f
a=rtpmap:102 rtx/90000
a=fmtp:102 apt=101
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 47620 typ host
a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 58259 typ host
a=end-of-candidates
a=ice-ufrag:CLn0
a=ice-pwd:Oypnncx7mOG2N7CUp0MEoK
a=fingerprint:sha-256 C0:23:B9:E0:63:D7:DC:8F:DF:96:82:7B:3E:3E:F0:F3:33:0D:EC:01:F5:D8:9A:74:2C:06:BD:C0:B9:60:12:4E
a=setup:actpass
m=audio 51119 UDP/TLS/RTP/SAVPF 96 0 8
c=IN IP4 192.0.2.2
a=sendonly
a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid
a=extmap:2 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=mid:1
a=msid:db160af0-d874-43fd-a6d4-8d6aa0757108 b135a032-ad5a-476f-8f5c-e62fc894d92a
a=rtcp:9 IN IP4 0.0.0.0
a=rtcp-mux
a=ssrc:2841545562 cname:9193fdb4-4228-4d4d-9d41-7b6744710e8f
a=rtpmap:96 opus/48000/2
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=candidate:f957a2332b1715da3b0ef8ba684454eb 1 udp 2130706431 192.0.2.2 51119 typ host
a=candidate:d0bcf3d9c29a2bc887618212a1623bfa 1 udp 2130706431 fd00::2 43101 typ host
a=end-of-candidates
a=ice-ufrag:FpEE
a=ice-pwd:tC8gruJIt51V8jw48dWbBp
a=fingerprint:sha-256 C0:23:B9:E0:63:D7:DC:8F:DF:96:82:7B:3E:3E:F0:F3:33:0D:EC:01:F5:D8:9A:74:2C:06:BD:C0:B9:60:12:4E
a=setup:actpass
""";

    /// <summary>A Chrome-shaped receive-only offer (WHEP player): audio first, rtcp-rsize, transport-cc, RED/G722 we do not carry.</summary>
    public const string ChromeViewerOffer = """
v=0
o=- 4611731400430051336 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0 1
a=extmap-allow-mixed
a=msid-semantic: WMS
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Wf3r
a=ice-pwd:Z1pN0n3y2C2P8r7lsvTb4Y1q
a=ice-options:trickle
a=fingerprint:sha-256 8B:87:09:8A:5D:C2:F3:33:EF:C5:B1:F6:84:3A:3D:D6:A3:E2:9C:17:4C:E7:46:3B:1B:CE:84:98:DD:8E:AF:7B
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:63 red/48000/2
a=fmtp:63 111/111
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:126 telephone-event/8000
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:Wf3r
a=ice-pwd:Z1pN0n3y2C2P8r7lsvTb4Y1q
a=ice-options:trickle
a=fingerprint:sha-256 8B:87:09:8A:5D:C2:F3:33:EF:C5:B1:F6:84:3A:3D:D6:A3:E2:9C:17:4C:E7:46:3B:1B:CE:84:98:DD:8E:AF:7B
a=setup:actpass
a=mid:1
a=extmap:14 urn:ietf:params:rtp-hdrext:toffset
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid
a=recvonly
a=rtcp-mux
a=rtcp-rsize
a=rtpmap:96 VP8/90000
a=rtcp-fb:96 goog-remb
a=rtcp-fb:96 transport-cc
a=rtcp-fb:96 ccm fir
a=rtcp-fb:96 nack
a=rtcp-fb:96 nack pli
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=rtpmap:102 H264/90000
a=rtcp-fb:102 goog-remb
a=rtcp-fb:102 transport-cc
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f
a=rtpmap:103 rtx/90000
a=fmtp:103 apt=102
""";
}

using System.Text.Json;
using Lilium.Auth;
using Lilium.Relay;
using Lilium.Relay.Media;
using Lilium.WebRtc.Rtp;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Web.Tests;

/// <summary>
/// Codecs through the relay with real Chromium peers on loopback (issue 25 items 3–4): a Chromium page publishes a
/// moving canvas through WHIP with one codec preferred (<c>setCodecPreferences</c>: VP9 with scalabilityMode L1T3, H.264
/// constrained baseline with packetization-mode 1, AV1 with L1T3), and a second Chromium context that joins seconds
/// later — so it binds on a keyframe the relay recognised in that codec — watches through WHEP with its default offer
/// and must decode frames of that codec (inbound-rtp's codec mimeType). Debian's Chromium 156 encodes all of them in
/// software (<c>RTCRtpSender.getCapabilities('video')</c>: VP8, H.264 42001f/42e01f/4d001f, AV1 profile 0, VP9 profile 0/2).
/// </summary>
[Trait("Category", "Browser")]
public sealed class CodecBrowserTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task Vp9_with_l1t3_published_by_chromium_decodes_in_chromium()
    {
        await using var run = await PublishAndWatchAsync("video/VP9", "profile-id=0", "L1T3");
    }

    [Fact]
    public async Task H264_published_by_chromium_decodes_in_chromium_and_a_viewer_without_it_gets_a_clear_error()
    {
        await using var run = await PublishAndWatchAsync("video/H264", "packetization-mode=1;profile-level-id=42e01f", null);

        // A viewer that only takes VP8 cannot show this stream: the relay says so (RFC 9457, code codec-unsupported).
        var refused = await run.OpenAsync();
        var result = await refused.EvaluateAsync<JsonElement>("([session, grant]) => window.watch(session, grant, 'video/VP8', false)",
            new object[] { run.Session.ToString(), run.Grant(RelayRole.Viewer) });
        output.WriteLine($"VP8-only viewer: {result}");
        Assert.Equal(422, result.GetProperty("status").GetInt32());
        using var problem = JsonDocument.Parse(result.GetProperty("body").GetString()!);
        Assert.Equal("codec-unsupported", problem.RootElement.GetProperty("code").GetString());
        Assert.Contains("H264", problem.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Av1_with_l1t3_published_by_chromium_decodes_in_chromium()
    {
        await using var run = await PublishAndWatchAsync("video/AV1", "profile=0", "L1T3");
    }

    private async Task<RelayBrowserRun> PublishAndWatchAsync(string mimeType, string fmtp, string? scalabilityMode)
    {
        var run = await StartAsync();
        try
        {
            var host = await run.OpenAsync();
            var published = await host.EvaluateAsync<JsonElement>("([session, grant, mime, fmtp, mode]) => window.publish(session, grant, mime, fmtp, mode)",
                new object?[] { run.Session.ToString(), run.Grant(RelayRole.Host), mimeType, fmtp, scalabilityMode });
            output.WriteLine($"publish: {published.GetProperty("status")}; answer video section:\n{published.GetProperty("video")}");
            Assert.Equal(201, published.GetProperty("status").GetInt32());

            // Join late: the publisher has been sending for a while, so the viewer binds on a keyframe the relay found.
            await Task.Delay(3000);
            var viewer = await run.OpenAsync();
            var watched = await viewer.EvaluateAsync<JsonElement>("([session, grant, descriptor]) => window.watch(session, grant, null, descriptor)",
                new object[] { run.Session.ToString(), run.Grant(RelayRole.Viewer), scalabilityMode is not null });
            output.WriteLine($"watch: {watched.GetProperty("status")}; answer video section:\n{watched.GetProperty("video")}");
            Assert.Equal(201, watched.GetProperty("status").GetInt32());
            if (scalabilityMode is not null)
            {
                // Chromium offers the dependency descriptor when it sends SVC; a viewer that asks for it gets the publisher's
                // descriptors passed through (the two-byte form when they carry the template structure).
                Assert.Contains("dependency-descriptor", published.GetProperty("video").GetString(), StringComparison.Ordinal);
                Assert.Contains("dependency-descriptor", watched.GetProperty("video").GetString(), StringComparison.Ordinal);
            }

            JsonElement stats = default;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
                stats = await viewer.EvaluateAsync<JsonElement>("() => window.inbound()");
                if (stats.GetProperty("framesDecoded").GetInt32() >= 30)
                {
                    break;
                }
            }

            var sent = await host.EvaluateAsync<JsonElement>("() => window.outbound()");
            output.WriteLine($"publisher {sent}");
            output.WriteLine($"viewer {stats}");
            Assert.Equal(mimeType, sent.GetProperty("mimeType").GetString(), ignoreCase: true);
            if (scalabilityMode is not null)
            {
                Assert.Equal(scalabilityMode, sent.GetProperty("scalabilityMode").GetString());
            }

            Assert.Equal(mimeType, stats.GetProperty("mimeType").GetString(), ignoreCase: true);
            Assert.True(stats.GetProperty("framesDecoded").GetInt32() >= 30, $"the viewer decoded {stats.GetProperty("framesDecoded")} frames");
            if (scalabilityMode is not null)
            {
                // Chromium decodes without the descriptor too (it falls back to the payload's own layer information), so
                // the pass-through is checked on the wire: the RTP headers (clear in SRTP) the relay sent the viewer.
                var (withDescriptor, twoByte) = Assert.IsType<DescriptorRecorder>(run.Services.GetRequiredService<IPacketSender>()).Counts;
                output.WriteLine($"relay → viewer: {withDescriptor} packets with a dependency descriptor, {twoByte} in the two-byte form");
                Assert.True(withDescriptor >= 30, $"{withDescriptor} packets carried a dependency descriptor");
                Assert.True(twoByte >= 1, "no descriptor with its template structure (two-byte form) reached the viewer");
            }
            return run;
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }
    }

    private static Task<RelayBrowserRun> StartAsync() => RelayBrowserRun.StartAsync(new RelayBrowserOptions
    {
        PageName = "codec-test",
        Page = Page,
        CreateRelay = (args, configure) => RelayApp.CreateAsync(args, configure,
            services => services.AddSingleton<IPacketSender>(sp => new DescriptorRecorder(sp.GetRequiredService<MediaSocket>().Sender))),
    });

    /// <summary>
    /// Passes everything on; counts the RTP packets sent to viewers that carry the dependency descriptor at the id their
    /// answer negotiated, and how many of those use the two-byte extension form. Media loop only (as Commit is).
    /// </summary>
    internal sealed class DescriptorRecorder(IPacketSender inner) : IPacketSender
    {
        private long _withDescriptor;
        private long _twoByte;

        public (long WithDescriptor, long TwoByte) Counts => (Interlocked.Read(ref _withDescriptor), Interlocked.Read(ref _twoByte));

        public Span<byte> Reserve() => inner.Reserve();

        public void Commit(MediaPeer peer, PeerPath path, int length)
        {
            var packet = inner.Reserve()[..length]; // the slot the caller wrote (nothing was committed since)
            if (peer.Role == Lilium.Relay.Sessions.PeerRole.Subscriber && peer.Tracks.FirstOrDefault(t => t.Kind == "video") is { DependencyDescriptorExtensionId: > 0 } track
                && RtpHeader.TryParse(packet, out var header) && RtpExtensions.TryGet(packet, header, (byte)track.DependencyDescriptorExtensionId, out _))
            {
                Interlocked.Increment(ref _withDescriptor);
                if (header.ExtensionProfile != RtpExtensions.OneByteProfile)
                {
                    Interlocked.Increment(ref _twoByte);
                }
            }

            inner.Commit(peer, path, length);
        }

        public void Flush() => inner.Flush();

        public void Send(PeerPath path, ReadOnlySpan<byte> packet) => inner.Send(path, packet);

        public void SendDatagram(System.Net.IPEndPoint remote, ReadOnlySpan<byte> datagram) => inner.SendDatagram(remote, datagram);
    }

    // The host draws a 640×360 canvas 30 times a second (moving bars and a counter) and publishes it with one codec
    // preferred; publish/watch return the HTTP status and the answer's video section (or the problem body): exchange does
    // what the page's shared negotiate does and returns those too.
    private static readonly string Page = RelayBrowserRun.Page("codecs", 640, 360, """
        const videoSection = sdp => { const at = sdp.indexOf('m=video'); if (at < 0) return ''; const end = sdp.indexOf('m=', at + 2); return sdp.slice(at, end < 0 ? undefined : end); };
        async function exchange(path, grant) {
          const offer = await pc.createOffer();
          await pc.setLocalDescription(offer);
          const response = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + grant }, body: offer.sdp });
          const body = await response.text();
          if (response.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: body });
          return { status: response.status, body, video: response.status === 201 ? videoSection(body) : '', offer: videoSection(offer.sdp).split('\r\n').filter(l => l.includes('extmap') || l.includes('allow-mixed')).join('\n') };
        }
        const only = (codecs, mime, fmtp) => codecs.filter(c => c.mimeType.toLowerCase() === mime.toLowerCase() && (!fmtp || (c.sdpFmtpLine || '').includes(fmtp)));
        window.publish = async (session, grant, mime, fmtp, mode) => {
          const canvas = document.querySelector('canvas'), g = canvas.getContext('2d');
          let n = 0;
          setInterval(() => {
            for (let i = 0; i < 16; i++) { g.fillStyle = `hsl(${(i * 23 + n * 3) % 360} 70% 50%)`; g.fillRect(i * 40, 0, 40, 360); }
            g.fillStyle = '#fff'; g.fillRect(40 + (n * 5) % 500, 140, 100, 80); g.fillStyle = '#000'; g.font = '48px sans-serif'; g.fillText(String(n++), 50 + (n * 5) % 500, 195);
          }, 33);
          pc = new RTCPeerConnection();
          const track = canvas.captureStream(30).getVideoTracks()[0];
          const init = { direction: 'sendonly' };
          if (mode) init.sendEncodings = [{ scalabilityMode: mode }];
          const transceiver = pc.addTransceiver(track, init);
          const codecs = only(RTCRtpSender.getCapabilities('video').codecs, mime, fmtp);
          if (codecs.length === 0) return { status: -1, body: 'this browser cannot send ' + mime + ' ' + fmtp, video: '' };
          transceiver.setCodecPreferences(codecs);
          return exchange('/whip/' + session, grant);
        };
        window.watch = async (session, grant, mime, descriptor) => {
          pc = new RTCPeerConnection();
          const transceiver = pc.addTransceiver('video', { direction: 'recvonly' });
          if (mime) transceiver.setCodecPreferences(only(RTCRtpReceiver.getCapabilities('video').codecs, mime, null));
          if (descriptor) {
            // A receiving transceiver does not offer the dependency descriptor by default; ask for it (as an SVC-aware client would).
            const extensions = transceiver.getHeaderExtensionsToNegotiate();
            extensions.forEach(e => { if (e.uri.includes('dependency-descriptor')) e.direction = 'sendrecv'; });
            transceiver.setHeaderExtensionsToNegotiate(extensions);
          }
          pc.ontrack = e => { document.querySelector('video').srcObject = new MediaStream([e.track]); };
          return exchange('/whep/' + session, grant);
        };
        async function rtp(type) {
          const report = await pc.getStats();
          const r = { framesDecoded: 0, framesEncoded: 0, mimeType: '', scalabilityMode: '' };
          report.forEach(s => {
            if (s.type === type && s.kind === 'video') {
              r.framesDecoded = s.framesDecoded || 0; r.framesEncoded = s.framesEncoded || 0; r.scalabilityMode = s.scalabilityMode || '';
              r.encoder = s.encoderImplementation || ''; r.decoder = s.decoderImplementation || ''; r.keyFramesDecoded = s.keyFramesDecoded || 0;
              r.pliCount = s.pliCount || 0; r.packetsLost = s.packetsLost || 0; r.frameWidth = s.frameWidth || 0;
              const codec = s.codecId && report.get(s.codecId);
              if (codec) { r.mimeType = codec.mimeType; r.sdpFmtpLine = codec.sdpFmtpLine || ''; }
            }
          });
          return r;
        }
        window.inbound = () => rtp('inbound-rtp');
        window.outbound = () => rtp('outbound-rtp');
        """);
}

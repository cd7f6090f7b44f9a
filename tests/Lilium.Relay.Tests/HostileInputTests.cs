using System.Net;
using System.Net.Sockets;
using Lilium.Auth;
using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// Hostile datagrams — random, mutated, of every RFC 7983 class — from unknown addresses and from a
/// peer that completed ICE and DTLS, while aiortc streams through another session on the same socket.
/// </summary>
[Trait("Category", "Interop")]
public sealed class HostileInputTests(RelayFixture relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Our_ice_and_dtls_client_completes_against_the_relay()
    {
        var (_, peer, socket, _) = await SyntheticPeer.ConnectAsync(relay);
        using (socket)
        {
            Assert.Equal(PeerState.Secured, peer.State);
            Assert.Equal(socket.LocalEndPoint, peer.Endpoint);
        }
    }

    [Fact]
    public async Task Hostile_datagrams_do_not_crash_the_relay_nor_disturb_a_live_session()
    {
        // A live aiortc session that must keep flowing.
        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        await relay.WaitForSecuredPublisherAsync(session, TimeSpan.FromSeconds(20));
        var viewer = AiortcProcesses.ViewAsync(relay, session, seconds: 15, minVideo: 110);

        // A synthetic peer that completed ICE + DTLS: its address is "known" to the relay.
        var (_, knownPeer, known, password) = await SyntheticPeer.ConnectAsync(relay);
        using (known)
        {
            using var stranger = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            stranger.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var droppedBefore = relay.Metrics.DroppedCount;
            var random = new Random(4242);
            var validStun = StunTestClient.BindingRequest($"{knownPeer.LocalUfrag}:oGiI", password, useCandidate: false, out _);
            var sent = 0;
            for (var i = 0; i < 6000; i++)
            {
                var datagram = Hostile(random, validStun);
                var from = (i & 1) == 0 ? known : stranger;
                from.SendTo(datagram, relay.MediaEndPoint);
                sent++;
                if (i % 200 == 0)
                {
                    await Task.Delay(5); // stay under the socket buffer; this is a correctness test, not a flood test
                }
            }

            output.WriteLine($"sent {sent} hostile datagrams; relay dropped {relay.Metrics.DroppedCount - droppedBefore}");
            var result = await viewer;
            output.WriteLine(result.Json);
            Assert.True(result.VideoFrames >= 100, $"the live session was disturbed: {result}");
            Assert.True(result.AudioFrames > 0, result.ToString());

            Assert.True(relay.Metrics.DroppedCount - droppedBefore > sent / 4);
            // Garbage from a peer's own address tears it down only through the DTLS bad-record budget (about 500 of the
            // datagrams from it are DTLS-class junk; past 64 failed records the relay closes it, docs/security.md): STUN,
            // RTP/RTCP and the other ranges never do. The reason shows which one closed it.
            Assert.True(knownPeer.IsClosed, "DTLS junk past the bad-record budget must close the peer");
            Assert.Contains("records failed", await knownPeer.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
            using var health = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    private static byte[] Hostile(Random random, byte[] validStun)
    {
        switch (random.Next(6))
        {
            case 0: // mutated valid STUN check
                var stun = (byte[])validStun.Clone();
                for (var k = random.Next(1, 6); k > 0; k--)
                {
                    stun[random.Next(stun.Length)] ^= (byte)random.Next(1, 256);
                }

                return random.Next(4) == 0 ? stun[..random.Next(1, stun.Length)] : stun;
            default:
                var junk = new byte[random.Next(1, 1400)];
                random.NextBytes(junk);
                junk[0] = random.Next(5) switch
                {
                    0 => (byte)random.Next(0, 4),     // STUN
                    1 => (byte)random.Next(20, 64),   // DTLS
                    2 => (byte)(0x80 | random.Next(0, 64)), // RTP / RTCP (V=2)
                    3 => (byte)random.Next(64, 128),  // TURN channel / unassigned
                    _ => (byte)random.Next(192, 256), // dropped range
                };
                if (junk[0] >= 0x80 && junk.Length > 1 && random.Next(2) == 0)
                {
                    junk[1] = (byte)random.Next(192, 224); // RTCP packet types
                }

                return junk;
        }
    }

}

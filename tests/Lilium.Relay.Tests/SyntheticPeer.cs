using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Tests;

/// <summary>A peer driven by the test itself: WHIP offer, our STUN checks, our DTLS client role.</summary>
internal static class SyntheticPeer
{
    /// <summary>WHIP-publishes a synthetic offer, runs ICE with our STUN checks and DTLS with our client role.</summary>
    public static async Task<(Guid Session, MediaPeer Peer, Socket Socket, string Password)> ConnectAsync(RelayFixture relay)
    {
        var c = await ConnectAsync(relay, Guid.NewGuid(), RelayRole.Host);
        return (c.Session, c.Peer, c.Socket, c.Password);
    }

    /// <summary>Connects a synthetic publisher (Host → WHIP) or subscriber (Viewer → WHEP) and returns its SRTP keys.</summary>
    public static async Task<Connected> ConnectAsync(RelayFixture relay, Guid session, RelayRole role)
    {
        var certificate = DtlsCertificate.Generate();
        var offer = role == RelayRole.Host ? TestOffers.Publisher(certificate.Fingerprint.ToString()) : TestOffers.Viewer(certificate.Fingerprint.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Post, role == RelayRole.Host ? relay.Whip(session) : relay.Whep(session))
        {
            Content = new StringContent(offer, Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", relay.Grant(session, role));
        using var response = await relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(SdpParser.TryParse(await response.Content.ReadAsStringAsync(), out var answer, out _));
        var ufrag = answer!.Media[0].IceUfrag!;
        var password = answer.Media[0].IcePwd!;

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[2048];

        // Wrong password: 401 error response without integrity.
        socket.SendTo(StunTestClient.BindingRequest($"{ufrag}:oGiI", "wrong-password-wrong-password", true, out _), relay.MediaEndPoint);
        var n = await ReceiveAsync(socket, buffer);
        Assert.Equal(0x0111, StunTestClient.ReadResponse(buffer.AsSpan(0, n), password).Type);

        socket.SendTo(StunTestClient.BindingRequest($"{ufrag}:oGiI", password, true, out _), relay.MediaEndPoint);
        n = await ReceiveAsync(socket, buffer);
        var (mapped, integrity, type) = StunTestClient.ReadResponse(buffer.AsSpan(0, n), password);
        Assert.Equal(0x0101, type);
        Assert.True(integrity);
        Assert.Equal(socket.LocalEndPoint, mapped);

        using var dtls = new DtlsConnection(DtlsRole.Client, certificate, answer.Media[0].Fingerprint!,
            d => socket.SendTo(d, SocketFlags.None, relay.MediaEndPoint), handshakeTimeout: TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            var b = new byte[2048];
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var k = await socket.ReceiveAsync(b, SocketFlags.None, stop.Token);
                    if (b[0] is >= 20 and <= 63)
                    {
                        dtls.Feed(b.AsSpan(0, k));
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var keys = await dtls.HandshakeAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(SrtpProtectionProfile.AeadAes128Gcm, keys.Profile);
        var peer = relay.Registry.FindByUfrag(ufrag)!;
        for (var i = 0; i < 50 && peer.State != PeerState.Secured; i++)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await pump;
        return new Connected(session, peer, socket, password, keys, answer);
    }

    internal sealed record Connected(Guid Session, MediaPeer Peer, Socket Socket, string Password, SrtpKeyingMaterial Keys, SdpSession Answer);

    public static async Task<int> ReceiveAsync(Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sdp;

namespace Lilium.Testing.WebRtc;

/// <summary>
/// A minimal client-role WebRTC peer for tests and benchmarks against a relay (in process or another process):
/// WHIP/WHEP offer, ICE checks with our STUN client (a wrong password first, which must get a 401), and our DTLS
/// client role; returns the UDP socket and the SRTP keys.
/// </summary>
public static class RelayTestPeer
{
    public static async Task<Connected> ConnectAsync(HttpClient http, Uri endpoint, string grant, IPEndPoint media, bool publisher)
    {
        var certificate = DtlsCertificate.Generate();
        var offer = publisher ? TestOffers.Publisher(certificate.Fingerprint.ToString()) : TestOffers.Viewer(certificate.Fingerprint.ToString());
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(offer, Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.True(SdpParser.TryParse(await response.Content.ReadAsStringAsync(), out var answer, out _));
        var ufrag = answer!.Media[0].IceUfrag!;
        var password = answer.Media[0].IcePwd!;

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var buffer = new byte[2048];

        // Wrong password: 401 error response without integrity.
        socket.SendTo(StunTestClient.BindingRequest($"{ufrag}:oGiI", "wrong-password-wrong-password", true, out _), media);
        var n = await ReceiveAsync(socket, buffer);
        Assert.Equal(0x0111, StunTestClient.ReadResponse(buffer.AsSpan(0, n), password).Type);

        socket.SendTo(StunTestClient.BindingRequest($"{ufrag}:oGiI", password, true, out _), media);
        n = await ReceiveAsync(socket, buffer);
        var (mapped, integrity, type) = StunTestClient.ReadResponse(buffer.AsSpan(0, n), password);
        Assert.Equal(0x0101, type);
        Assert.True(integrity);
        Assert.Equal(socket.LocalEndPoint, mapped);

        using var dtls = new DtlsConnection(DtlsRole.Client, certificate, answer.Media[0].Fingerprint!,
            d => socket.SendTo(d, SocketFlags.None, media), handshakeTimeout: TimeSpan.FromSeconds(10));
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
        await stop.CancelAsync();
        await pump;
        return new Connected(socket, ufrag, password, keys, answer);
    }

    public static async Task<int> ReceiveAsync(Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
    }

    public sealed record Connected(Socket Socket, string Ufrag, string Password, SrtpKeyingMaterial Keys, SdpSession Answer);
}

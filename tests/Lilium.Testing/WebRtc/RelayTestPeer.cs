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
    /// <param name="editOffer">Changes the offer before it is sent (e.g. <see cref="TestOffers.WithTransportCc"/>).</param>
    public static async Task<Connected> ConnectAsync(HttpClient http, Uri endpoint, string grant, IPEndPoint media, bool publisher, Func<string, string>? editOffer = null)
    {
        var certificate = DtlsCertificate.Generate();
        var offer = publisher ? TestOffers.Publisher(certificate.Fingerprint.ToString()) : TestOffers.Viewer(certificate.Fingerprint.ToString());
        offer = editOffer?.Invoke(offer) ?? offer;
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

        // SRTP the relay sends as soon as it has finished its side of the handshake can reach the socket before ours is
        // done: the pump keeps it (bounded) instead of dropping it.
        var early = new List<byte[]>();
        var keys = await DtlsClientHandshake.RunAsync(socket, media, certificate, answer.Media[0].Fingerprint!, d =>
        {
            lock (early)
            {
                if (early.Count < 256)
                {
                    early.Add(d.ToArray());
                }
            }
        });
        Assert.Equal(SrtpProtectionProfile.AeadAes128Gcm, keys.Profile);
        lock (early)
        {
            return new Connected(socket, ufrag, password, keys, answer) { Early = [.. early] };
        }
    }

    public static async Task<int> ReceiveAsync(Socket socket, byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        return await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
    }

    public sealed record Connected(Socket Socket, string Ufrag, string Password, SrtpKeyingMaterial Keys, SdpSession Answer)
    {
        /// <summary>Non-DTLS datagrams (e.g. the relay's first SRTP) that arrived while the handshake pump was still reading.</summary>
        public IReadOnlyList<byte[]> Early { get; init; } = [];
    }
}

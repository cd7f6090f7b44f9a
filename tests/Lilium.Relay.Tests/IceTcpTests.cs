using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Lilium.Auth;
using Lilium.Relay.Media;
using Lilium.WebRtc;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Sdp;
using Microsoft.Extensions.DependencyInjection;

namespace Lilium.Relay.Tests;

/// <summary>
/// ICE-TCP on the in-process relay (RFC 6544 passive candidate, RFC 4571 framing): the answer's candidate, checks and
/// DTLS over a real TCP connection with our own client, the caps, the bind timeout, and hostile framing. Chromium over
/// ICE-TCP with UDP dropped is tests/Lilium.Web.Tests/IceTcpBrowserTests.cs.
/// </summary>
[Trait("Category", "Integration")]
public sealed class IceTcpTests : IAsyncLifetime
{
    private const int PerAddress = 4;

    private readonly RelayFixture _relay = new(o =>
    {
        o.MaxTcpConnectionsPerAddress = PerAddress;
        o.TcpBindTimeout = TimeSpan.FromSeconds(1);
    });

    private MediaSocket Media => _relay.App.Services.GetRequiredService<MediaSocket>();

    private IPEndPoint TcpEndPoint => Media.TcpEndPoint!;

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task Answer_offers_a_passive_tcp_candidate_ranked_below_udp()
    {
        var (answer, _, _, text) = await OfferWithTextAsync(Guid.NewGuid());
        var candidates = answer.Media[0].Candidates;
        var udp = Assert.Single(candidates, c => c.Transport == "udp");
        var tcp = Assert.Single(candidates, c => c.Transport == "tcp");
        Assert.Equal(TcpEndPoint.Port, tcp.Port);
        Assert.Equal(udp.Address, tcp.Address);
        Assert.True(tcp.Priority < udp.Priority, $"tcp {tcp.Priority} must rank below udp {udp.Priority}");
        Assert.Equal(IceCandidate.HostTcpPassivePriority, tcp.Priority);
        Assert.Contains($"a=candidate:2 1 tcp {IceCandidate.HostTcpPassivePriority} {tcp.Address} {tcp.Port} typ host tcptype passive\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Checks_and_dtls_over_one_tcp_connection_secure_the_peer_on_that_connection()
    {
        var certificate = DtlsCertificate.Generate();
        var (answer, ufrag, password) = await OfferAsync(Guid.NewGuid(), certificate);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(TcpEndPoint);
        var stream = client.GetStream();

        // A wrong password gets a framed 401; the right one a framed success with the connection's address mapped.
        await WriteFrameAsync(stream, StunTestClient.BindingRequest($"{ufrag}:oGiI", "wrong-password-wrong-password", true, out _));
        Assert.Equal(0x0111, StunTestClient.ReadResponse(await ReadFrameAsync(stream), password).Type);
        await WriteFrameAsync(stream, StunTestClient.BindingRequest($"{ufrag}:oGiI", password, true, out _));
        var (mapped, integrity, type) = StunTestClient.ReadResponse(await ReadFrameAsync(stream), password);
        Assert.Equal(0x0101, type);
        Assert.True(integrity);
        Assert.Equal(client.Client.LocalEndPoint, mapped);

        var peer = _relay.Registry.FindByUfrag(ufrag)!;
        Assert.NotNull(peer.Path?.Tcp);
        Assert.Equal(client.Client.LocalEndPoint, peer.Endpoint);
        Assert.Null(_relay.Registry.FindByEndpoint((IPEndPoint)client.Client.LocalEndPoint!)); // TCP paths are not UDP 5-tuples

        // Another peer's valid check on a connection that belongs to this one: no answer, and nothing moves.
        var (_, otherUfrag, otherPassword) = await OfferAsync(Guid.NewGuid());
        await WriteFrameAsync(stream, StunTestClient.BindingRequest($"{otherUfrag}:oGiI", otherPassword, true, out _));
        Assert.Null(_relay.Registry.FindByUfrag(otherUfrag)!.Path);

        // DTLS (our client role) in RFC 4571 frames on the same connection.
        var writeLock = new SemaphoreSlim(1, 1);
        using var dtls = new DtlsConnection(DtlsRole.Client, certificate, answer.Media[0].Fingerprint!, d =>
        {
            var frame = new byte[d.Length + 2];
            Assert.True(StreamFraming.TryWrite(d, frame, out _));
            writeLock.Wait();
            try
            {
                stream.Write(frame);
            }
            finally
            {
                writeLock.Release();
            }
        }, handshakeTimeout: TimeSpan.FromSeconds(10));
        using var stop = new CancellationTokenSource();
        var pump = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var frame = await ReadFrameAsync(stream, stop.Token);
                    if (PacketDemux.Classify(frame) == PacketKind.Dtls)
                    {
                        dtls.Feed(frame);
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException)
            {
            }
        });
        var keys = await dtls.HandshakeAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(SrtpProtectionProfile.AeadAes128Gcm, keys.Profile);
        for (var i = 0; i < 50 && peer.State != PeerState.Secured; i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(PeerState.Secured, peer.State);
        Assert.NotNull(peer.Path?.Tcp);

        // The client hangs up: the connection carried the peer's path, so the peer goes with it.
        await stop.CancelAsync();
        client.Close();
        await pump;
        Assert.Contains("ice-tcp", await peer.Closed.WaitAsync(TimeSpan.FromSeconds(5)));
        await WaitUntilAsync(() => Media.TcpConnectionCount == 0, "the closed connections are forgotten");
    }

    [Fact]
    public async Task Connections_beyond_the_per_address_cap_are_closed_and_silent_ones_time_out()
    {
        var clients = new List<TcpClient>();
        try
        {
            for (var i = 0; i < PerAddress; i++)
            {
                var c = new TcpClient(AddressFamily.InterNetwork);
                await c.ConnectAsync(TcpEndPoint);
                clients.Add(c);
            }

            await WaitUntilAsync(() => Media.TcpConnectionsFrom(IPAddress.Loopback) == PerAddress, "the relay holds the first four");
            var rejectedBefore = Media.TcpRejected;
            using var extra = new TcpClient(AddressFamily.InterNetwork);
            await extra.ConnectAsync(TcpEndPoint);
            Assert.Equal(0, await ReadToEndAsync(extra.GetStream(), TimeSpan.FromSeconds(5))); // closed at once
            Assert.Equal(rejectedBefore + 1, Media.TcpRejected);
            var metrics = await _relay.Metrics.RenderAsync();
            Assert.Contains($"lilium_relay_ice_tcp_connections {PerAddress}", metrics, StringComparison.Ordinal);
            Assert.Contains("lilium_relay_ice_tcp_rejected_total 1", metrics, StringComparison.Ordinal);

            // None of them sent an authenticated check: the 1 s bind timeout (swept once a second) closes all four.
            foreach (var c in clients)
            {
                Assert.Equal(0, await ReadToEndAsync(c.GetStream(), TimeSpan.FromSeconds(5)));
            }

            await WaitUntilAsync(() => Media.TcpConnectionCount == 0, "the timed-out connections are forgotten");
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }
    }

    [Fact]
    public async Task Hostile_framing_never_breaks_the_relay()
    {
        var random = new Random(6544);
        var (_, ufrag, password) = await OfferAsync(Guid.NewGuid());
        var validCheck = StunTestClient.BindingRequest($"{ufrag}:oGiI", password, false, out _);
        var droppedBefore = _relay.Metrics.DroppedCount;
        for (var round = 0; round < 60; round++)
        {
            await WaitUntilAsync(() => Media.TcpConnectionsFrom(IPAddress.Loopback) < PerAddress, "room under the per-address cap");
            using var client = new TcpClient(AddressFamily.InterNetwork);
            await client.ConnectAsync(TcpEndPoint);
            var stream = client.GetStream();
            var bytes = (round % 4) switch
            {
                0 => RandomBytes(random, random.Next(1, 3000)), // anything at all
                1 => Framed(random, validCheck, mutate: true), // framed, mutated checks of every kind
                2 => [0xFF, 0xFF, .. RandomBytes(random, 100)], // announces 65,535 bytes: over the limit, closed
                _ => [0x00, 0x00, 0x00, 0x00, 0x00, 0x14, .. RandomBytes(random, 7)], // empty frames, then a truncated one
            };
            try
            {
                await stream.WriteAsync(bytes);
                if (round % 4 == 2)
                {
                    Assert.Equal(0, await ReadToEndAsync(stream, TimeSpan.FromSeconds(5))); // the relay hung up
                }
            }
            catch (IOException)
            {
                // the relay closed first: fine
            }
        }

        Assert.True(_relay.Metrics.DroppedCount > droppedBefore);
        using var health = await _relay.Http.GetAsync(new Uri(_relay.BaseUri, "/health"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);

        // And the listener still serves a real check afterwards.
        using var good = new TcpClient(AddressFamily.InterNetwork);
        await good.ConnectAsync(TcpEndPoint);
        await WriteFrameAsync(good.GetStream(), StunTestClient.BindingRequest($"{ufrag}:oGiI", password, true, out _));
        Assert.Equal(0x0101, StunTestClient.ReadResponse(await ReadFrameAsync(good.GetStream()), password).Type);
    }

    private async Task<(SdpSession Answer, string Ufrag, string Password)> OfferAsync(Guid session, DtlsCertificate? certificate = null)
    {
        var (answer, ufrag, password, _) = await OfferWithTextAsync(session, certificate);
        return (answer, ufrag, password);
    }

    private async Task<(SdpSession Answer, string Ufrag, string Password, string Text)> OfferWithTextAsync(Guid session, DtlsCertificate? certificate = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _relay.Whip(session))
        {
            Content = new StringContent(TestOffers.Publisher((certificate ?? DtlsCertificate.Generate()).Fingerprint.ToString()), Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _relay.Grant(session, RelayRole.Host));
        using var response = await _relay.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(SdpParser.TryParse(text, out var answer, out _));
        return (answer!, answer!.Media[0].IceUfrag!, answer.Media[0].IcePwd!, text);
    }

    private static async Task WriteFrameAsync(Stream stream, byte[] payload)
    {
        var frame = new byte[payload.Length + 2];
        Assert.True(StreamFraming.TryWrite(payload, frame, out _));
        await stream.WriteAsync(frame);
    }

    private static async Task<byte[]> ReadFrameAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (!cancellationToken.CanBeCanceled)
        {
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
        }

        var header = new byte[2];
        await stream.ReadExactlyAsync(header, timeout.Token);
        var payload = new byte[BinaryPrimitives.ReadUInt16BigEndian(header)];
        await stream.ReadExactlyAsync(payload, timeout.Token);
        return payload;
    }

    // Reads until the relay closes the connection; returns the last read's count (0 on a clean close).
    private static async Task<int> ReadToEndAsync(Stream stream, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
            }

            return n;
        }
        catch (IOException)
        {
            return 0; // reset by the relay: closed too
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition(), what);
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    private static byte[] Framed(Random random, byte[] check, bool mutate)
    {
        var output = new List<byte>();
        for (var i = 0; i < 20; i++)
        {
            var payload = random.Next(4) switch
            {
                0 => (byte[])check.Clone(),
                1 => [(byte)random.Next(20, 64), .. RandomBytes(random, random.Next(0, 200))], // "DTLS"
                2 => [(byte)random.Next(128, 192), .. RandomBytes(random, random.Next(1, 1200))], // "RTP/RTCP"
                _ => RandomBytes(random, random.Next(0, 300)),
            };
            if (mutate && payload.Length > 0)
            {
                payload[random.Next(payload.Length)] ^= (byte)random.Next(1, 256);
            }

            output.Add((byte)(payload.Length >> 8));
            output.Add((byte)payload.Length);
            output.AddRange(payload);
        }

        return [.. output];
    }
}

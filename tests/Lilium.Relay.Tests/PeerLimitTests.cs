using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol;
using Lilium.Relay.Media;

namespace Lilium.Relay.Tests;

/// <summary>
/// Issue 23, bounded memory per peer: caps per user on the relay and per source address (with the load balancer's
/// X-Forwarded-For believed only from a trusted proxy), and packet caches that exist only once media flows.
/// </summary>
[Trait("Category", "Integration")]
public sealed class PeerLimitTests : IAsyncLifetime
{
    private readonly RelayFixture _relay = new(o =>
    {
        o.MaxPeersPerAddress = 3;
        o.MaxPeersPerUserOnRelay = 2;
        o.SetTrustedProxies([IPNetwork.Parse("127.0.0.2/32")]);
    });

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Fact]
    public async Task One_source_address_holds_a_bounded_number_of_peers()
    {
        var sessions = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToList();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await Publish(sessions[i], forwardedFor: null);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var refused = await Publish(sessions[3], forwardedFor: null);
        var problem = await AssertProblem(refused, HttpStatusCode.TooManyRequests);
        Assert.Equal(ErrorCode.TooManyPeers.WireName(), problem.GetProperty("code").GetString());
        Assert.Contains("network address", problem.GetProperty("detail").GetString());
        Assert.NotNull(refused.Headers.RetryAfter);

        // A header from an untrusted client is ignored: the connection's own address still counts.
        using var spoofed = await Publish(sessions[3], forwardedFor: "198.51.100.9");
        Assert.Equal(HttpStatusCode.TooManyRequests, spoofed.StatusCode);
    }

    [Fact]
    public async Task Behind_a_trusted_proxy_the_forwarded_address_counts()
    {
        using var proxied = ThroughTrustedProxy();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await Publish(Guid.NewGuid(), "198.51.100.1", proxied);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var fourth = await Publish(Guid.NewGuid(), "198.51.100.1", proxied);
        Assert.Equal(HttpStatusCode.TooManyRequests, fourth.StatusCode);

        // Another client behind the same proxy is not affected; the client-supplied left part is not believed.
        using var other = await Publish(Guid.NewGuid(), "198.51.100.1, 198.51.100.2", proxied);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
    }

    [Fact]
    public async Task One_user_holds_a_bounded_number_of_peers_across_sessions()
    {
        using var proxied = ThroughTrustedProxy(); // each peer from its own forwarded address: only the user cap applies
        var user = Guid.NewGuid();
        var hosts = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        foreach (var session in hosts)
        {
            using var host = await Send(_relay.Whip(session), _relay.Grant(session, RelayRole.Host), "198.51.100." + (10 + hosts.IndexOf(session)), proxied);
            Assert.Equal(HttpStatusCode.Created, host.StatusCode);
        }

        using (var first = await Send(_relay.Whep(hosts[0]), _relay.Grant(hosts[0], RelayRole.Viewer, user, InputPermissions.None), "198.51.100.20", proxied))
        {
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        }

        using (var second = await Send(_relay.Whep(hosts[1]), _relay.Grant(hosts[1], RelayRole.Viewer, user, InputPermissions.None), "198.51.100.20", proxied))
        {
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        }

        using var third = await Send(_relay.Whep(hosts[2]), _relay.Grant(hosts[2], RelayRole.Viewer, user, InputPermissions.None), "198.51.100.21", proxied);
        var problem = await AssertProblem(third, HttpStatusCode.TooManyRequests);
        Assert.Contains("on this relay", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_publisher_that_sends_no_media_holds_no_packet_cache()
    {
        var session = Guid.NewGuid();
        using var created = await Publish(session, forwardedFor: null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var publisher = _relay.Registry.FindSession(session)!.Publisher!;
        Assert.NotEmpty(publisher.Streams);
        Assert.All(publisher.Streams, s => Assert.False(s.Cache.IsAllocated));

        var cache = new PacketCache();
        Assert.True(cache.Get(7).IsEmpty);
        cache.Store(7, [1, 2, 3]);
        Assert.True(cache.IsAllocated);
        Assert.Equal([1, 2, 3], cache.Get(7).ToArray());
    }

    // A client whose connections come from 127.0.0.2, the address the fixture trusts as its load balancer.
    private static HttpClient ThroughTrustedProxy() => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, token) =>
        {
            var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint, token);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    });

    private Task<HttpResponseMessage> Publish(Guid session, string? forwardedFor, HttpClient? client = null) =>
        Send(_relay.Whip(session), _relay.Grant(session, RelayRole.Host), forwardedFor, client);

    private Task<HttpResponseMessage> Send(Uri uri, string grant, string? forwardedFor, HttpClient? client = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent(TestOffers.Publisher(), Encoding.UTF8, "application/sdp") };
        if (uri.AbsolutePath.StartsWith("/whep", StringComparison.Ordinal))
        {
            request.Content = new StringContent(TestOffers.Viewer(), Encoding.UTF8, "application/sdp");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", grant);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return (client ?? _relay.Http).SendAsync(request);
    }

    private static async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.Clone();
    }
}

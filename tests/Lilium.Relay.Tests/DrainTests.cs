using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lilium.Auth;

namespace Lilium.Relay.Tests;

/// <summary>SIGTERM behaviour: the host's stop drains — new sessions refused, health 503, peers closed, then exit.</summary>
[Trait("Category", "Integration")]
public sealed class DrainTests
{
    [Fact]
    public async Task Stopping_refuses_new_sessions_reports_draining_and_closes_peers()
    {
        var relay = new RelayFixture();
        await relay.InitializeAsync();
        var session = Guid.NewGuid();
        using (var created = await Post(relay, session))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var peer = relay.Registry.FindSession(session)!.Publisher!;
        var stopping = relay.App.StopAsync(); // what SIGTERM triggers
        for (var i = 0; i < 50 && !relay.Registry.IsDraining; i++)
        {
            await Task.Delay(10);
        }

        Assert.True(relay.Registry.IsDraining);
        using (var health = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        }

        using (var refused = await Post(relay, Guid.NewGuid()))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.True(peer.IsClosed);
        Assert.Equal("relay shutting down", await peer.Closed);
        Assert.Equal(0, relay.Registry.PeerCount);
        relay.Http.Dispose();
        await relay.App.DisposeAsync();
    }

    private static Task<HttpResponseMessage> Post(RelayFixture relay, Guid session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, relay.Whip(session))
        {
            Content = new StringContent(TestOffers.Publisher(), Encoding.UTF8, "application/sdp"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", relay.Grant(session, RelayRole.Host));
        return relay.Http.SendAsync(request);
    }
}

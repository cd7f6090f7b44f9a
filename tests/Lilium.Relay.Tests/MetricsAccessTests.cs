using System.Net;
using System.Net.Http.Headers;

namespace Lilium.Relay.Tests;

/// <summary>With RELAY_METRICS_TOKEN set, /metrics answers only its bearer (without it: loopback only).</summary>
[Trait("Category", "Integration")]
public sealed class MetricsAccessTests : IAsyncLifetime
{
    private const string Token = "metrics-token-for-tests-0123456789";
    private readonly RelayFixture _relay = new(o => o.MetricsToken = Token);

    public Task InitializeAsync() => _relay.InitializeAsync();

    public Task DisposeAsync() => _relay.DisposeAsync();

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-the-token", HttpStatusCode.Unauthorized)]
    [InlineData(Token, HttpStatusCode.OK)]
    public async Task Metrics_need_the_configured_bearer_token(string? bearer, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_relay.BaseUri, "/metrics"));
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await _relay.Http.SendAsync(request);
        Assert.Equal(expected, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (expected == HttpStatusCode.OK)
        {
            Assert.Contains("# TYPE lilium_relay_peers ", body);
        }
        else
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("lilium_relay", body);
        }
    }

    [Fact]
    public void Without_a_token_only_loopback_clients_are_served()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.0.3.7"); // e.g. the load balancer
        Assert.False(Lilium.Relay.Http.MetricsAccess.Allows(context, token: null));
        context.Connection.RemoteIpAddress = IPAddress.IPv6Loopback;
        Assert.True(Lilium.Relay.Http.MetricsAccess.Allows(context, token: null));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Protocol.Http;

namespace Lilium.Relay.Tests;

/// <summary>
/// The relay's request ids (X-Request-Id on every response, <c>requestId</c> in every problem) and its /metrics
/// exposition read by a strict parser, before and after a real peer's ICE and DTLS traffic.
/// </summary>
[Trait("Category", "Integration")]
public sealed class RelayObservabilityTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    [Fact]
    public async Task Every_response_gets_a_request_id_and_a_valid_incoming_one_is_echoed()
    {
        using var fresh = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        var generated = fresh.Headers.GetValues(RequestIds.Header).Single();
        Assert.Matches("^[0-9a-f]{32}$", generated);

        using var again = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/health"));
        Assert.NotEqual(generated, again.Headers.GetValues(RequestIds.Header).Single());

        Assert.Equal("support-ticket-4711", await EchoedAsync("support-ticket-4711"));
        foreach (var hostile in new[] { "has space", "quote\"d", new string('a', RequestIds.MaxLength + 1), "semi;colon", "<script>", "line\tbreak" })
        {
            var echoed = await EchoedAsync(hostile);
            Assert.NotEqual(hostile, echoed);
            Assert.Matches("^[0-9a-f]{32}$", echoed);
        }
    }

    [Fact]
    public async Task Problems_carry_the_request_id_of_their_response()
    {
        var session = Guid.NewGuid();
        using var unauthorized = new HttpRequestMessage(HttpMethod.Post, relay.Whip(session))
        {
            Content = new StringContent(TestOffers.Publisher(), Encoding.UTF8, "application/sdp"),
        };
        unauthorized.Headers.TryAddWithoutValidation(RequestIds.Header, "user-report-1");
        using var response401 = await relay.Http.SendAsync(unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, response401.StatusCode);
        Assert.Equal("user-report-1", await ProblemRequestIdAsync(response401));

        // A problem the framework writes (status code pages: an unknown route) and one from our error table.
        using var notFound = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/no-such-route"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        await ProblemRequestIdAsync(notFound);

        using var badSdp = new HttpRequestMessage(HttpMethod.Post, relay.Whip(session)) { Content = new StringContent("not sdp", Encoding.UTF8, "application/sdp") };
        badSdp.Headers.Authorization = new AuthenticationHeaderValue("Bearer", relay.Grant(session, RelayRole.Host));
        using var response400 = await relay.Http.SendAsync(badSdp);
        Assert.Equal(HttpStatusCode.BadRequest, response400.StatusCode);
        await ProblemRequestIdAsync(response400);
    }

    [Fact]
    public async Task Metrics_parse_with_their_types_and_count_a_real_peers_traffic()
    {
        var before = PrometheusText.Parse(await ScrapeAsync());
        var expected = new Dictionary<string, string>
        {
            ["lilium_relay_sessions"] = "gauge",
            ["lilium_relay_peers"] = "gauge",
            ["lilium_relay_draining"] = "gauge",
            ["lilium_relay_packets_in_total"] = "counter",
            ["lilium_relay_bytes_in_total"] = "counter",
            ["lilium_relay_packets_out_total"] = "counter",
            ["lilium_relay_bytes_out_total"] = "counter",
            ["lilium_relay_nacked_packets_total"] = "counter",
            ["lilium_relay_retransmissions_total"] = "counter",
            ["lilium_relay_plis_sent_total"] = "counter",
            ["lilium_relay_keyframe_requests_received_total"] = "counter",
            ["lilium_relay_dropped_total"] = "counter",
            ["lilium_relay_send_dropped_total"] = "counter",
            ["lilium_relay_test_dropped_total"] = "counter",
            ["lilium_relay_publisher_packets_lost"] = "gauge",
            ["lilium_relay_publisher_loss_ratio"] = "gauge",
            ["lilium_relay_subscriber_reported_lost_total"] = "counter",
            ["lilium_relay_datachannel_messages_in_total"] = "counter",
            ["lilium_relay_input_events_received_total"] = "counter",
            ["lilium_relay_input_events_forwarded_total"] = "counter",
            ["lilium_relay_input_events_no_host_total"] = "counter",
            ["lilium_relay_input_events_denied_total"] = "counter",
            ["lilium_relay_input_route_seconds"] = "histogram",
            ["lilium_relay_ice_tcp_connections"] = "gauge",
            ["lilium_relay_ice_tcp_rejected_total"] = "counter",
        };
        foreach (var (name, type) in expected)
        {
            Assert.True(before.Types.TryGetValue(name, out var actual), $"{name} is not exported");
            Assert.Equal(type, actual);
            Assert.False(string.IsNullOrWhiteSpace(before.Help.GetValueOrDefault(name)), $"{name} has no help");
        }

        Assert.Contains(before.Samples, s => s.Name == "lilium_relay_input_events_denied_total" && s.Labels == "reason=\"no_keyboard_grant\"");
        var buckets = before.Samples.Where(s => s.Name == "lilium_relay_input_route_seconds_bucket").ToList();
        Assert.Equal(65, buckets.Count); // 64 exponential bounds and +Inf
        Assert.Equal("le=\"+Inf\"", buckets[^1].Labels);
        Assert.Equal(before.Value("lilium_relay_input_route_seconds_count"), buckets[^1].Value);

        // A real peer: WHIP, then ICE connectivity checks and a DTLS handshake over UDP to the media socket.
        var (_, _, socket, _) = await SyntheticPeer.ConnectAsync(relay);
        using (socket)
        {
            var after = PrometheusText.Parse(await ScrapeAsync());
            Assert.True(after.Value("lilium_relay_packets_in_total") > before.Value("lilium_relay_packets_in_total"));
            Assert.True(after.Value("lilium_relay_bytes_out_total") > before.Value("lilium_relay_bytes_out_total"));
            Assert.True(after.Value("lilium_relay_peers") >= 1);
            Assert.True(after.Value("lilium_relay_sessions") >= 1);
            Assert.Equal(relay.Metrics.DroppedCount, after.Value("lilium_relay_dropped_total"));
        }
    }

    private async Task<string> ScrapeAsync()
    {
        using var response = await relay.Http.GetAsync(new Uri(relay.BaseUri, "/metrics"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("version=0.0.4", response.Content.Headers.ContentType?.ToString());
        Assert.True(response.Headers.Contains(RequestIds.Header));
        return await response.Content.ReadAsStringAsync();
    }

    private async Task<string> EchoedAsync(string incoming)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(relay.BaseUri, "/health"));
        Assert.True(request.Headers.TryAddWithoutValidation(RequestIds.Header, incoming));
        using var response = await relay.Http.SendAsync(request);
        return response.Headers.GetValues(RequestIds.Header).Single();
    }

    private static async Task<string> ProblemRequestIdAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var header = response.Headers.GetValues(RequestIds.Header).Single();
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(header, problem.RootElement.GetProperty(RequestIds.ProblemMember).GetString());
        return header;
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Lilium.Lambda.Observability;
using Lilium.Protocol.Http;
using Lilium.Testing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace Lilium.Api.Tests;

/// <summary>
/// The API's request ids (X-Request-Id on successes and problems, <c>requestId</c> in the problem) and its OpenTelemetry
/// export, read back by a real OTLP/HTTP receiver that decodes the protobuf the exporter sends.
/// </summary>
[Trait("Category", "Integration")]
public sealed class ObservabilityTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task Successes_and_problems_carry_a_request_id_and_a_valid_incoming_one_is_kept()
    {
        await using var server = await ApiServer.StartAsync(postgres);
        using var http = server.CreateClient();

        using var health = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Matches("^[0-9a-f]{32}$", health.Headers.GetValues(RequestIds.Header).Single());

        using var echoed = new HttpRequestMessage(HttpMethod.Get, "/v1/friends");
        echoed.Headers.TryAddWithoutValidation(RequestIds.Header, "ticket-4711");
        using var unauthorized = await http.SendAsync(echoed);
        var problem = await ProblemAssert.IsProblemAsync(unauthorized, HttpStatusCode.Unauthorized);
        Assert.Equal("ticket-4711", problem.GetProperty(RequestIds.ProblemMember).GetString());

        using var hostile = new HttpRequestMessage(HttpMethod.Get, "/v1/no-such-thing");
        hostile.Headers.TryAddWithoutValidation(RequestIds.Header, "two words");
        using var notFound = await http.SendAsync(hostile);
        problem = await ProblemAssert.IsProblemAsync(notFound, HttpStatusCode.NotFound);
        Assert.Matches("^[0-9a-f]{32}$", problem.GetProperty(RequestIds.ProblemMember).GetString());

        // A body the framework cannot read: the exception handler clears the response, the id is still there.
        using var badJson = await http.PostAsync("/v1/users", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        await ProblemAssert.IsProblemAsync(badJson, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Without_an_otlp_endpoint_no_telemetry_provider_exists()
    {
        await using var server = await ApiServer.StartAsync(postgres);
        Assert.Null(server.Services.GetService<TracerProvider>());
        Assert.Null(server.Services.GetService<TelemetryFlush>());
    }

    [Fact]
    public async Task With_an_otlp_endpoint_spans_and_metrics_reach_the_receiver()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var server = await ApiServer.StartAsync(postgres, settings: new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        });
        using var http = server.CreateClient();

        // The caller's trace context is continued, and its trace id is the request id.
        var traceId = ActivityTraceId.CreateRandom();
        using var traced = new HttpRequestMessage(HttpMethod.Get, "/health");
        traced.Headers.Add("traceparent", $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using var health = await http.SendAsync(traced);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(traceId.ToHexString(), health.Headers.GetValues(RequestIds.Header).Single());

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var created = await http.PostAsJsonAsync("/v1/users", Registration.For(key, "otel"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        server.Services.GetRequiredService<TelemetryFlush>().Flush(); // what the Lambda loop runs after each response

        var spans = receiver.Spans.Where(s => s.Service == "lilium-api").ToList();
        var healthSpan = Assert.Single(spans, s => s.TraceId == traceId.ToHexString() && s.Kind == 2);
        Assert.Equal("GET /health", healthSpan.Name);
        Assert.Equal("200", healthSpan.Attributes["http.response.status_code"]);
        Assert.Equal(traceId.ToHexString(), healthSpan.Attributes["lilium.request_id"]);
        Assert.Contains(spans, s => s.Kind == 2 && s.Name == "POST /v1/users" && s.Attributes["http.response.status_code"] == "201");
        Assert.Contains(spans, s => s.Scope == "Npgsql");

        var metrics = receiver.Metrics.Where(m => m.Service == "lilium-api").ToList();
        Assert.Contains(metrics, m => m is { Name: "http.server.request.duration", Unit: "s", Type: "histogram" });
        Assert.Contains(metrics, m => m.Scope == "Npgsql");
        Assert.Equal(0, receiver.Refused);
    }
}

using Lilium.Lambda.Observability;
using Lilium.Testing;
using Microsoft.Extensions.Configuration;

namespace Lilium.Signaling.Tests;

/// <summary>
/// Signaling's OpenTelemetry export checked on the wire: a real OTLP/HTTP receiver (<see cref="OtlpReceiver"/>) decodes
/// what the OTLP exporter sends, for the Lambda bootstrap's set-up (<see cref="FunctionTelemetry.Start"/> and the flush
/// the runtime loop calls after each invocation) and for the local gateway's.
/// </summary>
[Collection(nameof(SignalingCollection))]
[Trait("Category", "Integration")]
public sealed class SignalingTelemetryTests(PostgresFixture postgres, AwsEndpointFixture aws)
{
    [Fact]
    public async Task The_bootstrap_set_up_exports_event_spans_and_metrics_when_flushed()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var world = new SignalingWorld(postgres, aws);
        await world.InitializeAsync();
        try
        {
            using var telemetry = FunctionTelemetry.Start(Settings(receiver), "lilium-signaling", SignalingTelemetry.Name);
            Assert.NotNull(telemetry);
            var alice = await world.NewUserAsync("alice");
            await using (var client = await world.ConnectAsync(alice))
            {
                await client.PingAsync();
                await client.SendAsync(new { v = 1, action = "no.such.action", id = "x1" });
                await client.WaitForAsync("error", "x1");
            }

            telemetry.Flush(); // what LambdaRuntime.AfterInvocation runs once a response is posted

            var spans = receiver.Spans.Where(s => s.Service == "lilium-signaling" && s.Scope == SignalingTelemetry.Name).ToList();
            Assert.Contains(spans, s => s.Name == "signaling connect" && s.Kind == 2 && s.Attributes["lilium.signaling.status_code"] == "200");
            Assert.Contains(spans, s => s.Name == "signaling message" && s.Attributes.GetValueOrDefault("lilium.signaling.action") == "ping");
            Assert.Contains(spans, s => s.Name == "signaling message" && s.Attributes.GetValueOrDefault("lilium.signaling.action") == "other"
                && s.Attributes.GetValueOrDefault("error.type") == "unknown-action");
            Assert.All(spans, s => Assert.Matches("^[0-9a-f]{32}$", s.TraceId));
            // The handler's database and DynamoDB calls are children in the same export (Npgsql's and HttpClient's sources).
            Assert.Contains(receiver.Spans, s => s.Service == "lilium-signaling" && s.Scope == "Npgsql");

            var metrics = receiver.Metrics.Where(m => m.Service == "lilium-signaling").ToList();
            Assert.Contains(metrics, m => m is { Name: "lilium.signaling.event.duration", Unit: "s", Type: "histogram" });
            Assert.Contains(metrics, m => m is { Name: "lilium.signaling.messages", Type: "sum" });
            Assert.Contains(metrics, m => m is { Name: "lilium.signaling.errors", Type: "sum" });
            Assert.Equal(0, receiver.Refused);
        }
        finally
        {
            await world.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_local_gateway_exports_its_server_spans_and_the_handlers()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var world = new SignalingWorld(postgres, aws) { TelemetrySettings = Settings(receiver) };
        await world.InitializeAsync();
        try
        {
            var alice = await world.NewUserAsync("alice");
            await using (var client = await world.ConnectAsync(alice))
            {
                await client.PingAsync();
                await client.CloseAsync();
            }

            Assert.True(await receiver.WaitForAsync(
                r => r.Spans.Any(s => s.Service == "lilium-local-gateway" && s.Scope == SignalingTelemetry.Name && s.Name == "signaling disconnect")
                    && r.Spans.Any(s => s.Service == "lilium-local-gateway" && s.Scope == "Microsoft.AspNetCore" && s.Kind == 2),
                TimeSpan.FromSeconds(15)), "no gateway spans: " + string.Join(", ", receiver.Spans.Select(s => $"{s.Service}/{s.Scope}/{s.Name}")));
            Assert.True(await receiver.WaitForAsync(
                r => r.Metrics.Any(m => m.Service == "lilium-local-gateway" && m.Name == "lilium.signaling.event.duration"),
                TimeSpan.FromSeconds(15)), "no gateway metrics");
            Assert.Equal(0, receiver.Refused);
        }
        finally
        {
            await world.DisposeAsync();
        }
    }

    [Fact]
    public void Without_an_endpoint_nothing_is_started()
    {
        Assert.Null(FunctionTelemetry.Start(new ConfigurationBuilder().Build(), "lilium-signaling", SignalingTelemetry.Name));
        var disabled = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318",
            ["OTEL_SDK_DISABLED"] = "true",
        }).Build();
        Assert.Null(FunctionTelemetry.Start(disabled, "lilium-signaling", SignalingTelemetry.Name));
    }

    private static IConfiguration Settings(OtlpReceiver receiver) => new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "250",
    }).Build();
}

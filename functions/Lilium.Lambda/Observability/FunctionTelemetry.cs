using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Lilium.Lambda.Observability;

/// <summary>
/// OpenTelemetry traces and metrics for the API, signaling and the local gateway, exported over OTLP — only when an
/// OTLP endpoint is configured (docs/observability.md). The code paths are instrumented through
/// <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/> (ours, ASP.NET
/// Core's, HttpClient's, Npgsql's) whatever the configuration; without an endpoint no SDK object is created, nothing
/// listens, and a span or measurement costs one "anyone listening?" check.
/// </summary>
public static class FunctionTelemetry
{
    /// <summary>The standard variables that switch the export on (any one of them).</summary>
    public static readonly IReadOnlyList<string> EndpointVariables =
        ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"];

    /// <summary>The framework's sources and meters exported next to the service's own.</summary>
    private static readonly string[] FrameworkSources = ["Npgsql", "System.Net.Http"];

    private static readonly string[] FrameworkMeters = ["Npgsql", "System.Net.Http", "System.Runtime"];

    /// <summary>True when an OTLP endpoint is set and <c>OTEL_SDK_DISABLED</c> is not <c>true</c>.</summary>
    public static bool IsEnabled(IConfiguration configuration) =>
        !string.Equals(configuration["OTEL_SDK_DISABLED"], "true", StringComparison.OrdinalIgnoreCase)
        && EndpointVariables.Any(v => !string.IsNullOrWhiteSpace(configuration[v]));

    /// <summary>
    /// In an ASP.NET Core host: when <see cref="IsEnabled"/>, the OpenTelemetry SDK with ASP.NET Core's server spans
    /// and metrics, <paramref name="sources"/> (each an ActivitySource and a Meter name) and the OTLP exporter, which
    /// takes the standard <c>OTEL_EXPORTER_OTLP_*</c> settings (endpoint, protocol, headers) from configuration. Also
    /// registers the <see cref="TelemetryFlush"/> the Lambda loop calls after each invocation. Otherwise adds nothing.
    /// </summary>
    public static IServiceCollection AddFunctionTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName, params string[] sources)
    {
        if (!IsEnabled(configuration))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceNamespace: "lilium"))
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddSource([.. FrameworkSources, .. sources]))
            .WithMetrics(m => m.AddAspNetCoreInstrumentation().AddMeter([.. FrameworkMeters, .. sources]))
            .UseOtlpExporter();
        services.AddSingleton(sp => new TelemetryFlush(sp.GetRequiredService<TracerProvider>(), sp.GetRequiredService<MeterProvider>()));
        return services;
    }

    /// <summary>
    /// Outside a host (the signaling bootstrap's Runtime API loop): the providers for <paramref name="sources"/>, or null
    /// when export is not configured. The exporter takes the <c>OTEL_*</c> settings from <paramref name="configuration"/>
    /// (the bootstrap passes the environment). Dispose at exit.
    /// </summary>
    public static TelemetryFlush? Start(IConfiguration configuration, string serviceName, params string[] sources)
    {
        if (!IsEnabled(configuration))
        {
            return null;
        }

        var resource = ResourceBuilder.CreateDefault().AddService(serviceName, serviceNamespace: "lilium");
        var tracer = Sdk.CreateTracerProviderBuilder().ConfigureServices(s => s.AddSingleton(configuration)).SetResourceBuilder(resource)
            .AddSource([.. FrameworkSources, .. sources]).AddOtlpExporter().Build();
        var meter = Sdk.CreateMeterProviderBuilder().ConfigureServices(s => s.AddSingleton(configuration)).SetResourceBuilder(resource)
            .AddMeter([.. FrameworkMeters, .. sources]).AddOtlpExporter().Build();
        return new TelemetryFlush(tracer, meter, owns: true);
    }
}

namespace Lilium.LocalGateway;

/// <summary>API Gateway WebSocket limits the local gateway enforces (quotas as documented by AWS, see REFERENCE.md).</summary>
public sealed record GatewayOptions
{
    public int Port { get; init; } = 5081;

    public string Stage { get; init; } = "local";

    /// <summary>Largest message; a larger one closes the connection with 1009.</summary>
    public int MaxMessageBytes { get; init; } = 128 * 1024;

    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Route keys deployed besides <c>$connect</c>/<c>$disconnect</c>; selection falls back to <c>$default</c>.</summary>
    public IReadOnlySet<string> Routes { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "$default" };

    /// <summary>OTLP export settings (<c>OTEL_*</c>) added over the process's configuration (environment); null: that alone.</summary>
    public Microsoft.Extensions.Configuration.IConfiguration? TelemetrySettings { get; init; }
}

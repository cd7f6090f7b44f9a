using System.Globalization;

namespace Lilium.Fleet;

/// <summary>
/// The fleet's settings, from the environment (FLEET-CONTRACT §1). Every variable is optional; a value that does not
/// parse or is out of range is a <see cref="FleetConfigurationException"/> naming the variable, never a silent default.
/// </summary>
public sealed record FleetSettings
{
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultLiveWindow = TimeSpan.FromSeconds(3);
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan DefaultStartEstimate = TimeSpan.FromSeconds(5);
    public const double DefaultScaleOutLoad = 0.8;

    /// <summary>The connections table the registry lives in (<c>CONNECTIONS_TABLE</c>); null: no registry.</summary>
    public string? Table { get; init; }

    /// <summary>The ECS cluster running the relay service (<c>RELAY_CLUSTER</c>); null: the control plane does not scale.</summary>
    public string? Cluster { get; init; }

    /// <summary>The relay's ECS service (<c>RELAY_SERVICE</c>).</summary>
    public string? Service { get; init; }

    /// <summary>How often a relay writes its item (<c>RELAY_HEARTBEAT_MS</c>, 100–60000, default 1000).</summary>
    public TimeSpan HeartbeatInterval { get; init; } = DefaultHeartbeatInterval;

    /// <summary>A relay is live while its last heartbeat is younger than this (<c>RELAY_LIVE_MS</c>, 300–600000, default 3000).</summary>
    public TimeSpan LiveWindow { get; init; } = DefaultLiveWindow;

    /// <summary>With no session on any relay for this long the service goes to 0 (<c>RELAY_IDLE_MINUTES</c>, 0–1440, default 10).</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Scale out when every live relay's load / capacity is above this (<c>RELAY_SCALE_OUT_LOAD</c>, 0–1, default 0.8).</summary>
    public double ScaleOutLoad { get; init; } = DefaultScaleOutLoad;

    /// <summary>What "starting" answers estimate (<c>RELAY_START_ESTIMATE_S</c>, 1–600; 5 locally, the CDK sets the Fargate figure).</summary>
    public TimeSpan StartEstimate { get; init; } = DefaultStartEstimate;

    /// <summary>Both the cluster and the service are named: the control plane may change the desired count.</summary>
    public bool CanScale => Cluster is not null && Service is not null;

    public static FleetSettings FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>Reads the settings through <paramref name="variable"/> (name → value or null).</summary>
    public static FleetSettings From(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        return new FleetSettings
        {
            Table = Text(variable, "CONNECTIONS_TABLE"),
            Cluster = Text(variable, "RELAY_CLUSTER"),
            Service = Text(variable, "RELAY_SERVICE"),
            HeartbeatInterval = TimeSpan.FromMilliseconds(Number(variable, "RELAY_HEARTBEAT_MS", 100, 60_000, DefaultHeartbeatInterval.TotalMilliseconds)),
            LiveWindow = TimeSpan.FromMilliseconds(Number(variable, "RELAY_LIVE_MS", 300, 600_000, DefaultLiveWindow.TotalMilliseconds)),
            IdleTimeout = TimeSpan.FromMinutes(Number(variable, "RELAY_IDLE_MINUTES", 0, 1440, DefaultIdleTimeout.TotalMinutes)),
            ScaleOutLoad = Number(variable, "RELAY_SCALE_OUT_LOAD", 0, 1, DefaultScaleOutLoad),
            StartEstimate = TimeSpan.FromSeconds(Number(variable, "RELAY_START_ESTIMATE_S", 1, 600, DefaultStartEstimate.TotalSeconds)),
        };
    }

    private static string? Text(Func<string, string?> variable, string name) =>
        variable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static double Number(Func<string, string?> variable, string name, double min, double max, double fallback)
    {
        if (Text(variable, name) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) && value >= min && value <= max
            ? value
            : throw new FleetConfigurationException($"{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, not '{text}'.");
    }
}

/// <summary>A fleet setting that does not parse or is out of range; the message names the variable.</summary>
public sealed class FleetConfigurationException(string message) : Exception(message);

using System.Globalization;
using Lilium.Fleet;

namespace Lilium.RelaySupervisor;

/// <summary>
/// The supervisor's settings, from the environment (or command-line <c>--NAME value</c>):
/// <list type="table">
/// <item><term><c>SUPERVISOR_PORT</c></term><description>the load balancer's port on 127.0.0.1 (8080): the one relay URL clients use</description></item>
/// <item><term><c>SUPERVISOR_HTTP_PORT_BASE</c></term><description>relay n listens on HTTP base + n (18080; 0: free ports)</description></item>
/// <item><term><c>SUPERVISOR_UDP_PORT_BASE</c></term><description>relay n's media on UDP base + n (17882; 0: free ports)</description></item>
/// <item><term><c>RELAY_COMMAND</c></term><description>the relay: a <c>.dll</c> (run with <c>dotnet</c>) or an executable (the Native AOT build)</description></item>
/// <item><term><c>RELAY_CLUSTER</c> / <c>RELAY_SERVICE</c></term><description>the ECS service to follow (<c>lilium-local</c> / <c>relay</c>)</description></item>
/// <item><term><c>SUPERVISOR_POLL_MS</c></term><description>how often DescribeServices and the relays' /health are read (500)</description></item>
/// <item><term><c>SUPERVISOR_INITIAL_DESIRED</c></term><description>set the desired count to this at start (unset: a new service starts at 0, an existing one keeps its count)</description></item>
/// <item><term><c>SUPERVISOR_LOG_DIR</c></term><description>where each relay's output goes (<c>relay-local-N.log</c>); unset: kept in memory only</description></item>
/// </list>
/// The relays inherit the supervisor's environment (<c>RELAY_KEY</c>, <c>CONNECTIONS_TABLE</c>, <c>AWS_*</c>,
/// <c>RELAY_CONTROL_PLANE_URL</c>, …) plus their own <c>RELAY_ID=local-N</c>, ports, <c>RELAY_PUBLIC_IP=127.0.0.1</c>.
/// </summary>
public sealed record SupervisorOptions
{
    public int Port { get; init; } = 8080;

    public int HttpPortBase { get; init; } = 18080;

    public int UdpPortBase { get; init; } = 17882;

    public required string RelayCommand { get; init; }

    public string Cluster { get; init; } = "lilium-local";

    public string Service { get; init; } = "relay";

    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    public string? LogDirectory { get; init; }

    /// <summary>The desired count set once at start (<c>SUPERVISOR_INITIAL_DESIRED</c>); null leaves it.</summary>
    public int? InitialDesired { get; init; }

    /// <summary>The connections table (<c>CONNECTIONS_TABLE</c>): a dead relay's item is deleted from it at once.</summary>
    public string? Table { get; init; }

    /// <summary>How long a stopped relay may drain before it is killed.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The AWS variables (<c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c>, keys) for the supervisor's own ECS and DynamoDB
    /// calls, and given to every relay.
    /// </summary>
    public IReadOnlyDictionary<string, string?> Aws { get; init; } = new Dictionary<string, string?>();

    /// <summary>More variables for every relay (tests: <c>RELAY_KEY</c>, <c>RELAY_HEARTBEAT_MS</c>, …), over the inherited environment.</summary>
    public IReadOnlyDictionary<string, string> RelayEnvironment { get; init; } = new Dictionary<string, string>();

    public static SupervisorOptions From(Func<string, string?> variable)
    {
        string? Text(string name) => variable(name) is { } v && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        int Port(string name, int fallback) => Text(name) is not { } text
            ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65000
                ? p
                : throw new FleetConfigurationException($"{name} must be a port number (0 to 65000), not '{text}'.");
        var command = Text("RELAY_COMMAND") ?? throw new FleetConfigurationException(
            "RELAY_COMMAND must name the relay: media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll or artifacts/relay-aot/Lilium.Relay.");
        var poll = Text("SUPERVISOR_POLL_MS") is { } pollText
            ? int.TryParse(pollText, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 50 and <= 60_000
                ? TimeSpan.FromMilliseconds(ms)
                : throw new FleetConfigurationException($"SUPERVISOR_POLL_MS must be 50 to 60000, not '{pollText}'.")
            : TimeSpan.FromMilliseconds(500);
        string[] aws = ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];
        return new SupervisorOptions
        {
            Port = Port("SUPERVISOR_PORT", 8080),
            HttpPortBase = Port("SUPERVISOR_HTTP_PORT_BASE", 18080),
            UdpPortBase = Port("SUPERVISOR_UDP_PORT_BASE", 17882),
            RelayCommand = command,
            Cluster = Text("RELAY_CLUSTER") ?? "lilium-local",
            Service = Text("RELAY_SERVICE") ?? "relay",
            PollInterval = poll,
            LogDirectory = Text("SUPERVISOR_LOG_DIR"),
            InitialDesired = Text("SUPERVISOR_INITIAL_DESIRED") is { } initial
                ? int.TryParse(initial, NumberStyles.None, CultureInfo.InvariantCulture, out var d) && d <= 20
                    ? d
                    : throw new FleetConfigurationException($"SUPERVISOR_INITIAL_DESIRED must be 0 to 20, not '{initial}'.")
                : null,
            Table = Text("CONNECTIONS_TABLE"),
            Aws = aws.ToDictionary(n => n, Text, StringComparer.Ordinal),
        };
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;

namespace Lilium.Signaling;

/// <summary>
/// Signaling's spans and metrics (docs/observability.md): one server span per WebSocket event, the events' duration,
/// the client messages by action and the error messages by code. Exported only when OTLP export is configured
/// (<c>Lilium.Lambda.Observability.FunctionTelemetry</c>); with nothing listening a span is not created and a
/// measurement is one check of the instrument's <c>Enabled</c>.
/// </summary>
public static class SignalingTelemetry
{
    /// <summary>The ActivitySource and Meter name.</summary>
    public const string Name = "Lilium.Signaling";

    internal static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "lilium.signaling.event.duration", "s", "Time to handle one WebSocket event (connect, message, disconnect), by event type.");

    private static readonly Counter<long> Messages = Meter.CreateCounter<long>(
        "lilium.signaling.messages", "{message}", "Client messages received, by action (\"other\" for an unknown one).");

    private static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "lilium.signaling.errors", "{message}", "Error messages sent to clients, by error code.");

    internal static bool DurationEnabled => Duration.Enabled;

    internal static Activity? StartEvent(string eventType, string connectionId)
    {
        var activity = Source.StartActivity("signaling " + eventType, ActivityKind.Server);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lilium.signaling.event", eventType);
            activity.SetTag("lilium.signaling.connection_id", connectionId);
        }

        return activity;
    }

    internal static void EventHandled(string eventType, int statusCode, long startedTimestamp, Activity? activity)
    {
        activity?.SetTag("lilium.signaling.status_code", statusCode);
        if (statusCode >= 400)
        {
            activity?.SetStatus(ActivityStatusCode.Error);
        }

        if (startedTimestamp != 0)
        {
            Duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds,
                new KeyValuePair<string, object?>("lilium.signaling.event", eventType),
                new KeyValuePair<string, object?>("lilium.signaling.status_code", statusCode));
        }
    }

    internal static void Message(string? action)
    {
        if (Messages.Enabled || Activity.Current?.Source == Source)
        {
            // Client-chosen text: only the protocol's own actions become a tag value (bounded cardinality).
            var known = action is not null && SignalingProtocol.ClientActions.Contains(action) ? action : "other";
            Messages.Add(1, new KeyValuePair<string, object?>("lilium.signaling.action", known));
            Ours()?.SetTag("lilium.signaling.action", known);
        }
    }

    internal static void Error(ErrorCode code)
    {
        if (Errors.Enabled || Activity.Current?.Source == Source)
        {
            var name = code.WireName();
            Errors.Add(1, new KeyValuePair<string, object?>("error.type", name));
            Ours()?.SetTag("error.type", name);
        }
    }

    private static Activity? Ours() => Activity.Current is { Source: var s } a && s == Source && a.IsAllDataRequested ? a : null;
}

using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Lilium.Lambda.Observability;

/// <summary>
/// Exports what is buffered. Lambda freezes the process between invocations, so the batch exporter's timer may not run
/// for minutes: the runtime loop calls <see cref="Flush"/> after it has posted an invocation's response, when the
/// caller no longer waits (the time is billed, not seen). Only exists when export is configured.
/// </summary>
public sealed class TelemetryFlush(TracerProvider tracer, MeterProvider meter, bool owns = false) : IDisposable
{
    /// <summary>How long one flush may take before the loop moves on (the data stays queued for the next).</summary>
    public const int TimeoutMilliseconds = 2000;

    public void Flush()
    {
        tracer.ForceFlush(TimeoutMilliseconds);
        meter.ForceFlush(TimeoutMilliseconds);
    }

    public void Dispose()
    {
        if (owns)
        {
            tracer.Dispose();
            meter.Dispose();
        }
    }
}

using System.Text.Json;

namespace Lilium.Lambda.Runtime;

/// <summary>
/// Structured logs as JSON lines on stdout, the shape of Lambda's JSON log format:
/// <c>{"timestamp","level","message","requestId", …}</c>. CloudWatch keeps each line as one event.
/// The runtime loop sets <see cref="CurrentRequestId"/> for the invocation in progress (Lambda runs one at a time).
/// </summary>
public sealed class LambdaLog(Stream output, TimeProvider? time = null)
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The request id that log lines are tagged with, or null between invocations.</summary>
    public string? CurrentRequestId { get; set; }

    /// <summary>Logs to the process's standard output.</summary>
    public static LambdaLog ToStdout() => new(Console.OpenStandardOutput());

    public void Write(string level, string message, Exception? exception = null, string? category = null)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", _time.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteString("level", level);
            json.WriteString("message", message);
            if (CurrentRequestId is { } id)
            {
                json.WriteString("requestId", id);
            }

            if (category is not null)
            {
                json.WriteString("logger", category);
            }

            if (exception is not null)
            {
                json.WriteString("errorType", exception.GetType().Name);
                json.WriteString("errorMessage", exception.Message);
                json.WriteString("stackTrace", exception.StackTrace);
            }

            json.WriteEndObject();
        }

        lock (_gate)
        {
            output.Write(buffer.WrittenSpan);
            output.Write("\n"u8);
            output.Flush();
        }
    }

    public void Info(string message) => Write("INFO", message);

    public void Error(string message, Exception? exception = null) => Write("ERROR", message, exception);
}

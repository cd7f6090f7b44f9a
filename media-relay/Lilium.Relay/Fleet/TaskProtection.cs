using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Relay.Fleet;

/// <summary>
/// ECS task scale-in protection (FLEET-CONTRACT §3): while the relay holds sessions it keeps protection on
/// (<c>PUT $ECS_AGENT_URI/task-protection/v1/state {"ProtectionEnabled":true,"ExpiresInMinutes":60}</c>, renewed
/// before it runs out), and turns it off when the last session leaves, so lowering the desired count stops idle tasks
/// only. A failed call is retried on the next heartbeat.
/// </summary>
internal sealed partial class TaskProtection(HttpClient http, Uri agentUri, TimeProvider time, ILogger log)
{
    public const int ExpiresInMinutes = 60;
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(10);
    private bool? _enabled;
    private DateTimeOffset _expires;
    private int _failures;

    /// <summary>What the agent was last told successfully (null before the first call).</summary>
    public bool? Enabled => _enabled;

    /// <summary>Asks for <paramref name="wanted"/> unless the agent already has it (and, when on, for 10 minutes more).</summary>
    public async Task UpdateAsync(bool wanted, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_enabled == wanted && (!wanted || now < _expires - RenewBefore))
        {
            return;
        }

        if (_enabled is null && !wanted)
        {
            // A new task starts unprotected: nothing to turn off.
            _enabled = false;
            return;
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ProtectionRequest(wanted, wanted ? ExpiresInMinutes : null), TaskProtectionJson.Default.ProtectionRequest);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(agentUri.AbsoluteUri.TrimEnd('/') + "/task-protection/v1/state"))
            {
                Content = new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } },
            };
            using var response = await http.SendAsync(request, cancellationToken);
            var answer = await response.Content.ReadAsStringAsync(cancellationToken);
            // The agent answers 200 with {"protection":{…}} or {"failure":{…}} (and 4xx/5xx for a bad request).
            if (!response.IsSuccessStatusCode || answer.Contains("\"failure\"", StringComparison.Ordinal))
            {
                Failed($"{(int)response.StatusCode} {Truncate(answer)}");
                return;
            }

            _enabled = wanted;
            _expires = now + TimeSpan.FromMinutes(ExpiresInMinutes);
            _failures = 0;
            LogChanged(log, wanted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Failed(e.Message);
        }
    }

    private void Failed(string why)
    {
        if (_failures++ % 30 == 0)
        {
            LogFailed(log, why);
        }
    }

    private static string Truncate(string text) => text.Length > 200 ? text[..200] : text;

    [LoggerMessage(Level = LogLevel.Information, Message = "task scale-in protection {Enabled}")]
    private static partial void LogChanged(ILogger logger, bool enabled);

    [LoggerMessage(Level = LogLevel.Warning, Message = "task scale-in protection call failed: {Why}")]
    private static partial void LogFailed(ILogger logger, string why);
}

internal sealed record ProtectionRequest(
    [property: JsonPropertyName("ProtectionEnabled")] bool ProtectionEnabled,
    [property: JsonPropertyName("ExpiresInMinutes"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ExpiresInMinutes);

[JsonSerializable(typeof(ProtectionRequest))]
internal sealed partial class TaskProtectionJson : JsonSerializerContext;

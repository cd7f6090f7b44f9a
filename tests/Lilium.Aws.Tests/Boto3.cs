using System.Text.Json;
using Lilium.Testing;

namespace Lilium.Aws.Tests;

/// <summary>
/// boto3 pointed at the test endpoint (boto3 comes with moto, so a fresh machine has it): the
/// independent party that sets up state our clients read.
/// </summary>
internal static class Boto3
{
    /// <param name="operation">The boto3 method, e.g. <c>create_secret</c>.</param>
    /// <param name="parameters">An anonymous object serialised as the call's keyword arguments.</param>
    public static async Task<JsonElement> CallAsync(AwsEndpointFixture endpoint, string service, string operation, object? parameters = null)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "boto3_call.py");
        var json = JsonSerializer.Serialize(parameters ?? new { });
        var result = await ProcessRunner.RunAsync("python3", [script, service, operation, json], TimeSpan.FromMinutes(1), environment: endpoint.Environment);
        var stdout = result.EnsureSuccess($"boto3 {service}.{operation}").StdOut;
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }
}

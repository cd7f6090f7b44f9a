using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Lilium.Testing;

/// <summary>
/// An ECS cluster and service on the :4566 endpoint (moto or LocalStack), for the relay fleet's control plane and its
/// local supervisor: created if absent with desired count 0. The endpoint takes any credentials, so the request carries
/// a credential scope (for the region) and no real signature.
/// </summary>
public static class LocalEcs
{
    private const string Target = "AmazonEC2ContainerServiceV20141113.";

    /// <summary>Creates the cluster, a task definition and the service (desired 0) unless they exist.</summary>
    public static async Task EnsureServiceAsync(Uri endpoint, string cluster, string service, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await CallAsync(http, endpoint, "CreateCluster", new { clusterName = cluster }, cancellationToken);
        await CallAsync(http, endpoint, "RegisterTaskDefinition", new
        {
            family = service,
            containerDefinitions = new[] { new { name = "relay", image = "lilium-relay:local", memory = 512, essential = true } },
        }, cancellationToken);
        using var described = await CallAsync(http, endpoint, "DescribeServices", new { cluster, services = new[] { service } }, cancellationToken);
        var exists = described.RootElement.TryGetProperty("services", out var list)
            && list.EnumerateArray().Any(s => s.TryGetProperty("status", out var st) && st.GetString() == "ACTIVE");
        if (!exists)
        {
            (await CallAsync(http, endpoint, "CreateService", new { cluster, serviceName = service, taskDefinition = service, desiredCount = 0 }, cancellationToken)).Dispose();
        }
    }

    /// <summary>The service's desired count.</summary>
    public static async Task<int> DesiredCountAsync(Uri endpoint, string cluster, string service, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var described = await CallAsync(http, endpoint, "DescribeServices", new { cluster, services = new[] { service } }, cancellationToken);
        return described.RootElement.GetProperty("services")[0].GetProperty("desiredCount").GetInt32();
    }

    /// <summary>Sets the service's desired count (what an operator, or the control plane, does).</summary>
    public static async Task SetDesiredCountAsync(Uri endpoint, string cluster, string service, int desired, CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        (await CallAsync(http, endpoint, "UpdateService", new { cluster, service, desiredCount = desired }, cancellationToken)).Dispose();
    }

    private static async Task<JsonDocument> CallAsync(HttpClient http, Uri endpoint, string action, object body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.1");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", Target + action);
        request.Headers.TryAddWithoutValidation("Authorization",
            $"AWS4-HMAC-SHA256 Credential={AwsEndpointFixture.AccessKeyId}/20260101/{AwsEndpointFixture.Region}/ecs/aws4_request, SignedHeaders=host, Signature=0");
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"ECS {action} on {endpoint}: {(int)response.StatusCode} {text}");
        }

        return JsonDocument.Parse(text.Length == 0 ? "{}" : text);
    }
}

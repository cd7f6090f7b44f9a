using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Relay.Fleet;

/// <summary>
/// What the ECS task metadata endpoint v4 (<c>${ECS_CONTAINER_METADATA_URI_V4}/task</c>) tells a Fargate task about
/// itself: its ARN and its awsvpc network interface (private IPv4 and MAC; the ENI id is not in it, so the relay finds
/// the interface by address: <see cref="Aws.Ec2.Ec2Client.DescribeNetworkInterfacesByPrivateIpAsync"/>).
/// </summary>
internal sealed record TaskMetadata(string TaskArn, IPAddress? PrivateIp, string? MacAddress)
{
    /// <summary>The task id: the ARN's last path segment (<c>arn:aws:ecs:r:a:task/cluster/ID</c>).</summary>
    public string TaskId => TaskArn[(TaskArn.LastIndexOf('/') + 1)..];

    /// <summary>Reads <c>{baseUri}/task</c>; null when it does not answer, answers an error, or answers something that is not task metadata.</summary>
    public static async Task<TaskMetadata?> ReadAsync(HttpClient http, Uri baseUri, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(baseUri.AbsoluteUri.TrimEnd('/') + "/task"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return TryParse(body);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Parses a <c>/task</c> document; null for anything without a task ARN (never throws on hostile bytes).</summary>
    public static TaskMetadata? TryParse(ReadOnlySpan<byte> json)
    {
        TaskWire? task;
        try
        {
            task = JsonSerializer.Deserialize(json, TaskMetadataJson.Default.TaskWire);
        }
        catch (JsonException)
        {
            return null;
        }

        if (task?.TaskArn is not { Length: > 0 } arn || arn.EndsWith('/'))
        {
            return null;
        }

        var network = task.Containers?.SelectMany(c => c.Networks ?? []).FirstOrDefault(n => n.IPv4Addresses is { Length: > 0 });
        var ip = network?.IPv4Addresses is [{ } first, ..] && IPAddress.TryParse(first, out var parsed) ? parsed : null;
        return new TaskMetadata(arn, ip, network?.MacAddress);
    }
}

internal sealed record TaskWire(
    [property: JsonPropertyName("TaskARN")] string? TaskArn,
    [property: JsonPropertyName("Containers")] ContainerWire[]? Containers);

internal sealed record ContainerWire([property: JsonPropertyName("Networks")] NetworkWire[]? Networks);

internal sealed record NetworkWire(
    [property: JsonPropertyName("IPv4Addresses")] string[]? IPv4Addresses,
    [property: JsonPropertyName("MACAddress")] string? MacAddress);

[JsonSerializable(typeof(TaskWire))]
internal sealed partial class TaskMetadataJson : JsonSerializerContext;

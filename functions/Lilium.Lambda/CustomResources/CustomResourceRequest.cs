using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lilium.Lambda.CustomResources;

/// <summary>
/// What CloudFormation sends a Lambda-backed custom resource
/// (docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html).
/// </summary>
public sealed record CustomResourceRequest
{
    /// <summary><c>Create</c>, <c>Update</c> or <c>Delete</c>.</summary>
    [JsonPropertyName("RequestType")]
    public required string RequestType { get; init; }

    /// <summary>The pre-signed S3 URL the outcome must be PUT to; CloudFormation waits (up to an hour) until it is.</summary>
    [JsonPropertyName("ResponseURL")]
    public required string ResponseUrl { get; init; }

    [JsonPropertyName("StackId")]
    public required string StackId { get; init; }

    [JsonPropertyName("RequestId")]
    public required string RequestId { get; init; }

    [JsonPropertyName("ResourceType")]
    public string? ResourceType { get; init; }

    [JsonPropertyName("LogicalResourceId")]
    public required string LogicalResourceId { get; init; }

    /// <summary>Absent on <c>Create</c>; what the function returned before, on <c>Update</c> and <c>Delete</c>.</summary>
    [JsonPropertyName("PhysicalResourceId")]
    public string? PhysicalResourceId { get; init; }

    [JsonPropertyName("ResourceProperties")]
    public JsonElement? ResourceProperties { get; init; }

    [JsonPropertyName("OldResourceProperties")]
    public JsonElement? OldResourceProperties { get; init; }
}

/// <summary>The outcome PUT to <see cref="CustomResourceRequest.ResponseUrl"/> (crpg-ref-responses.html).</summary>
public sealed record CustomResourceResponse
{
    /// <summary><c>SUCCESS</c> or <c>FAILED</c>.</summary>
    [JsonPropertyName("Status")]
    public required string Status { get; init; }

    /// <summary>Why it failed (shown in the stack's events); CloudFormation requires it for <c>FAILED</c>.</summary>
    [JsonPropertyName("Reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("PhysicalResourceId")]
    public required string PhysicalResourceId { get; init; }

    [JsonPropertyName("StackId")]
    public required string StackId { get; init; }

    [JsonPropertyName("RequestId")]
    public required string RequestId { get; init; }

    [JsonPropertyName("LogicalResourceId")]
    public required string LogicalResourceId { get; init; }

    /// <summary>Values readable with <c>Fn::GetAtt</c> on the resource.</summary>
    [JsonPropertyName("Data")]
    public IReadOnlyDictionary<string, string>? Data { get; init; }
}

/// <summary>What a custom resource's work produced: its physical id and attributes.</summary>
public sealed record CustomResourceOutcome(string PhysicalResourceId, IReadOnlyDictionary<string, string>? Data = null);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CustomResourceRequest))]
[JsonSerializable(typeof(CustomResourceResponse))]
internal sealed partial class CustomResourceJsonContext : JsonSerializerContext;

using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Lilium.Aws.Signing;

namespace Lilium.Aws.Protocol;

/// <summary>
/// The AWS JSON 1.1 protocol (smithy <c>awsJson1_1</c>): <c>POST /</c> with
/// <c>Content-Type: application/x-amz-json-1.1</c> and <c>X-Amz-Target: {TargetPrefix}.{Operation}</c>.
/// Serialisation uses source-generated metadata only (the Lambda binaries are trimmed).
/// </summary>
internal sealed class AwsJsonProtocol(AwsContext context, AwsService service, string targetPrefix)
{
    private const string ContentType = "application/x-amz-json-1.1";

    private readonly Uri _endpoint = context.Settings.ResolveEndpoint(service);
    private readonly SigningScope _scope = new(context.Settings.RequireRegion(), service.SigningName);

    public async Task<TResponse> InvokeAsync<TRequest, TResponse>(
        string operation,
        TRequest request,
        JsonTypeInfo<TRequest> requestType,
        JsonTypeInfo<TResponse> responseType,
        CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        var call = new AwsRequest(service, _scope, HttpMethod.Post, new Uri(_endpoint, "/"), body, ContentType, [new("X-Amz-Target", $"{targetPrefix}.{operation}")]);
        var response = await context.Transport.SendAsync(call, cancellationToken);
        try
        {
            return JsonSerializer.Deserialize(response.Body, responseType)
                ?? throw new AwsServiceException(service.SigningName, "InvalidResponse", response.StatusCode, $"{operation} returned null.", null);
        }
        catch (JsonException e)
        {
            throw new AwsServiceException(service.SigningName, "InvalidResponse", response.StatusCode, $"{operation} returned malformed JSON: {e.Message}", null);
        }
    }
}

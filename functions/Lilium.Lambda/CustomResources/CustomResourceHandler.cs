using System.Text.Json;
using Lilium.Lambda.Runtime;

namespace Lilium.Lambda.CustomResources;

/// <summary>
/// Runs a custom resource's work and always tells CloudFormation the outcome: a failure becomes a
/// <c>FAILED</c> response with the reason (the stack rolls back and shows it) instead of a Lambda
/// error, which would leave CloudFormation waiting for an hour. Only an event that is not a custom
/// resource request, or a response that cannot be delivered, is reported as a Lambda error.
/// </summary>
public sealed class CustomResourceHandler(
    Func<CustomResourceRequest, CancellationToken, Task<CustomResourceOutcome>> apply,
    HttpClient http,
    LambdaLog? log = null) : ILambdaHandler
{
    /// <summary>CloudFormation keeps at most 4 KB of a response; the reason is cut well below.</summary>
    private const int MaxReason = 1000;

    public async Task<ReadOnlyMemory<byte>> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        var request = JsonSerializer.Deserialize(invocation.Payload.Span, CustomResourceJsonContext.Default.CustomResourceRequest)
            ?? throw new JsonException("The event is JSON null.");
        if (!Uri.TryCreate(request.ResponseUrl, UriKind.Absolute, out var responseUrl) || responseUrl.Scheme is not ("https" or "http"))
        {
            throw new JsonException("ResponseURL is not an absolute http(s) URL.");
        }

        CustomResourceResponse response;
        try
        {
            var outcome = await apply(request, cancellationToken);
            response = Response(request, "SUCCESS", null, outcome.PhysicalResourceId, outcome.Data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log?.Error("custom resource " + request.LogicalResourceId + " " + request.RequestType + " failed", e);
            var reason = $"{e.GetType().Name}: {e.Message}";
            response = Response(request, "FAILED", reason.Length > MaxReason ? reason[..MaxReason] : reason,
                request.PhysicalResourceId ?? invocation.RequestId, null);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(response, CustomResourceJsonContext.Default.CustomResourceResponse);
        using var content = new ByteArrayContent(body);

        // The URL is pre-signed without a content type: sending one would break the signature.
        content.Headers.ContentType = null;
        content.Headers.ContentLength = body.Length;
        using var put = await http.PutAsync(responseUrl, content, cancellationToken);
        if (!put.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"CloudFormation's response URL answered {(int)put.StatusCode} {put.ReasonPhrase}.");
        }

        log?.Info($"custom resource {request.LogicalResourceId} {request.RequestType}: {response.Status}");
        return body;
    }

    private static CustomResourceResponse Response(CustomResourceRequest request, string status, string? reason, string physicalId, IReadOnlyDictionary<string, string>? data) => new()
    {
        Status = status,
        Reason = reason,
        PhysicalResourceId = physicalId,
        StackId = request.StackId,
        RequestId = request.RequestId,
        LogicalResourceId = request.LogicalResourceId,
        Data = data,
    };
}

using System.Text.Json;
using Lilium.Lambda.Events;
using Lilium.Lambda.Runtime;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;

namespace Lilium.Lambda.AspNetCore;

/// <summary>
/// Feeds each HTTP API 2.0 event through the ASP.NET Core pipeline and returns its response as a
/// 2.0 payload. An application exception before the response started becomes a bare 500, or the
/// status of a <see cref="BadHttpRequestException"/> (as Kestrel does); an event that is not an HTTP API event is answered with a 400 problem document.
/// </summary>
internal sealed class HttpApiV2Handler<TContext>(IHttpApplication<TContext> application, LambdaLog log) : ILambdaHandler
    where TContext : notnull
{
    public async Task<ReadOnlyMemory<byte>> HandleAsync(LambdaInvocation invocation, CancellationToken cancellationToken)
    {
        HttpApiV2Request? request;
        try
        {
            request = JsonSerializer.Deserialize(invocation.Payload.Span, LambdaEventsJsonContext.Default.HttpApiV2Request);
        }
        catch (JsonException e)
        {
            return Serialize(Problem("The event is not valid JSON: " + e.Message));
        }

        var features = new LambdaHttpFeatures(cancellationToken);
        if (request is null)
        {
            return Serialize(Problem("The event is JSON null."));
        }

        if (!HttpApiV2Mapper.TryApplyRequest(request, features, out var problem))
        {
            return Serialize(Problem(problem ?? "The event is not an HTTP API request."));
        }

        var context = application.CreateContext(features.Collection);
        Exception? failure = null;
        try
        {
            await application.ProcessRequestAsync(context);
        }
        catch (Exception e)
        {
            failure = e;
            log.Error("Unhandled exception in the request pipeline", e);
            if (!features.HasStarted)
            {
                features.ResetResponse();
                // As Kestrel: a BadHttpRequestException (e.g. 413 from the body size limit) keeps its status.
                features.StatusCode = e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError;
            }
        }

        var body = await features.FinishAsync();
        var response = HttpApiV2Mapper.BuildResponse(features, body);
        await features.RunOnCompletedAsync();
        application.DisposeContext(context, failure);
        return Serialize(response);
    }

    private static byte[] Serialize(HttpApiV2Response response) =>
        JsonSerializer.SerializeToUtf8Bytes(response, LambdaEventsJsonContext.Default.HttpApiV2Response);

    private static HttpApiV2Response Problem(string detail) => new()
    {
        StatusCode = StatusCodes.Status400BadRequest,
        Headers = new Dictionary<string, string> { ["Content-Type"] = "application/problem+json" },
        Body = JsonSerializer.Serialize(new ProblemBody("Bad Lambda event", 400, detail), LambdaAspNetJsonContext.Default.ProblemBody),
    };
}

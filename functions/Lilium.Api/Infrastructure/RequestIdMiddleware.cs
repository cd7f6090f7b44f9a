using System.Diagnostics;
using Lilium.Protocol.Http;

namespace Lilium.Api.Infrastructure;

/// <summary>
/// Gives every request its id (<see cref="RequestIds.Choose"/>): <see cref="HttpContext.TraceIdentifier"/>, the
/// <c>X-Request-Id</c> response header (set as the response starts, so an error page written after the exception
/// handler cleared the headers carries it too) and, through the problem-details customisation, the problem's
/// <c>requestId</c>.
/// </summary>
internal static class RequestIdMiddleware
{
    public static Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var activity = Activity.Current;
        var id = RequestIds.Choose(context.Request.Headers[RequestIds.Header] is [{ } incoming] ? incoming : null, activity);
        context.TraceIdentifier = id;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("lilium.request_id", id);
        }

        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[RequestIds.Header] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}

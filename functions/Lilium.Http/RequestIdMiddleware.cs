using System.Diagnostics;
using Lilium.Protocol.Http;
using Microsoft.AspNetCore.Http;

namespace Lilium.Http;

/// <summary>
/// Gives every request its id (<see cref="RequestIds.Choose"/>): <see cref="HttpContext.TraceIdentifier"/>, the
/// <c>X-Request-Id</c> response header (set as the response starts, so an error page written after the exception
/// handler cleared the headers carries it too) and, through <see cref="AddToProblem"/>, the problem's
/// <c>requestId</c>. Used by the API and the relay: <c>app.Use(RequestIdMiddleware.InvokeAsync)</c> first in the
/// pipeline, and <c>AddProblemDetails(o =&gt; o.CustomizeProblemDetails = RequestIdMiddleware.AddToProblem)</c>.
/// </summary>
public static class RequestIdMiddleware
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

    /// <summary>Puts the request's id in a problem as its <c>requestId</c> extension member.</summary>
    public static void AddToProblem(Microsoft.AspNetCore.Http.ProblemDetailsContext context) =>
        context.ProblemDetails.Extensions[RequestIds.ProblemMember] = context.HttpContext.TraceIdentifier;
}

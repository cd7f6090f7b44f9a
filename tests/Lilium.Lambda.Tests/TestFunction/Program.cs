using System.Text;
using System.Text.Json;
using Lilium.Lambda;
using Lilium.Lambda.Runtime;
using Microsoft.AspNetCore.Http.Features;

// Modes (first argument):
//   raw        the Runtime API loop with a raw handler: echoes the invocation as JSON;
//              payload "throw" throws, payload "wait" waits for the deadline token.
//   init-fail  initialisation throws.
//   aspnet     an ASP.NET Core app served through UseLambdaHttpApi.
var mode = args.Length > 0 ? args[0] : "raw";
if (mode == "aspnet")
{
    var builder = WebApplication.CreateSlimBuilder(args);
    if (LambdaEnvironment.IsLambda)
    {
        builder.WebHost.UseLambdaHttpApi();
    }

    var app = builder.Build();
    app.Use(async (context, next) =>
    {
        context.Response.OnStarting(() =>
        {
            context.Response.Headers["X-Started"] = "yes";
            return Task.CompletedTask;
        });
        if (context.Request.Path.StartsWithSegments("/small"))
        {
            context.Features.Get<IHttpMaxRequestBodySizeFeature>()!.MaxRequestBodySize = 16;
        }

        await next(context);
    });
    app.MapGet("/hello", () => "hello from lambda");
    app.MapGet("/request", (HttpContext c) => string.Join('|',
        c.Request.Method,
        c.Request.Scheme,
        c.Request.PathBase.Value,
        c.Request.Path.Value,
        c.Request.QueryString.Value,
        c.Request.Query["q"].ToString(),
        c.Request.Headers.Cookie.ToString(),
        c.Request.Cookies["a"],
        c.Request.Headers["X-Multi"].ToString(),
        c.Connection.RemoteIpAddress?.ToString(),
        c.TraceIdentifier,
        Environment.GetEnvironmentVariable("_X_AMZN_TRACE_ID")));
    app.MapPost("/echo", async (HttpContext c) =>
    {
        using var buffer = new MemoryStream();
        await c.Request.Body.CopyToAsync(buffer);
        return Results.Bytes(buffer.ToArray(), c.Request.ContentType ?? "application/octet-stream");
    });
    app.MapPost("/small", async (HttpContext c) =>
    {
        using var buffer = new MemoryStream();
        await c.Request.Body.CopyToAsync(buffer);
        return Results.Ok();
    });
    app.MapGet("/cookies", (HttpContext c) =>
    {
        c.Response.Cookies.Append("a", "1");
        c.Response.Cookies.Append("b", "2", new CookieOptions { HttpOnly = true });
        c.Response.Headers.Append("X-Many", new(["x", "y"]));
        return Results.NoContent();
    });
    app.MapGet("/fail", IResult () => throw new InvalidOperationException("handler failed"));
    app.MapGet("/json", () => Results.Json(new Reply("é✓", 42), ReplyJson.Default.Reply));
    await app.RunAsync();
    return 0;
}

var runtime = LambdaRuntime.FromEnvironment();
return await runtime.RunAsync(
    async ct =>
    {
        await Task.Yield();
        if (mode == "init-fail")
        {
            throw new InvalidOperationException("cannot read configuration");
        }

        return LambdaHandler.FromDelegate(async (invocation, token) =>
        {
            var text = Encoding.UTF8.GetString(invocation.Payload.Span);
            runtime.Log.Info("handling " + text);
            switch (text)
            {
                case "throw":
                    throw new ArgumentException("bad payload");
                case "wait":
                    await Task.Delay(Timeout.Infinite, token);
                    break;
            }

            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("requestId", invocation.RequestId);
                json.WriteString("payload", text);
                json.WriteString("functionArn", invocation.InvokedFunctionArn);
                json.WriteString("traceEnv", Environment.GetEnvironmentVariable(LambdaEnvironment.TraceIdVariable));
                json.WriteNumber("deadlineMs", invocation.Deadline.ToUnixTimeMilliseconds());
                json.WriteEndObject();
            }

            return buffer.WrittenMemory;
        });
    },
    CancellationToken.None);

internal sealed record Reply(string Text, int Number);

[System.Text.Json.Serialization.JsonSerializable(typeof(Reply))]
internal sealed partial class ReplyJson : System.Text.Json.Serialization.JsonSerializerContext;

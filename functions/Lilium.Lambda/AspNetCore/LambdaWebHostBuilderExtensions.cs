using Lilium.Lambda.AspNetCore;
using Lilium.Lambda.Runtime;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Runs an ASP.NET Core application as a Lambda function behind an API Gateway HTTP API (payload 2.0).</summary>
public static class LambdaWebHostBuilderExtensions
{
    /// <summary>
    /// Replaces Kestrel with the Lambda HTTP API server and the loggers with JSON lines on stdout.
    /// Use as <c>if (LambdaEnvironment.IsLambda) builder.WebHost.UseLambdaHttpApi();</c>
    /// </summary>
    public static IWebHostBuilder UseLambdaHttpApi(this IWebHostBuilder builder) =>
        builder
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services =>
            {
                // With telemetry export configured (FunctionTelemetry), flush after each invocation's response.
                services.AddSingleton(sp => LambdaRuntime.FromEnvironment(sp.GetService<Lilium.Lambda.Observability.TelemetryFlush>() is { } telemetry ? telemetry.Flush : null));
                services.AddSingleton<ILoggerProvider>(sp => new LambdaLoggerProvider(sp.GetRequiredService<LambdaRuntime>().Log));
                services.AddSingleton<IServer, LambdaHttpApiServer>();
            });
}

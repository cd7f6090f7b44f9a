using System.Globalization;
using Lilium.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Lilium.Lambda.Tests;

/// <summary>
/// The ECS/Fargate task credentials endpoint (<c>AWS_CONTAINER_CREDENTIALS_FULL_URI</c>) on loopback:
/// answers <c>{AccessKeyId, SecretAccessKey, Token, Expiration}</c> to requests that carry the
/// authorization token, 401 otherwise (REFERENCE B5; task-iam-roles.md).
/// </summary>
internal sealed class ContainerCredentialsEndpoint : IAsyncDisposable
{
    public const string AuthorizationToken = "lilium-container-token";

    private readonly WebApplication _app;
    private int _requests;

    private ContainerCredentialsEndpoint(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>Authorized requests served.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<ContainerCredentialsEndpoint> StartAsync()
    {
        var app = LoopbackWebApp.Create();
        var endpoint = new ContainerCredentialsEndpoint(app);
        app.MapGet("/v2/credentials/task", endpoint.Serve);
        await app.StartAsync();
        endpoint.Url = app.Urls.First().TrimEnd('/') + "/v2/credentials/task";
        return endpoint;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private IResult Serve(HttpContext context)
    {
        if (context.Request.Headers.Authorization != AuthorizationToken)
        {
            return Results.StatusCode(StatusCodes.Status401Unauthorized);
        }

        Interlocked.Increment(ref _requests);
        return Results.Text(
            $$"""{"AccessKeyId":"ASIATESTCONTAINER","SecretAccessKey":"container-secret","Token":"container-session-token","Expiration":"{{DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}}"}""",
            "application/json");
    }
}

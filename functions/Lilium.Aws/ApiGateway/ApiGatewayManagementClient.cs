using System.Net;
using System.Text.Json;
using Lilium.Aws.Protocol;
using Lilium.Aws.Signing;

namespace Lilium.Aws.ApiGateway;

/// <summary>
/// The API Gateway WebSocket management API (<c>@connections</c>), REST with SigV4 service
/// <c>execute-api</c>. The endpoint is the stage URL, <c>https://{api-id}.execute-api.{region}.amazonaws.com/{stage}</c>
/// (the region for signing is taken from that host), or a local gateway's URL.
/// A 410 becomes <see cref="GoneException"/>: the connection is gone and should be forgotten.
/// </summary>
public sealed class ApiGatewayManagementClient
{
    /// <summary>The largest message PostToConnection accepts (128 KiB).</summary>
    public const int MaxPayloadBytes = 131072;

    private readonly AwsContext _context;
    private readonly string _baseUrl;
    private readonly SigningScope _scope;

    public ApiGatewayManagementClient(AwsContext context, Uri endpoint)
    {
        if (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException("The management endpoint must be an absolute http(s) URL.", nameof(endpoint));
        }

        _context = context;
        _baseUrl = endpoint.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _scope = new SigningScope(RegionOf(endpoint) ?? context.Settings.RequireRegion(), AwsService.ApiGatewayManagementApi.SigningName);
    }

    /// <summary>Sends <paramref name="data"/> to the client of <paramref name="connectionId"/>.</summary>
    /// <exception cref="GoneException">The connection is gone.</exception>
    /// <exception cref="AwsServiceException">Other errors (403 Forbidden, 413 PayloadTooLarge, 429 LimitExceeded).</exception>
    public async Task PostToConnectionAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.Length > MaxPayloadBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(data), $"A WebSocket message is at most {MaxPayloadBytes} bytes; this one has {data.Length}.");
        }

        await SendAsync(HttpMethod.Post, connectionId, data, cancellationToken);
    }

    /// <summary>Like <see cref="PostToConnectionAsync"/>, but returns false instead of throwing when the connection is gone.</summary>
    public async Task<bool> TryPostToConnectionAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        try
        {
            await PostToConnectionAsync(connectionId, data, cancellationToken);
            return true;
        }
        catch (GoneException)
        {
            return false;
        }
    }

    /// <summary>When the connection was opened and last active, and its client's address.</summary>
    /// <exception cref="GoneException">The connection is gone.</exception>
    public async Task<ConnectionInfo> GetConnectionAsync(string connectionId, CancellationToken cancellationToken = default)
    {
        var response = await SendAsync(HttpMethod.Get, connectionId, ReadOnlyMemory<byte>.Empty, cancellationToken);
        try
        {
            var wire = JsonSerializer.Deserialize(response.Body, ApiGatewayJsonContext.Default.GetConnectionWire);
            return new ConnectionInfo(
                wire is null ? null : GetConnectionWire.ToTime(wire.ConnectedAt),
                wire is null ? null : GetConnectionWire.ToTime(wire.LastActiveAt),
                wire?.Identity?.SourceIp,
                wire?.Identity?.UserAgent);
        }
        catch (JsonException e)
        {
            throw new AwsServiceException("execute-api", "InvalidResponse", response.StatusCode, "GetConnection returned malformed JSON: " + e.Message, null);
        }
    }

    /// <summary>Closes the connection.</summary>
    /// <exception cref="GoneException">It was already gone.</exception>
    public Task DeleteConnectionAsync(string connectionId, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Delete, connectionId, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <summary>The connection URL: <c>@</c> and the id's reserved characters percent-encoded (<c>%40connections</c>, <c>=</c> → <c>%3D</c>).</summary>
    internal Uri ConnectionUri(string connectionId) => new(_baseUrl + "/%40connections/" + Uri.EscapeDataString(connectionId));

    private async Task<AwsResponse> SendAsync(HttpMethod method, string connectionId, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionId);
        var request = new AwsRequest(AwsService.ApiGatewayManagementApi, _scope, method, ConnectionUri(connectionId), body, null, []);
        try
        {
            return await _context.Transport.SendAsync(request, cancellationToken);
        }
        catch (AwsServiceException e) when (e.StatusCode == HttpStatusCode.Gone && e is not GoneException)
        {
            throw new GoneException(connectionId, e.ServiceMessage, e.RequestId);
        }
    }

    /// <summary><c>{api}.execute-api.{region}.amazonaws.com[.cn]</c> → region; anything else → null.</summary>
    private static string? RegionOf(Uri endpoint)
    {
        var labels = endpoint.Host.Split('.');
        return labels.Length >= 5 && labels[1] == "execute-api" && labels[3] == "amazonaws" ? labels[2] : null;
    }
}

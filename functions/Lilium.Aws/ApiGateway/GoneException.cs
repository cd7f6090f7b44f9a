using System.Net;

namespace Lilium.Aws.ApiGateway;

/// <summary>
/// 410 from the <c>@connections</c> API: the WebSocket connection is gone (or not yet established, e.g. a
/// post from inside <c>$connect</c>). The caller should forget the connection.
/// </summary>
public sealed class GoneException(string connectionId, string message, string? requestId)
    : AwsServiceException("execute-api", "GoneException", HttpStatusCode.Gone, message, requestId)
{
    public string ConnectionId { get; } = connectionId;
}

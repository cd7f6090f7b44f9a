using Lilium.Aws.ApiGateway;

namespace Lilium.Signaling.Connections;

/// <summary>The production sender: the <c>@connections</c> management API, SigV4-signed.</summary>
public sealed class ManagementApiSender(ApiGatewayManagementClient client) : IConnectionSender
{
    public Task<bool> SendAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        client.TryPostToConnectionAsync(connectionId, data, cancellationToken);

    public async Task CloseAsync(string connectionId, CancellationToken cancellationToken)
    {
        try
        {
            await client.DeleteConnectionAsync(connectionId, cancellationToken);
        }
        catch (GoneException)
        {
            // already closed
        }
    }
}

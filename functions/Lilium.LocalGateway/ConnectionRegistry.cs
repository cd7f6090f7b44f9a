using System.Collections.Concurrent;
using Lilium.Signaling.Connections;

namespace Lilium.LocalGateway;

/// <summary>The gateway's open connections; also the in-process <see cref="IConnectionSender"/> (PostToConnection).</summary>
public sealed class ConnectionRegistry : IConnectionSender
{
    private readonly ConcurrentDictionary<string, GatewayConnection> _connections = new(StringComparer.Ordinal);

    public int Count => _connections.Count;

    public void Add(GatewayConnection connection) => _connections[connection.Id] = connection;

    public void Remove(string id) => _connections.TryRemove(id, out _);

    public GatewayConnection? Find(string id) => _connections.GetValueOrDefault(id);

    public async Task<bool> SendAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Find(connectionId) is { } c && await c.SendAsync(data, cancellationToken);

    public async Task CloseAsync(string connectionId, CancellationToken cancellationToken)
    {
        if (Find(connectionId) is { } c)
        {
            await c.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, "token expired or revoked");
        }
    }
}

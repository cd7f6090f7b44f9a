namespace Lilium.Signaling.Connections;

/// <summary>Pushes a message to one WebSocket connection (API Gateway's PostToConnection).</summary>
public interface IConnectionSender
{
    /// <returns>False when the connection is gone (HTTP 410): the caller forgets it.</returns>
    Task<bool> SendAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

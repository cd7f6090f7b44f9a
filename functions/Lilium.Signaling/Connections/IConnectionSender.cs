namespace Lilium.Signaling.Connections;

/// <summary>Pushes data to one WebSocket connection (API Gateway's <c>@connections</c>, or the local gateway in process).</summary>
public interface IConnectionSender
{
    /// <returns>False when the connection is gone (HTTP 410): the caller forgets it.</returns>
    Task<bool> SendAsync(string connectionId, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Closes the connection from the server side (<c>DELETE @connections/{id}</c>); its <c>$disconnect</c> follows.</summary>
    Task CloseAsync(string connectionId, CancellationToken cancellationToken);
}

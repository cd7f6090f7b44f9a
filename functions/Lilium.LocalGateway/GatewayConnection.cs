using System.Net.WebSockets;

namespace Lilium.LocalGateway;

/// <summary>
/// One client connection. Sends are serialised (a WebSocket allows one outstanding send). Messages posted while
/// <c>$connect</c> is still running are queued and flushed once the upgrade completes (dropped if it is refused):
/// two friends connecting at once each post presence to the other's half-open connection.
/// </summary>
public sealed class GatewayConnection(string id, string? sourceIp, string? userAgent, DateTimeOffset connectedAt)
{
    private const int MaxQueuedBeforeOpen = 256;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly Lock _state = new();
    private List<byte[]>? _queued = [];
    private WebSocket? _socket;

    public string Id => id;

    public string? SourceIp => sourceIp;

    public string? UserAgent => userAgent;

    public DateTimeOffset ConnectedAt { get; } = connectedAt;

    public DateTimeOffset LastActiveAt { get; set; } = connectedAt;

    /// <summary>Called once the upgrade completed (or with null when <c>$connect</c> refused it).</summary>
    public async Task OpenAsync(WebSocket? socket)
    {
        await _sendLock.WaitAsync();
        try
        {
            List<byte[]> queued;
            lock (_state)
            {
                _socket = socket;
                queued = _queued ?? [];
                _queued = null;
            }

            if (socket is not null)
            {
                foreach (var message in queued)
                {
                    await socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                }
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <returns>False when the connection is not (or no longer) open.</returns>
    public async Task<bool> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        WebSocket? socket;
        lock (_state)
        {
            if (_queued is not null)
            {
                if (_queued.Count >= MaxQueuedBeforeOpen)
                {
                    return false;
                }

                _queued.Add(data.ToArray());
                return true;
            }

            socket = _socket;
        }

        if (socket is null || socket.State != WebSocketState.Open)
        {
            return false;
        }

        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(data, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseAsync(WebSocketCloseStatus status, string reason)
    {
        WebSocket? socket;
        lock (_state)
        {
            socket = _socket;
        }

        if (socket is { State: WebSocketState.Open })
        {
            try
            {
                await socket.CloseOutputAsync(status, reason, CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }
    }
}

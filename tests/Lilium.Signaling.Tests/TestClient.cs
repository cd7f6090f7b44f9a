using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Lilium.Signaling.Tests;

/// <summary>A real WebSocket client that collects the server's JSON messages for assertions.</summary>
public sealed class TestClient : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly ClientWebSocket _socket;
    private readonly Channel<JsonElement> _inbox = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _pending = [];
    private readonly Task _reader;

    private TestClient(ClientWebSocket socket)
    {
        _socket = socket;
        _reader = Task.Run(ReadAsync);
    }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public WebSocket Socket => _socket;

    public static async Task<TestClient> ConnectAsync(Uri uri, string? token, bool viaSubprotocol = false)
    {
        var socket = new ClientWebSocket();
        if (viaSubprotocol)
        {
            socket.Options.AddSubProtocol("lilium.v1");
            socket.Options.AddSubProtocol("token." + token);
        }

        var target = token is null || viaSubprotocol ? uri : new Uri(uri + "?token=" + Uri.EscapeDataString(token));
        await socket.ConnectAsync(target, new CancellationTokenSource(Timeout).Token);
        return new TestClient(socket);
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendAsync(object message) => SendAsync(JsonSerializer.Serialize(message));

    /// <summary>The first message (received or arriving) matching <paramref name="match"/>; other messages stay queued.</summary>
    public async Task<JsonElement> WaitForAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        var index = _pending.FindIndex(m => match(m));
        if (index >= 0)
        {
            var found = _pending[index];
            _pending.RemoveAt(index);
            return found;
        }

        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            var next = await _inbox.Reader.ReadAsync(cts.Token);
            if (match(next))
            {
                return next;
            }

            _pending.Add(next);
        }
    }

    public Task<JsonElement> WaitForAsync(string action, string? id = null) =>
        WaitForAsync(m => Str(m, "action") == action && (id is null || Str(m, "id") == id));

    public async Task<bool> ReceivesWithinAsync(Func<JsonElement, bool> match, TimeSpan window)
    {
        try
        {
            await WaitForAsync(match, window);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A round trip proving the connection is still healthy.</summary>
    public async Task PingAsync()
    {
        var id = Guid.NewGuid().ToString("N");
        await SendAsync(new { v = 1, action = "ping", id });
        await WaitForAsync("pong", id);
    }

    public async Task CloseAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
        }
    }

    public async Task WaitClosedAsync()
    {
        await _reader.WaitAsync(Timeout);
    }

    public static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (WebSocketException)
        {
        }

        _socket.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                using var doc = JsonDocument.Parse(buffer.AsMemory(0, count));
                _inbox.Writer.TryWrite(doc.RootElement.Clone());
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }
}

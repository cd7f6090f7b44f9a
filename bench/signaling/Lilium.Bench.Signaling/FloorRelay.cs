using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lilium.Bench.Signaling;

/// <summary>
/// The same-run floor: a WebSocket relay that does what the local gateway does with a chat message, minus the
/// signaling work. Kestrel with the same settings, the same receive loop (one message at a time per connection), and
/// the same two sends — the message to the friend, then a receipt to the sender — but no API Gateway event, no
/// handler, no lookups: the friend of client <c>i</c> is client <c>i ^ 1</c>, by construction. Its latency is what
/// this machine charges for a message's sockets and thread wake-ups alone.
/// </summary>
internal sealed class FloorRelay : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FloorConnection?[] _connections;
    private readonly int _port;

    public FloorRelay(int port, int clients)
    {
        _port = port;
        _connections = new FloorConnection?[clients];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.Zero });
        _app.Run(ServeAsync);
    }

    public Uri ClientUri(int client) => new($"ws://127.0.0.1:{_port}/floor?client={client}");

    public Task StartAsync() => _app.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ServeAsync(HttpContext http)
    {
        if (!http.WebSockets.IsWebSocketRequest
            || !int.TryParse(http.Request.Query["client"], out var client)
            || (uint)client >= (uint)_connections.Length)
        {
            http.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        var connection = new FloorConnection(socket);
        Volatile.Write(ref _connections[client], connection);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer.AsSpan(0, result.Count));
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var id = MessageId(message.WrittenSpan);
                if (Volatile.Read(ref _connections[client ^ 1]) is { } friend)
                {
                    await friend.SendAsync(message.WrittenMemory);
                }

                message.Clear();
                await connection.SendAsync(Receipt(id));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            Interlocked.CompareExchange(ref _connections[client], null, connection);
        }
    }

    private static string? MessageId(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return null;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
        }

        return null;
    }

    // The shape of the handler's receipt: {"v":1,"action":"chat.receipt","id":…,"to":…,"delivered":1}.
    // Its own writer, not ServerMessages.ChatReceipt: with the handler's pooled writer the floor (allocating ~870 instead
    // of ~1,400 bytes a message) met gen1/gen2 collections of ~140 ms in three runs of three, and its p99 went from ~3 to
    // 90–116 ms; this one keeps the floor a measure of the sockets.
    private static byte[] Receipt(string? id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("v", 1);
            writer.WriteString("action", "chat.receipt");
            writer.WriteString("id", id);
            writer.WriteString("to", Guid.Empty);
            writer.WriteNumber("delivered", 1);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends serialised as the gateway's connection does: a WebSocket allows one send at a time.</summary>
    private sealed class FloorConnection(WebSocket socket)
    {
        private readonly SemaphoreSlim _sendLock = new(1, 1);

        public async Task SendAsync(ReadOnlyMemory<byte> data)
        {
            await _sendLock.WaitAsync();
            try
            {
                await socket.SendAsync(data, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
            finally
            {
                _sendLock.Release();
            }
        }
    }
}

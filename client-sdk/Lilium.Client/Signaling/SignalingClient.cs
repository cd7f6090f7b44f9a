using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Signaling;

/// <summary>
/// The WebSocket API client: connects with a fresh access token, keeps the connection alive
/// (<c>ping</c> every 30 s), reconnects after a drop with exponential backoff and jitter (a new
/// token each time), delivers server messages in order on <see cref="Messages"/>, and correlates
/// requests with their replies by <c>id</c> (<see cref="RequestAsync(WireMessage, TimeSpan?, CancellationToken)"/>).
/// </summary>
public sealed class SignalingClient : IAsyncDisposable
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    private readonly Uri _endpoint;
    private readonly Func<CancellationToken, ValueTask<string>> _token;
    private readonly Channel<SignalingMessage> _messages = Channel.CreateBounded<SignalingMessage>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<SignalingMessage>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private Task _loop = Task.CompletedTask;
    private long _nextId;
    private int _connects;

    private SignalingClient(Uri endpoint, Func<CancellationToken, ValueTask<string>> token)
    {
        _endpoint = endpoint;
        _token = token;
    }

    /// <summary>Messages pushed by the server (and replies), in arrival order.</summary>
    public ChannelReader<SignalingMessage> Messages => _messages.Reader;

    /// <summary>Raised on the receive loop for every pushed message before it is queued (for components such as <see cref="Chat.ChatClient"/>).</summary>
    public event Action<SignalingMessage>? MessageReceived;

    /// <summary>Raised after a reconnect (not the first connect); re-announce state here (e.g. chat handshakes).</summary>
    public event Action? Reconnected;

    /// <summary>How many times a connection was established.</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>True while a connection is open.</summary>
    public bool IsConnected => _socket?.State == WebSocketState.Open;

    /// <summary>
    /// Connects to the WebSocket API (e.g. <c>wss://…/prod</c> or the local gateway's
    /// <c>ws://127.0.0.1:5081/local</c>). The first connection must succeed within
    /// <paramref name="timeout"/>; later drops are retried in the background.
    /// </summary>
    public static async Task<SignalingClient> ConnectAsync(Uri endpoint, Func<CancellationToken, ValueTask<string>> accessToken, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var client = new SignalingClient(endpoint, accessToken);
        try
        {
            await client.OpenAsync(cancellationToken).WaitAsync(timeout ?? TimeSpan.FromSeconds(15), cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException or HttpRequestException)
        {
            await client.DisposeAsync();
            throw new LiliumUnavailableException($"The WebSocket API at {endpoint} cannot be reached: {ex.Message}", ex);
        }

        client._loop = Task.Run(client.RunAsync, CancellationToken.None);
        return client;
    }

    /// <summary>Sends a protocol message (<see cref="ToServer"/>); fire and forget.</summary>
    public Task SendAsync(WireMessage message, CancellationToken cancellationToken = default) =>
        SendBytesAsync(SignalingJson.ToUtf8(message), cancellationToken);

    /// <summary>Sends a message given as JSON (an object with <c>action</c>); fire and forget.</summary>
    public Task SendAsync(JsonObject message, CancellationToken cancellationToken = default)
    {
        message["v"] = SignalingProtocol.Version;
        return SendBytesAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), cancellationToken);
    }

    private async Task SendBytesAsync(byte[] bytes, CancellationToken cancellationToken)
    {
        await _sendGate.WaitAsync(cancellationToken);
        try
        {
            var socket = _socket;
            if (socket is not { State: WebSocketState.Open })
            {
                throw new LiliumUnavailableException("The WebSocket connection is down (reconnecting).");
            }

            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        catch (WebSocketException ex)
        {
            throw new LiliumUnavailableException("The WebSocket connection dropped while sending.", ex);
        }
        finally
        {
            _sendGate.Release();
        }
    }

    /// <summary>
    /// Sends a protocol request (<see cref="ToServer"/>) with a fresh <c>id</c> and waits for the reply carrying it;
    /// an <c>error</c> reply throws <see cref="SignalingErrorException"/>.
    /// </summary>
    public Task<SignalingMessage> RequestAsync(WireMessage message, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(id => SendAsync(message with { Id = id }, cancellationToken), timeout, cancellationToken);

    /// <summary>
    /// Sends a request given as JSON with a fresh <c>id</c> and waits for the reply carrying it; an <c>error</c>
    /// reply throws <see cref="SignalingErrorException"/>.
    /// </summary>
    public Task<SignalingMessage> RequestAsync(JsonObject message, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        RequestAsync(id =>
        {
            message["id"] = id;
            return SendAsync(message, cancellationToken);
        }, timeout, cancellationToken);

    private async Task<SignalingMessage> RequestAsync(Func<string, Task> send, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var id = "c" + Interlocked.Increment(ref _nextId);
        var reply = new TaskCompletionSource<SignalingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = reply;
        try
        {
            await send(id);
            var answer = await reply.Task.WaitAsync(timeout ?? TimeSpan.FromSeconds(10), cancellationToken);
            return answer.Action == Actions.Error
                ? throw new SignalingErrorException(answer.ErrorCode ?? "error", answer.String("message") ?? "The server refused the request.")
                : answer;
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <summary>Waits for the next pushed message with this action (others stay queued for <see cref="Messages"/> readers).</summary>
    public async Task<SignalingMessage> WaitForAsync(Func<SignalingMessage, bool> match, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var skipped = new List<SignalingMessage>();
        try
        {
            while (true)
            {
                var message = await _messages.Reader.ReadAsync(deadline.Token);
                if (match(message))
                {
                    return message;
                }

                skipped.Add(message);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("No matching signaling message in time.");
        }
        finally
        {
            foreach (var m in skipped)
            {
                _messages.Writer.TryWrite(m);
            }
        }
    }

    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        var token = await _token(cancellationToken);
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol(SignalingProtocol.Subprotocol);
        socket.Options.AddSubProtocol("token." + token);
        socket.Options.KeepAliveInterval = TimeSpan.Zero; // our own ping: API Gateway ignores WebSocket pings for idleness
        await socket.ConnectAsync(_endpoint, cancellationToken);
        _socket?.Dispose();
        _socket = socket;
        if (Interlocked.Increment(ref _connects) > 1)
        {
            Reconnected?.Invoke();
        }

        _firstConnect.TrySetResult();
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        while (!_stop.IsCancellationRequested)
        {
            if (_socket is { State: WebSocketState.Open } socket)
            {
                attempt = 0;
                using var pinger = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var ping = PingAsync(pinger.Token);
                await ReceiveAsync(socket);
                await pinger.CancelAsync();
                await ping;
                continue;
            }

            // Reconnect: exponential backoff with full jitter (0.5 s, 1 s, 2 s … ≤ 30 s).
            var ceiling = Math.Min(MaxBackoff.TotalMilliseconds, 500 * Math.Pow(2, attempt++));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling), _stop.Token);
                await OpenAsync(_stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception ex) when (ex is WebSocketException or HttpRequestException or LiliumException)
            {
                // try again
            }
        }
    }

    private async Task PingAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(KeepAlive, cancellationToken);
                await SendAsync(new ToServer.Ping(), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or LiliumException)
        {
        }
    }

    private async Task ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                Deliver(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    private void Deliver(byte[] utf8)
    {
        JsonElement json;
        try
        {
            using var doc = JsonDocument.Parse(utf8);
            json = doc.RootElement.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var message = new SignalingMessage(json);
        if (message.Action == Actions.Pong)
        {
            return;
        }

        if (message.Id is { } id && _pending.TryRemove(id, out var waiter))
        {
            waiter.TrySetResult(message);
            return;
        }

        MessageReceived?.Invoke(message);
        _messages.Writer.TryWrite(message);
    }

    /// <summary>Closes the connection and stops reconnecting.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_socket is { State: WebSocketState.Open } socket)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }

        await _loop;
        _socket?.Dispose();
        _messages.Writer.TryComplete();
        _stop.Dispose();
        _sendGate.Dispose();
    }
}

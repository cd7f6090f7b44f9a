using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Lilium.Client.Signaling;
using Lilium.Protocol.Signaling;

namespace Lilium.Client.Chat;

/// <summary>One decrypted chat message.</summary>
/// <param name="From">The friend who sent it.</param>
/// <param name="Text">The plaintext.</param>
/// <param name="MessageId">The sender's message id.</param>
public sealed record ChatMessage(Guid From, string Text, string? MessageId);

/// <summary>
/// End-to-end encrypted chat over the WebSocket API: handshakes (<c>chat.hello</c> carrying hello
/// or ack), ciphertext (<c>chat.msg</c>), delivery receipts and read acks. The server relays base64
/// it cannot read. Friends' identity keys come from <paramref name="pinnedKey"/> (the app pins them
/// when the friendship is made; a changed key fails every handshake).
/// </summary>
/// <param name="signaling">The connected WebSocket client.</param>
/// <param name="me">This user's identity.</param>
/// <param name="pinnedKey">The pinned identity key (SPKI) of a friend.</param>
public sealed class ChatClient(SignalingClient signaling, ChatIdentity me, Func<Guid, CancellationToken, Task<byte[]>> pinnedKey) : IDisposable
{
    private readonly ConcurrentDictionary<Guid, ChatSession> _sessions = new();
    private readonly ConcurrentDictionary<Guid, (ChatHandshakes.Pending Pending, TaskCompletionSource<ChatSession> Done)> _opening = new();
    private readonly Channel<ChatMessage> _inbox = Channel.CreateUnbounded<ChatMessage>();
    private readonly ConcurrentQueue<Task> _background = new();
    private bool _started;

    /// <summary>Decrypted messages from friends, in arrival order.</summary>
    public ChannelReader<ChatMessage> Messages => _inbox.Reader;

    /// <summary>Messages dropped because they did not verify (forged, replayed, unknown session).</summary>
    public int Rejected { get; private set; }

    /// <summary>Starts handling chat messages from the signaling connection.</summary>
    public ChatClient Start()
    {
        if (!_started)
        {
            _started = true;
            signaling.MessageReceived += OnMessage;
            signaling.Reconnected += () => _sessions.Clear(); // a new connection gets new session keys
        }

        return this;
    }

    /// <summary>Opens (or reuses) an encrypted session with the friend; the friend must be online.</summary>
    public async Task OpenAsync(Guid friend, CancellationToken cancellationToken = default)
    {
        if (_sessions.ContainsKey(friend))
        {
            return;
        }

        var key = await pinnedKey(friend, cancellationToken);
        var pending = ChatHandshakes.Initiate(me, friend, key);
        var done = new TaskCompletionSource<ChatSession>(TaskCreationOptions.RunContinuationsAsynchronously);
        _opening[friend] = (pending, done);
        try
        {
            await signaling.RequestAsync(new ToServer.ChatHello(friend, Convert.ToBase64String(pending.Hello.ToBytes())), cancellationToken: cancellationToken);
            _sessions[friend] = await done.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new LiliumException("The friend did not answer the chat handshake (offline, or their key is not the one pinned).", ex);
        }
        finally
        {
            _opening.TryRemove(friend, out _);
            pending.Dispose();
        }
    }

    /// <summary>Encrypts and sends; returns how many of the friend's devices received it.</summary>
    public async Task<int> SendAsync(Guid friend, string text, CancellationToken cancellationToken = default)
    {
        await OpenAsync(friend, cancellationToken);
        var session = _sessions[friend];
        var ciphertext = session.Seal(Encoding.UTF8.GetBytes(text));
        var receipt = await signaling.RequestAsync(new ToServer.ChatMsg(friend, Convert.ToBase64String(ciphertext)), cancellationToken: cancellationToken);
        return receipt.As<ToClient.ChatReceipt>()?.Delivered ?? 0;
    }

    private void OnMessage(SignalingMessage message)
    {
        switch (message.Action)
        {
            case Actions.ChatHello when message.As<ToClient.ChatHello>() is { } hello:
                _background.Enqueue(OnHandshakeAsync(hello.From, hello.Key));
                break;
            case Actions.ChatMsg when message.As<ToClient.ChatMsg>() is { } chat:
                OnCiphertext(chat.From, chat.Ciphertext, chat.MsgId);
                break;
        }
    }

    private async Task OnHandshakeAsync(Guid from, string key)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(key);
        }
        catch (FormatException)
        {
            Rejected++;
            return;
        }

        if (ChatHandshake.TryParse(bytes, ChatPayloadType.Ack, out var ack) && _opening.TryGetValue(from, out var opening))
        {
            if (opening.Pending.Complete(ack!) is { } session)
            {
                opening.Done.TrySetResult(session);
            }
            else
            {
                Rejected++;
            }

            return;
        }

        if (ChatHandshake.TryParse(bytes, ChatPayloadType.Hello, out var hello))
        {
            try
            {
                var peerKey = await pinnedKey(from, CancellationToken.None);
                if (ChatHandshakes.Respond(me, from, peerKey, hello!) is not { } answer)
                {
                    Rejected++;
                    return;
                }

                _sessions[from] = answer.Session;
                await signaling.SendAsync(new ToServer.ChatHello(from, Convert.ToBase64String(answer.Ack.ToBytes())));
            }
            catch (LiliumException)
            {
                Rejected++;
            }
        }
    }

    private void OnCiphertext(Guid from, string ciphertext, string? messageId)
    {
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(ciphertext);
        }
        catch (FormatException)
        {
            Rejected++;
            return;
        }

        if (!_sessions.TryGetValue(from, out var session) || session.TryOpen(bytes, out var plaintext) != ChatOpenResult.Ok)
        {
            Rejected++;
            return;
        }

        _inbox.Writer.TryWrite(new ChatMessage(from, Encoding.UTF8.GetString(plaintext), messageId));
        if (messageId is not null)
        {
            _background.Enqueue(AckAsync(from, messageId));
        }
    }

    private async Task AckAsync(Guid to, string messageId)
    {
        try
        {
            await signaling.SendAsync(new ToServer.ChatAck(to, messageId));
        }
        catch (LiliumException)
        {
        }
    }

    /// <summary>Stops handling and forgets every session key.</summary>
    public void Dispose()
    {
        signaling.MessageReceived -= OnMessage;
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _sessions.Clear();
        _inbox.Writer.TryComplete();
    }
}

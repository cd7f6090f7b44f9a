using System.Diagnostics;
using System.Text.Json.Nodes;
using Lilium.Protocol;
using Lilium.Client;
using Lilium.Client.Api;
using Lilium.Client.Chat;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Input;
using Spectre.Console;
using Lilium.Protocol.Signaling;

namespace Lilium.Cli;

/// <summary>
/// <c>lilium demo</c> (and <c>make demo</c>): two new users against the configured stack — register,
/// befriend, see each other online, chat end to end, one hosts a test pattern, the other joins and
/// receives frames, input is granted, used and revoked — printed as a transcript.
/// </summary>
internal sealed class Demo(CliProfile profile, IAnsiConsole console)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async Task RunAsync(CancellationToken ct)
    {
        var suffix = Random.Shared.Next(1000, 9999);
        Say("setup", $"API {profile.ApiUrl}, WebSocket {profile.WebSocketUrl}");
        await using var alice = await User.CreateAsync(profile, "alice" + suffix, ct);
        await using var bob = await User.CreateAsync(profile, "bob" + suffix, ct);
        Say("alice", $"registered as {alice.Nickname}, key fingerprint {alice.Identity.Fingerprint[..16]}…");
        Say("bob", $"registered as {bob.Nickname}, key fingerprint {bob.Identity.Fingerprint[..16]}…");

        Say("alice", $"asks {bob.Nickname} to be friends: {await alice.Api.RequestFriendAsync(bob.Id, ct)}");
        Say("bob", $"accepts: {await bob.Api.AcceptFriendAsync(alice.Id, ct)}");

        await alice.ConnectAsync(profile, ct);
        await bob.ConnectAsync(profile, ct);
        await alice.Signaling.WaitForAsync(m => m.Action == "presence" && m.Guid("user") == bob.Id && m.Bool("online") == true, TimeSpan.FromSeconds(10), ct);
        Say("alice", $"sees {bob.Nickname} come online");

        Say("alice", $"→ bob: \"movie night at 8?\" (delivered to {await alice.Chat.SendAsync(bob.Id, "movie night at 8?", ct)} device)");
        Say("bob", $"reads \"{(await bob.Chat.Messages.ReadAsync(ct)).Text}\" (decrypted on bob's side; the server relayed only ciphertext)");
        Say("bob", $"→ alice: \"sure, share your screen\" (delivered to {await bob.Chat.SendAsync(alice.Id, "sure, share your screen", ct)} device)");
        Say("alice", $"reads \"{(await alice.Chat.Messages.ReadAsync(ct)).Text}\"");

        var session = await alice.Api.CreateSessionAsync(cancellationToken: ct);
        var hostGrant = await alice.Api.IssueRelayGrantAsync(session.Id, ct);
        Say("alice", $"starts session {session.Id}");
        var join = await bob.Signaling.RequestAsync(new ToServer.JoinRequest(session.Id, alice.Id), cancellationToken: ct);
        Say("bob", $"asks to join: {join.Action}");
        var incoming = (await alice.Signaling.WaitForAsync(m => m.Action == Actions.JoinIncoming, TimeSpan.FromSeconds(10), ct)).As<ToClient.JoinIncoming>()!;
        await alice.Signaling.RequestAsync(new ToServer.JoinAccept(incoming.RequestId), cancellationToken: ct);
        Say("alice", $"accepts {incoming.Nick}");
        var admitted = (await bob.Signaling.WaitForAsync(m => m.Action == Actions.JoinAccepted && m.Guid("session") == session.Id, TimeSpan.FromSeconds(10), ct)).As<ToClient.JoinAccepted>()!;
        var relay = Environment.GetEnvironmentVariable("LILIUM_RELAY_URL") is { Length: > 0 } r ? new Uri(r) : new Uri(admitted.RelayUrl!);
        Say("bob", $"admitted, relay grant until {DateTimeOffset.FromUnixTimeSeconds(admitted.ExpiresAt ?? 0):HH:mm:ss}Z, relay {relay}");

        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, relay, session.Id, hostGrant.Token, cancellationToken: ct);
        await using var source = FfmpegVp8Source.TestPattern(640, 360, 30);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var sending = Task.Run(async () =>
        {
            try
            {
                await foreach (var frame in source.ReadFramesAsync(stop.Token))
                {
                    publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        Say("alice", "publishes a 640x360 VP8 test pattern at 30 fps (WHIP)");

        await using var viewer = await MediaViewer.ConnectAsync(http, relay, session.Id, admitted.Grant!, cancellationToken: ct);
        var watch = Stopwatch.StartNew();
        var frames = 0;
        long bytes = 0;
        var keyframes = 0;
        while (frames < 100)
        {
            var frame = await viewer.VideoFrames.ReadAsync(ct);
            frames++;
            bytes += frame.Data.Length;
            keyframes += frame.IsKeyframe ? 1 : 0;
        }

        var stats = viewer.VideoStats;
        Say("bob", $"received {frames} frames in {watch.Elapsed.TotalSeconds:F1} s ({bytes / 1024} KiB, {keyframes} keyframes, {stats.Packets} packets, {stats.Nacks} NACKed) (WHEP)");

        var grant = InputPermissions.Mouse | InputPermissions.Keyboard;
        await alice.Api.SetGrantsAsync(bob.Id, grant, ct);
        await alice.Signaling.RequestAsync(new ToServer.GrantUpdate(bob.Id, PermissionSet.From(grant), session.Id), cancellationToken: ct);
        await publisher.SetViewerGrantAsync(bob.Id, grant, ct);
        var pushed = await bob.Signaling.WaitForAsync(m => m.Action == Actions.GrantUpdated, TimeSpan.FromSeconds(10), ct);
        Say("alice", $"grants bob {grant}; bob is told: {pushed.Json.GetProperty("permissions").GetRawText()}");

        var inputs = publisher.ReadInputAsync(ct).GetAsyncEnumerator(ct);
        viewer.SendInput(new MouseMoveEvent(false, 32768, 16384));
        viewer.SendInput(new KeyEvent(true, 0x0B, KeyModifiers.None)); // 'h'
        viewer.SendInput(new KeyEvent(false, 0x0B, KeyModifiers.None));
        for (var i = 0; i < 3 && await inputs.MoveNextAsync(); i++)
        {
            Say("alice", $"input from bob: {inputs.Current.Event}");
        }

        var applied = await publisher.SetViewerGrantAsync(bob.Id, InputPermissions.None, ct);
        Say("alice", $"revokes bob's input at the relay (in force for {applied.ConnectedPeers} connection)");
        viewer.SendInput(new MouseMoveEvent(false, 1, 1));
        var late = inputs.MoveNextAsync().AsTask();
        Say("alice", await Task.WhenAny(late, Task.Delay(500, ct)) == late ? "[red]an event got through after the revoke![/]" : "nothing more arrives from bob (the relay drops it)");

        await stop.CancelAsync();
        await sending;
        await alice.Signaling.RequestAsync(new ToServer.SessionEnd(session.Id), cancellationToken: ct);
        await bob.Signaling.WaitForAsync(m => m.Action == Actions.SessionEnded, TimeSpan.FromSeconds(10), ct);
        Say("bob", "hears the session end");
        Say("done", $"everything above went through the API, the WebSocket API and the media relay in {_clock.Elapsed.TotalSeconds:F1} s");
    }

    private void Say(string who, string what) =>
        console.MarkupLine($"[grey]{_clock.Elapsed.TotalSeconds,6:F2}s[/] [bold]{who,-6}[/] {(what.Contains("[red]", StringComparison.Ordinal) ? what : Markup.Escape(what))}");

    private sealed class User(LiliumIdentity identity, LiliumApiClient api, UserInfo info) : IAsyncDisposable
    {
        public LiliumIdentity Identity { get; } = identity;

        public LiliumApiClient Api { get; } = api;

        public Guid Id => info.Id;

        public string Nickname => info.Nickname;

        public SignalingClient Signaling { get; private set; } = null!;

        public ChatClient Chat { get; private set; } = null!;

        public static async Task<User> CreateAsync(CliProfile profile, string nickname, CancellationToken ct)
        {
            var identity = LiliumIdentity.Create();
            var api = new LiliumApiClient(profile.ApiUrl, identity);
            var info = await api.RegisterAsync(nickname, ct);
            await api.LoginAsync(ct);
            return new User(identity, api, info);
        }

        public async Task ConnectAsync(CliProfile profile, CancellationToken ct)
        {
            Signaling = await SignalingClient.ConnectAsync(profile.WebSocketUrl, Api.GetAccessTokenAsync, cancellationToken: ct);
            Chat = new ChatClient(Signaling, new ChatIdentity(Id, Identity.Key), async (friend, token) =>
                Convert.FromBase64String((await Api.GetUserAsync(friend, token)).PublicKey)).Start();
        }

        public async ValueTask DisposeAsync()
        {
            Chat?.Dispose();
            if (Signaling is not null)
            {
                await Signaling.DisposeAsync();
            }

            Api.Dispose();
            Identity.Dispose();
        }
    }
}

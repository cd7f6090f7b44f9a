using System.Diagnostics;
using System.Text.Json.Nodes;
using Lilium.Client;
using Lilium.Client.Api;
using Lilium.Client.Capture;
using Lilium.Client.Chat;
using Lilium.Client.Codecs;
using Lilium.Client.Injection;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Input;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;
using Spectre.Console;

namespace Lilium.Cli;

/// <summary>The CLI's commands, each a thin script over the SDK.</summary>
internal sealed class Commands(CliProfile profile, IAnsiConsole console)
{
    public Task IdNewAsync(bool force)
    {
        if (File.Exists(profile.IdentityPath) && !force)
        {
            throw new LiliumException($"{profile.IdentityPath} exists; --force replaces it (the old key is lost).");
        }

        using var identity = LiliumIdentity.Create();
        identity.Save(profile.IdentityPath);
        console.MarkupLine($"[green]new identity[/] {Markup.Escape(profile.IdentityPath)}");
        console.MarkupLine($"fingerprint [bold]{identity.Fingerprint}[/] (compare it with friends out of band)");
        return Task.CompletedTask;
    }

    public Task IdShowAsync()
    {
        using var identity = profile.LoadIdentity();
        console.MarkupLine($"identity    {Markup.Escape(profile.IdentityPath)}");
        console.MarkupLine($"fingerprint {identity.Fingerprint}");
        console.MarkupLine($"user        {(profile.Config.UserId?.ToString() ?? "(not registered)")} {Markup.Escape(profile.Config.Nickname ?? "")}");
        console.MarkupLine($"API         {profile.ApiUrl}");
        console.MarkupLine($"WebSocket   {profile.WebSocketUrl}");
        return Task.CompletedTask;
    }

    public async Task RegisterAsync(string nickname, CancellationToken ct)
    {
        using var identity = profile.LoadIdentity();
        using var api = new LiliumApiClient(profile.ApiUrl, identity);
        var user = await api.RegisterAsync(nickname, ct);
        profile.Save(profile.Config with { UserId = user.Id, Nickname = user.Nickname });
        console.MarkupLine($"[green]registered[/] {Markup.Escape(user.Nickname)} ({user.Id}) at {profile.ApiUrl}");
    }

    public async Task FriendsAddAsync(string who, CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            var user = await FindUserAsync(api, who, ct);
            var status = await api.RequestFriendAsync(user.Id, ct);
            console.MarkupLine($"{Markup.Escape(user.Nickname)} ({user.Fingerprint[..16]}…): [bold]{status}[/]");
        }
    }

    public async Task FriendsAcceptAsync(string who, CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            var friend = await FindFriendAsync(api, who, ct);
            console.MarkupLine($"{Markup.Escape(friend.Nickname)}: [bold]{await api.AcceptFriendAsync(friend.UserId, ct)}[/]");
        }
    }

    public async Task FriendsListAsync(CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            var table = new Table().AddColumns("nickname", "status", "direction", "fingerprint", "id");
            foreach (var f in await api.ListFriendsAsync(ct))
            {
                table.AddRow(Markup.Escape(f.Nickname), f.Status, f.Direction, f.Fingerprint[..16] + "…", f.UserId.ToString());
            }

            console.Write(table);
        }
    }

    public async Task ChatAsync(string who, string? message, int waitSeconds, CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            var friend = await FindFriendAsync(api, who, ct);
            await using var signaling = await SignalingClient.ConnectAsync(profile.WebSocketUrl, api.GetAccessTokenAsync, cancellationToken: ct);
            using var chat = NewChat(signaling, api, identity);
            var printing = PrintChatAsync(chat, friend, ct);
            if (message is not null)
            {
                await SendAsync(chat, friend, message, ct);
                await Task.Delay(TimeSpan.FromSeconds(waitSeconds), ct).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            console.MarkupLine($"chatting with [bold]{Markup.Escape(friend.Nickname)}[/], end-to-end encrypted; an empty line quits");
            while (await Console.In.ReadLineAsync(ct) is { Length: > 0 } line)
            {
                await SendAsync(chat, friend, line, ct);
            }
        }
    }

    public async Task HostAsync(HostOptions o, CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            // Open the local devices first: a bad --region or a missing library fails before anything is created.
            IScreenSource? screen = o.Display is null ? null : ScreenCapture.Open(new ScreenSelection(o.Display, o.Monitor, o.Region));
            using var screenLease = screen;
            var session = await api.CreateSessionAsync(cancellationToken: ct);
            await using var signaling = await SignalingClient.ConnectAsync(profile.WebSocketUrl, api.GetAccessTokenAsync, cancellationToken: ct);
            var relay = RelayUrlFromEnvironment() ?? (session.Relay?.Url is { } shared ? new Uri(shared) : new Uri("http://127.0.0.1:8080/"));
            using var http = new HttpClient();
            var codec = screen is null ? "VP8" : o.Codec.ToUpperInvariant();
            if (session.Relay is { State: "starting" } starting)
            {
                console.MarkupLine($"Starting a relay… ~{starting.EtaSeconds ?? 5} s");
            }

            // Publishes, waiting while a relay starts, and publishes again by itself when the session's relay moves
            // (relay fleet: session.relay, or the connection closing).
            await using var publisher = await RelayPublisher.ConnectAsync(
                new RelayLinkOptions(api, http, relay, session.Id) { Signaling = signaling, Status = line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]") },
                codec, ct);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (o.Seconds > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(o.Seconds));
            }

            // Ended elsewhere (the web app's End on another device, or by the service): say why and stop.
            _ = publisher.Ended.ContinueWith(
                t =>
                {
                    try
                    {
                        if (!stop.IsCancellationRequested) // not the end this host asked for
                        {
                            console.MarkupLine($"[yellow]{Markup.Escape(t.Result.Message)}[/]");
                            stop.Cancel();
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                },
                CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

            ScreenStreamer? streamer = null;
            IVideoEncoder? encoder = null;
            FfmpegVp8Source? pattern = null;
            Task sending = Task.CompletedTask;
            if (screen is not null)
            {
                var settings = VideoPresets.Settings(o.Preset, codec, screen.Width, screen.Height, o.Fps, o.BitrateKbps);
                var choice = VideoEncoders.Open(o.Encoder, settings);
                encoder = choice.Encoder;
                if (choice.Notice is { } notice)
                {
                    console.MarkupLine($"[yellow]{Markup.Escape(notice)}[/]");
                }

                streamer = new ScreenStreamer(screen, encoder, publisher, settings.Fps);
                streamer.Start();
                var size = settings.Width == screen.Width && settings.Height == screen.Height
                    ? $"{screen.Width}x{screen.Height}"
                    : $"{screen.Width}x{screen.Height} scaled to {settings.Width}x{settings.Height}";
                console.MarkupLine($"[green]hosting[/] {size} of {Markup.Escape(o.Display!)} at {settings.Fps} fps, {codec} ({choice.Name}) {encoder.BitrateKbps} kbit/s (keyframes on request only)");
            }
            else
            {
                pattern = FfmpegVp8Source.TestPattern(640, 360, o.Fps ?? 30);
                var source = pattern;
                sending = Task.Run(async () =>
                {
                    await foreach (var frame in source.ReadFramesAsync(stop.Token))
                    {
                        publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
                    }
                }, CancellationToken.None);
                console.MarkupLine("[green]hosting[/] a test pattern (no --screen)");
            }

            IAudioSource? audioSource = null;
            AudioStreamer? audio = null;
            if (o.Audio is not null)
            {
                audioSource = AudioCapture.Open(o.Audio == "default" ? null : o.Audio);
                audio = new AudioStreamer(audioSource, publisher);
            }

            IInputInjector? injector = null;
            RemoteInputApplier? applier = null;
            if (screen is not null && o.ApplyInput)
            {
                injector = InputInjection.Open(o.Display, screen.Area, line => console.MarkupLine($"[yellow]{Markup.Escape(line)}[/]"));
                applier = new RemoteInputApplier(publisher, injector);
            }

            string? invite = null;
            try
            {
                var code = await api.CreateInviteAsync(session.Id, TimeSpan.FromDays(1), 10, ct);
                invite = $"{AppOrigin()}s/{session.Id}?invite={Uri.EscapeDataString(code.Code)}";
            }
            catch (LiliumException ex)
            {
                console.MarkupLine($"[yellow]no invite link: {Markup.Escape(ex.Message)}[/]");
            }

            var interactive = !Console.IsInputRedirected && !o.NoPrompt;
            var actions = new SignalingHostActions(signaling, publisher, applier, session.Id);
            var host = new HostConsole(console, actions, o.AutoAccept, o.Grant, interactive) { InviteLink = invite };
            console.MarkupLine($"session [bold]{session.Id}[/] through {relay}; friends join with [bold]lilium view {session.Id}[/]");
            if (invite is not null)
            {
                console.MarkupLine($"invite link: [link]{Markup.Escape(invite)}[/]");
            }

            if (interactive)
            {
                console.MarkupLine("[grey]" + Markup.Escape(HostConsole.Help) + "[/]");
            }

            publisher.ViewerJoined += v => host.OnPresence(v.Viewer, true);
            publisher.ViewerLeft += v =>
            {
                host.OnPresence(v.Viewer, false);
                console.MarkupLine($"viewer {v.Viewer} left");
            };
            var friends = (await api.ListFriendsAsync(ct)).Where(f => f.Status == "accepted").Select(f => f.UserId).ToHashSet();
            var requests = Task.Run(async () =>
            {
                try
                {
                    while (!stop.IsCancellationRequested)
                    {
                        var request = await signaling.WaitForAsync(m => m.Action == "join.incoming", TimeSpan.FromDays(1), stop.Token);
                        var viewer = request.Guid("from")!.Value;
                        try
                        {
                            await host.OnJoinRequestAsync(request.String("requestId")!, viewer, request.String("nick") ?? viewer.ToString(), friends.Contains(viewer), stop.Token);
                        }
                        catch (SignalingErrorException ex)
                        {
                            console.MarkupLine($"[yellow]join request: {Markup.Escape(ex.Message)}[/]");
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }, CancellationToken.None);

            // Command lines come from standard input, a terminal's or a pipe's (a script may kick or change grants;
            // only a terminal is asked about join requests). The end of a terminal's input (Ctrl+D) ends the session;
            // the end of a pipe's only ends the commands. Console reads block (Console.In's async reads are
            // synchronous), so they run on a thread of their own, and --seconds or Ctrl+C end the session meanwhile.
            new Thread(() => ReadCommands(host, stop)) { IsBackground = true, Name = "host console" }.Start();
            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            await stop.CancelAsync();
            await requests;
            streamer?.Dispose();
            encoder?.Dispose();
            await sending.ContinueWith(_ => { }, TaskScheduler.Default);
            if (pattern is not null)
            {
                await pattern.DisposeAsync();
            }

            if (audio is not null)
            {
                await audio.DisposeAsync();
                await audioSource!.DisposeAsync();
            }

            if (applier is not null)
            {
                await applier.DisposeAsync(); // releases every key and button still held
            }

            injector?.Dispose();
            await signaling.RequestAsync(new ToServer.SessionEnd(session.Id), cancellationToken: CancellationToken.None);
            console.MarkupLine($"session ended; sent {publisher.FramesSent} frames ({streamer?.KeyframesSent ?? 0} keyframes), {publisher.Retransmissions} retransmissions, {publisher.KeyframeRequests} keyframe requests");
        }
    }

    /// <summary>The console's reader thread: one command at a time, each finished before the next line is read.</summary>
    private static void ReadCommands(HostConsole host, CancellationTokenSource stop)
    {
        try
        {
            while (!stop.IsCancellationRequested && Console.In.ReadLine() is { } line)
            {
                if (!host.ExecuteAsync(line, stop.Token).GetAwaiter().GetResult())
                {
                    stop.Cancel();
                    return;
                }
            }

            if (!Console.IsInputRedirected)
            {
                stop.Cancel();
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The session ended while a command ran, or standard input went away.
        }
    }

    /// <summary>The real host actions: signaling for the durable record and the viewer's answer, the relay's control channel for enforcement, the injector for releases.</summary>
    private sealed class SignalingHostActions(SignalingClient signaling, IMediaPublisher publisher, RemoteInputApplier? applier, Guid session) : IHostActions
    {
        public async Task AcceptAsync(string requestId, Guid viewer, InputPermissions grant, CancellationToken ct)
        {
            await signaling.RequestAsync(new ToServer.JoinAccept(requestId), cancellationToken: ct);
            await SetGrantAsync(viewer, grant, ct);
        }

        public Task DeclineAsync(string requestId, CancellationToken ct) =>
            signaling.RequestAsync(new ToServer.JoinDecline(requestId), cancellationToken: ct);

        public async Task SetGrantAsync(Guid viewer, InputPermissions grant, CancellationToken ct)
        {
            await signaling.RequestAsync(new ToServer.GrantUpdate(viewer, PermissionSet.From(grant), session), cancellationToken: ct);
            await publisher.SetViewerGrantAsync(viewer, grant, ct);
            applier?.OnGrantChanged(viewer, grant);
        }

        /// <summary>
        /// The kick (signaling records it, tells the viewer, and the revocations feed makes the relay drop their peer
        /// within about a second), then input off here and at the relay at once: what they held is released, and
        /// nothing of theirs is applied while the relay's drop is on its way. The stored grant of a friend is kept.
        /// </summary>
        public async Task KickAsync(Guid viewer, CancellationToken ct)
        {
            await signaling.RequestAsync(new ToServer.SessionKick(session, viewer), cancellationToken: ct);
            applier?.OnGrantChanged(viewer, InputPermissions.None);
            _ = InputOffAtRelayAsync(viewer, ct);
        }

        private async Task InputOffAtRelayAsync(Guid viewer, CancellationToken ct)
        {
            try
            {
                await publisher.SetViewerGrantAsync(viewer, InputPermissions.None, ct);
            }
            catch (Exception ex) when (ex is LiliumException or OperationCanceledException)
            {
                // Reconnecting or no answer: the relay drops the peer anyway.
            }
        }
    }

    private Uri AppOrigin() =>
        Environment.GetEnvironmentVariable("LILIUM_APP_URL") is { Length: > 0 } a ? new Uri(a.EndsWith('/') ? a : a + "/") : new Uri(profile.ApiUrl.GetLeftPart(UriPartial.Authority) + "/");

    public async Task ViewAsync(Guid sessionId, int frames, bool input, bool open, CancellationToken ct)
    {
        if (open)
        {
            var page = new Uri(AppOrigin(), $"s/{sessionId}");
            OpenInBrowser(page);
            console.MarkupLine($"opened {Markup.Escape(page.ToString())} in the default browser; counting frames here as well");
        }

        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            await using var signaling = await SignalingClient.ConnectAsync(profile.WebSocketUrl, api.GetAccessTokenAsync, cancellationToken: ct);
            console.MarkupLine($"asking to join {sessionId}…");
            var reply = await signaling.RequestAsync(new ToServer.JoinRequest(sessionId), cancellationToken: ct);
            var answer = reply.Action == Actions.JoinDenied ? reply : await signaling.WaitForAsync(m => m.Action is Actions.JoinAccepted or Actions.JoinDenied, TimeSpan.FromMinutes(2), ct);
            if (answer.As<ToClient.JoinDenied>() is { } denied)
            {
                throw new LiliumProblemException(403, denied.Reason, $"not admitted: {denied.Reason}"); // a refusal: exit 1
            }

            var admitted = answer.As<ToClient.JoinAccepted>() ?? throw new LiliumException($"unexpected answer: {answer}");
            var relay = RelayUrlFromEnvironment() ?? new Uri(admitted.RelayUrl ?? throw new LiliumException("The deployment names no relay; set LILIUM_RELAY_URL."));
            console.MarkupLine($"[green]admitted[/]; watching through {relay}");
            using var http = new HttpClient();
            // Subscribes (waiting while a relay starts) and subscribes again by itself when the session's relay moves
            // or media stops for 2 s (relay fleet).
            await using var viewer = await RelayViewer.ConnectAsync(
                new RelayLinkOptions(api, http, relay, sessionId) { Signaling = signaling, Status = line => console.MarkupLine($"[grey]{Markup.Escape(line)}[/]") }, ct);
            var clock = Stopwatch.StartNew();
            var received = 0;
            var nextReport = 1.0;
            await foreach (var frame in viewer.VideoFrames.ReadAllAsync(ct))
            {
                received++;
                if (input)
                {
                    viewer.SendInput(new MouseMoveEvent(false, (received * 997) % 65536, (received * 389) % 65536));
                }

                if (clock.Elapsed.TotalSeconds >= nextReport || received == frames)
                {
                    nextReport += 1;
                    var stats = viewer.VideoStats;
                    console.MarkupLine($"{clock.Elapsed.TotalSeconds,5:F1} s  {received} frames ({frame.Data.Length} B last{(frame.IsKeyframe ? ", key" : "")}), {stats.Packets} packets, {stats.Nacks} NACKed, {stats.Plis} PLIs, {viewer.AudioPacketsReceived} audio");
                }

                if (frames > 0 && received >= frames)
                {
                    break;
                }
            }
        }
    }

    private void OpenInBrowser(Uri page)
    {
        var opener = OperatingSystem.IsWindows() ? "explorer.exe" : OperatingSystem.IsMacOS() ? "open" : "xdg-open";
        try
        {
            using var p = Process.Start(new ProcessStartInfo(opener, page.ToString()) { UseShellExecute = false });
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            console.MarkupLine($"[yellow]could not start {opener} ({Markup.Escape(ex.Message)}); open {Markup.Escape(page.ToString())} yourself[/]");
        }
    }

    private static Uri? RelayUrlFromEnvironment() =>
        Environment.GetEnvironmentVariable("LILIUM_RELAY_URL") is { Length: > 0 } r ? new Uri(r.EndsWith('/') ? r : r + "/") : null;

    private ChatClient NewChat(SignalingClient signaling, LiliumApiClient api, LiliumIdentity identity) =>
        new ChatClient(signaling, new ChatIdentity(api.UserId, identity.Key), async (friend, token) =>
            Convert.FromBase64String((await api.GetUserAsync(friend, token)).PublicKey)).Start();

    private async Task SendAsync(ChatClient chat, FriendInfo friend, string text, CancellationToken ct)
    {
        try
        {
            var devices = await chat.SendAsync(friend.UserId, text, ct);
            console.MarkupLine($"[grey]you → {Markup.Escape(friend.Nickname)}: {Markup.Escape(text)} (delivered to {devices} device{(devices == 1 ? "" : "s")})[/]");
        }
        catch (SignalingErrorException ex)
        {
            console.MarkupLine($"[yellow]not sent: {Markup.Escape(ex.Message)}[/]");
        }
    }

    private async Task PrintChatAsync(ChatClient chat, FriendInfo friend, CancellationToken ct)
    {
        try
        {
            await foreach (var message in chat.Messages.ReadAllAsync(ct))
            {
                console.MarkupLine($"[bold]{Markup.Escape(message.From == friend.UserId ? friend.Nickname : message.From.ToString())}[/]: {Markup.Escape(message.Text)}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static async Task<UserInfo> FindUserAsync(LiliumApiClient api, string who, CancellationToken ct)
    {
        if (Guid.TryParse(who, out var id))
        {
            return await api.GetUserAsync(id, ct);
        }

        var found = who.Length == 64 && who.All(Uri.IsHexDigit)
            ? await api.SearchByFingerprintAsync(who.ToLowerInvariant(), ct)
            : await api.SearchByNicknameAsync(who, ct);
        var exact = found.Where(u => string.Equals(u.Nickname, who, StringComparison.OrdinalIgnoreCase) || string.Equals(u.Fingerprint, who, StringComparison.OrdinalIgnoreCase)).ToArray();
        return (exact.Length == 1 ? exact : found) switch
        {
            [var one] => one,
            [] => throw new LiliumException($"No user '{who}'."),
            var many => throw new LiliumException($"'{who}' is ambiguous: {string.Join(", ", many.Select(u => $"{u.Nickname} ({u.Fingerprint[..16]}…)"))}; use a fingerprint or id."),
        };
    }

    private static async Task<FriendInfo> FindFriendAsync(LiliumApiClient api, string who, CancellationToken ct)
    {
        var friends = await api.ListFriendsAsync(ct);
        var match = friends.Where(f => f.UserId.ToString() == who || string.Equals(f.Nickname, who, StringComparison.OrdinalIgnoreCase) || string.Equals(f.Fingerprint, who, StringComparison.OrdinalIgnoreCase)).ToArray();
        return match switch
        {
            [var one] => one,
            [] => throw new LiliumException($"'{who}' is not among your friends or requests (lilium friends list)."),
            _ => throw new LiliumException($"'{who}' matches several friends; use the id."),
        };
    }
}

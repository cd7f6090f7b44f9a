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

    public async Task HostAsync(string? screen, int fps, string size, InputPermissions grant, int seconds, CancellationToken ct)
    {
        var (identity, api) = await profile.LoginAsync(ct);
        using (identity)
        using (api)
        {
            var session = await api.CreateSessionAsync(cancellationToken: ct);
            var hostGrant = await api.IssueRelayGrantAsync(session.Id, ct);
            await using var signaling = await SignalingClient.ConnectAsync(profile.WebSocketUrl, api.GetAccessTokenAsync, cancellationToken: ct);
            var relay = RelayUrlFromEnvironment() ?? new Uri("http://127.0.0.1:8080/");
            using var http = new HttpClient();
            await using var publisher = await MediaPublisher.ConnectAsync(http, relay, session.Id, hostGrant.Token, cancellationToken: ct);
            var (width, height) = ParseSize(size);
            await using var source = screen is null ? FfmpegVp8Source.TestPattern(width, height, fps) : FfmpegVp8Source.Screen(screen, fps);
            console.MarkupLine($"[green]hosting[/] session [bold]{session.Id}[/] ({(screen is null ? $"test pattern {size}" : "screen " + Markup.Escape(screen))} at {fps} fps) through {relay}");
            console.MarkupLine($"friends join with: [bold]lilium view {session.Id}[/]");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (seconds > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(seconds));
            }

            publisher.ViewerJoined += v => console.MarkupLine($"viewer {v.Viewer} connected (input: {v.Permissions})");
            publisher.ViewerLeft += v => console.MarkupLine($"viewer {v.Viewer} left");
            var sending = Task.Run(async () =>
            {
                await foreach (var frame in source.ReadFramesAsync(stop.Token))
                {
                    publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
                }
            }, CancellationToken.None);
            var inputs = Task.Run(async () =>
            {
                await foreach (var input in publisher.ReadInputAsync(stop.Token))
                {
                    console.MarkupLine($"[grey]input from {input.Viewer}: {Markup.Escape(input.Event.ToString())}[/]");
                }
            }, CancellationToken.None);

            try
            {
                while (!stop.IsCancellationRequested)
                {
                    var message = await signaling.WaitForAsync(m => m.Action == Actions.JoinIncoming && m.As<ToClient.JoinIncoming>() is not null, TimeSpan.FromDays(1), stop.Token);
                    var request = message.As<ToClient.JoinIncoming>()!;
                    var viewer = request.From;
                    await signaling.RequestAsync(new ToServer.JoinAccept(request.RequestId), cancellationToken: stop.Token);
                    await signaling.RequestAsync(new ToServer.GrantUpdate(viewer, PermissionSet.From(grant), session.Id), cancellationToken: stop.Token);
                    await publisher.SetViewerGrantAsync(viewer, grant, stop.Token);
                    console.MarkupLine($"[green]accepted[/] {Markup.Escape(request.Nick)}; input granted: {grant}");
                }
            }
            catch (OperationCanceledException)
            {
            }

            await Task.WhenAll(sending.ContinueWith(_ => { }, TaskScheduler.Default), inputs.ContinueWith(_ => { }, TaskScheduler.Default));
            await signaling.RequestAsync(new ToServer.SessionEnd(session.Id), cancellationToken: CancellationToken.None);
            console.MarkupLine($"session ended; sent {publisher.FramesSent} frames, {publisher.Retransmissions} retransmissions");
        }
    }

    public async Task ViewAsync(Guid sessionId, int frames, bool input, CancellationToken ct)
    {
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
                throw new LiliumException($"not admitted: {denied.Reason}");
            }

            var admitted = answer.As<ToClient.JoinAccepted>() ?? throw new LiliumException($"unexpected answer: {answer}");
            var relay = RelayUrlFromEnvironment() ?? new Uri(admitted.RelayUrl ?? throw new LiliumException("The deployment names no relay; set LILIUM_RELAY_URL."));
            console.MarkupLine($"[green]admitted[/]; watching through {relay}");
            using var http = new HttpClient();
            await using var viewer = await MediaViewer.ConnectAsync(http, relay, sessionId, admitted.Grant!, cancellationToken: ct);
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

    private static Uri? RelayUrlFromEnvironment() =>
        Environment.GetEnvironmentVariable("LILIUM_RELAY_URL") is { Length: > 0 } r ? new Uri(r.EndsWith('/') ? r : r + "/") : null;

    private static (int, int) ParseSize(string size) =>
        size.Split('x') is [var w, var h] && int.TryParse(w, out var width) && int.TryParse(h, out var height) && width is >= 16 and <= 7680 && height is >= 16 and <= 4320
            ? (width, height)
            : throw new LiliumException($"--size '{size}' is not WIDTHxHEIGHT (e.g. 1280x720).");

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

using System.Text;
using System.Text.Json.Nodes;
using Lilium.Client.Api;
using Lilium.Client.Chat;
using Lilium.Client.Media;
using Lilium.Client.Signaling;
using Lilium.Input;
using Lilium.Protocol;
using Lilium.Protocol.Signaling;
using Lilium.Testing;

namespace Lilium.Client.Tests;

/// <summary>
/// The whole product through the SDK only: two people register, befriend, see each other online,
/// chat end to end encrypted, one hosts a test pattern, the other joins through signaling and
/// receives frames from the relay, and input grants change. Runs against the in-process local
/// stack, or a deployment named by LILIUM_API_URL / LILIUM_WS_URL (docs/sdk.md).
/// </summary>
[Collection(nameof(EndToEndCollection))]
[Trait("Category", "Interop")]
public sealed class EndToEndTests(LocalStack stack, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<LocalStack>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Two_friends_chat_end_to_end_and_one_watches_the_other_share_a_test_pattern_with_live_grants()
    {
        await using var alice = await Person.StartAsync(stack, "alice");
        await using var bob = await Person.StartAsync(stack, "bob");

        // Friends: request, accept, both see it.
        Assert.Equal("pending", await alice.Api.RequestFriendAsync(bob.Id));
        Assert.Equal("accepted", await bob.Api.AcceptFriendAsync(alice.Id));
        Assert.Contains(await alice.Api.ListFriendsAsync(), f => f.UserId == bob.Id && f.Status == "accepted");

        // Presence: alice is online first and hears bob come online.
        await alice.ConnectSignalingAsync();
        await bob.ConnectSignalingAsync();
        await alice.Signaling.WaitForAsync(m => m.Action == "presence" && m.Guid("user") == bob.Id && m.Bool("online") == true, Wait);

        // Chat both ways; what the server relays is ciphertext only.
        Assert.True(await alice.Chat.SendAsync(bob.Id, "hi bob, the door code is 4711") >= 1);
        var atBob = await bob.Chat.Messages.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal(("hi bob, the door code is 4711", alice.Id), (atBob.Text, atBob.From));
        Assert.True(await bob.Chat.SendAsync(alice.Id, "thanks alice") >= 1);
        Assert.Equal("thanks alice", (await alice.Chat.Messages.ReadAsync().AsTask().WaitAsync(Wait)).Text);
        var relayed = await bob.Signaling.WaitForAsync(m => m.Action == "chat.msg", Wait);
        Assert.DoesNotContain("4711", relayed.ToString());
        var ciphertext = Convert.FromBase64String(relayed.String("ciphertext")!);
        Assert.Equal(-1, ciphertext.AsSpan().IndexOf("door code"u8));
        Assert.Equal(0, bob.Chat.Rejected + alice.Chat.Rejected);

        // Alice hosts a test pattern.
        var session = await alice.Api.CreateSessionAsync();
        var hostGrant = await alice.Api.IssueRelayGrantAsync(session.Id);
        Assert.Equal("host", hostGrant.Role);
        var relayUrl = stack.RelayUrl;

        // Bob asks to join over signaling; alice accepts; bob gets a relay grant and the relay's URL.
        var pending = await bob.Signaling.RequestAsync(new ToServer.JoinRequest(session.Id, alice.Id));
        Assert.Equal("join.pending", pending.Action);
        var incoming = await alice.Signaling.WaitForAsync(m => m.Action == "join.incoming" && m.Guid("from") == bob.Id, Wait);
        var accepted = await alice.Signaling.RequestAsync(new ToServer.JoinAccept(incoming.String("requestId")!));
        Assert.Equal("join.accepted", accepted.Action);
        var admitted = await bob.Signaling.WaitForAsync(m => m.Action == "join.accepted" && m.Guid("session") == session.Id, Wait);
        var viewerGrant = admitted.String("grant")!;
        relayUrl ??= new Uri(admitted.String("relayUrl")!);

        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, relayUrl, session.Id, hostGrant.Token);
        await using var source = FfmpegVp8Source.TestPattern(320, 240, 30);
        using var stopPublishing = new CancellationTokenSource();
        var publishing = Task.Run(async () =>
        {
            try
            {
                await foreach (var frame in source.ReadFramesAsync(stopPublishing.Token))
                {
                    publisher.SendVideoFrame(frame.Data, frame.RtpTimestamp);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        await using var viewer = await MediaViewer.ConnectAsync(http, relayUrl, session.Id, viewerGrant);
        var frames = new List<VideoFrame>();
        using (var enough = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (frames.Count < 100)
            {
                frames.Add(await viewer.VideoFrames.ReadAsync(enough.Token));
            }
        }

        output.WriteLine($"viewer: {viewer.VideoStats}; publisher sent {publisher.FramesSent} frames, {publisher.KeyframeRequests} keyframe requests");
        Assert.True(frames[0].IsKeyframe);
        Assert.True(frames.Zip(frames.Skip(1)).All(p => p.Second.RtpTimestamp != p.First.RtpTimestamp), "every frame is a new picture");
        Assert.All(frames, f => Assert.True(f.Data.Length > 0));

        // Grants: persisted and pushed over signaling, enforced at the relay over the control channel.
        Assert.Equal(InputPermissions.Mouse, await alice.Api.SetGrantsAsync(bob.Id, InputPermissions.Mouse));
        var updated = await alice.Signaling.RequestAsync(new ToServer.GrantUpdate(bob.Id, new PermissionSet(Mouse: true), session.Id));
        output.WriteLine("host got " + updated);
        Assert.Equal("grant.updated", updated.Action);
        Assert.Equal(1, updated.Int("delivered"));
        await bob.Signaling.WaitForAsync(m => m.Action == "grant.updated" && m.Guid("session") == session.Id, Wait);
        await publisher.SetViewerGrantAsync(bob.Id, InputPermissions.Mouse);

        var inputs = publisher.ReadInputAsync().GetAsyncEnumerator();
        viewer.SendInput(new KeyEvent(true, 0x04, KeyModifiers.None)); // no keyboard grant: dropped at the relay
        viewer.SendInput(new MouseMoveEvent(false, 100, 200));
        Assert.True(await inputs.MoveNextAsync().AsTask().WaitAsync(Wait));
        Assert.Equal((bob.Id, (InputEvent)new MouseMoveEvent(false, 100, 200)), (inputs.Current.Viewer, inputs.Current.Event));

        await publisher.SetViewerGrantAsync(bob.Id, InputPermissions.None);
        viewer.SendInput(new MouseMoveEvent(false, 1, 1));
        var late = inputs.MoveNextAsync().AsTask();
        Assert.NotSame(late, await Task.WhenAny(late, Task.Delay(500))); // nothing after the revoke

        await stopPublishing.CancelAsync();
        await publishing;
        await alice.Signaling.RequestAsync(new ToServer.SessionEnd(session.Id));
        await bob.Signaling.WaitForAsync(m => m.Action == "session.ended" && m.Guid("session") == session.Id, Wait);
        Assert.Equal("ended", (await alice.Api.GetSessionAsync(session.Id)).State);
    }

    /// <summary>
    /// Issue 23: revocations reach the relay within a second — a kicked viewer's media stops and their grant is refused,
    /// a REST grant downgrade applies to the live peer, a logout drops the user's peers, and ending the session closes the publisher.
    /// </summary>
    [Fact]
    [Trait("Category", "Integration")]
    public async Task Kick_grant_change_logout_and_session_end_reach_the_relay_within_a_second()
    {
        if (stack.IsRemote)
        {
            return; // needs the in-process relay's URL
        }

        await using var alice = await Person.StartAsync(stack, "rev-alice");
        await using var bob = await Person.StartAsync(stack, "rev-bob");
        await using var carol = await Person.StartAsync(stack, "rev-carol");
        foreach (var friend in new[] { bob, carol })
        {
            await alice.Api.RequestFriendAsync(friend.Id);
            await friend.Api.AcceptFriendAsync(alice.Id);
        }

        await alice.Api.SetGrantsAsync(carol.Id, InputPermissions.Mouse);
        var session = await alice.Api.CreateSessionAsync();
        var hostGrant = await alice.Api.IssueRelayGrantAsync(session.Id);
        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, stack.RelayUrl!, session.Id, hostGrant.Token);
        await alice.Api.AdmitViewerAsync(session.Id, bob.Id);
        await alice.Api.AdmitViewerAsync(session.Id, carol.Id);
        var bobGrant = await bob.Api.IssueRelayGrantAsync(session.Id);
        var carolGrant = await carol.Api.IssueRelayGrantAsync(session.Id);
        Assert.Equal(InputPermissions.Mouse, carolGrant.Permissions);
        await using var bobViewer = await MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, bobGrant.Token);
        await using var carolViewer = await MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, carolGrant.Token);

        // Kick over REST: bob's peer is closed at the relay within a second, and his unexpired grant is refused.
        var kicked = System.Diagnostics.Stopwatch.StartNew();
        await alice.Api.RemoveParticipantAsync(session.Id, bob.Id);
        var reason = await bobViewer.Closed.WaitAsync(Wait);
        output.WriteLine($"kick reached the relay after {kicked.ElapsedMilliseconds} ms ({reason})");
        Assert.True(kicked.Elapsed < TimeSpan.FromSeconds(1), $"kick took {kicked.ElapsedMilliseconds} ms");
        var refused = await Assert.ThrowsAsync<RelayRejectedException>(() => MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, bobGrant.Token));
        Assert.Equal(403, refused.Status);
        Assert.False(carolViewer.Closed.IsCompleted);

        // A REST grant downgrade applies to carol's live peer: her mouse input stops reaching the host.
        var inputs = publisher.ReadInputAsync().GetAsyncEnumerator();
        carolViewer.SendInput(new MouseMoveEvent(false, 10, 20));
        Assert.True(await inputs.MoveNextAsync().AsTask().WaitAsync(Wait));
        Assert.Equal(carol.Id, inputs.Current.Viewer);
        await alice.Api.SetGrantsAsync(carol.Id, InputPermissions.None);
        await Task.Delay(TimeSpan.FromSeconds(1));
        carolViewer.SendInput(new MouseMoveEvent(false, 30, 40));
        var late = inputs.MoveNextAsync().AsTask();
        Assert.NotSame(late, await Task.WhenAny(late, Task.Delay(500)));

        // A viewer who leaves (WHEP DELETE when the SDK disposes) is reported by the relay: the participation ends and
        // the place is free; coming back needs the host again.
        await using (var dave = await Person.StartAsync(stack, "rev-dave"))
        {
            await alice.Api.RequestFriendAsync(dave.Id);
            await dave.Api.AcceptFriendAsync(alice.Id);
            await alice.Api.AdmitViewerAsync(session.Id, dave.Id);
            var daveGrant = await dave.Api.IssueRelayGrantAsync(session.Id);
            await (await MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, daveGrant.Token)).DisposeAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (true)
            {
                try
                {
                    await dave.Api.IssueRelayGrantAsync(session.Id);
                    Assert.True(DateTime.UtcNow < deadline, "the departure never reached the control plane");
                    await Task.Delay(100);
                }
                catch (LiliumProblemException e) when (e.Code == ErrorCode.NotAdmitted.WireName())
                {
                    break;
                }
            }
        }

        // Logout: carol's peers are dropped.
        var loggedOut = System.Diagnostics.Stopwatch.StartNew();
        await carol.Api.LogoutAsync();
        await carolViewer.Closed.WaitAsync(Wait);
        output.WriteLine($"logout reached the relay after {loggedOut.ElapsedMilliseconds} ms");
        Assert.True(loggedOut.Elapsed < TimeSpan.FromSeconds(1), $"logout took {loggedOut.ElapsedMilliseconds} ms");

        // Session end: the publisher is closed too, and the host's grant refused.
        var ended = System.Diagnostics.Stopwatch.StartNew();
        await alice.Api.EndSessionAsync(session.Id);
        await publisher.Closed.WaitAsync(Wait);
        output.WriteLine($"session end reached the relay after {ended.ElapsedMilliseconds} ms");
        Assert.True(ended.Elapsed < TimeSpan.FromSeconds(1), $"session end took {ended.ElapsedMilliseconds} ms");
    }

    [Fact]
    [Trait("Category", "Integration")]
    public async Task A_viewer_who_leaves_and_is_admitted_again_at_once_keeps_the_new_stream()
    {
        if (stack.IsRemote)
        {
            return; // needs the in-process relay's URL
        }

        // The leave writes a removal; the relay's report of the departed peer (its next poll) and the removal's arrival
        // in its feed both come after the viewer is back, admitted again with a new grant: neither may end the new
        // participation or close the new peer (the web app's "stuck on Connecting" under load, docs/web.md).
        await using var alice = await Person.StartAsync(stack, "rejoin-alice");
        await using var bob = await Person.StartAsync(stack, "rejoin-bob");
        await alice.Api.RequestFriendAsync(bob.Id);
        await bob.Api.AcceptFriendAsync(alice.Id);
        var session = await alice.Api.CreateSessionAsync();
        using var http = new HttpClient();
        await using var publisher = await MediaPublisher.ConnectAsync(http, stack.RelayUrl!, session.Id, (await alice.Api.IssueRelayGrantAsync(session.Id)).Token);
        for (var round = 1; round <= 3; round++)
        {
            await alice.Api.AdmitViewerAsync(session.Id, bob.Id);
            var grant = await bob.Api.IssueRelayGrantAsync(session.Id);
            var viewer = await MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, grant.Token);
            await Task.Delay(300);
            Assert.False(viewer.Closed.IsCompleted, $"round {round}: the relay closed the new peer ({(viewer.Closed.IsCompleted ? await viewer.Closed : "")})");
            await bob.Api.RemoveParticipantAsync(session.Id, bob.Id); // leaves,
            await viewer.DisposeAsync();                               // and the relay sees the WHEP DELETE
        }

        await alice.Api.AdmitViewerAsync(session.Id, bob.Id);
        await using var last = await MediaViewer.ConnectAsync(http, stack.RelayUrl!, session.Id, (await bob.Api.IssueRelayGrantAsync(session.Id)).Token);
        await Task.Delay(TimeSpan.FromSeconds(2)); // several polls: every earlier departure and removal has arrived
        Assert.False(last.Closed.IsCompleted, $"the relay closed the viewer admitted again ({(last.Closed.IsCompleted ? await last.Closed : "")})");
        await bob.Api.IssueRelayGrantAsync(session.Id); // still a participant
    }

    [Fact]
    public async Task Failure_paths_are_typed()
    {
        // Wrong endpoint.
        using (var nobody = LiliumIdentity.Create())
        using (var wrong = new LiliumApiClient(new Uri($"http://127.0.0.1:{Ports.FreeTcp()}/"), nobody))
        {
            await Assert.ThrowsAsync<LiliumUnavailableException>(() => wrong.RegisterAsync("nobody"));
        }

        await Assert.ThrowsAsync<LiliumUnavailableException>(() =>
            SignalingClient.ConnectAsync(new Uri($"ws://127.0.0.1:{Ports.FreeTcp()}/local"), _ => ValueTask.FromResult("x"), TimeSpan.FromSeconds(5)));

        await using var host = await Person.StartAsync(stack, "host");
        await using var guest = await Person.StartAsync(stack, "guest");
        await host.Api.RequestFriendAsync(guest.Id);
        await guest.Api.AcceptFriendAsync(host.Id);

        // A revoked/expired access token is renewed transparently.
        host.Api.CorruptAccessTokenForTests();
        Assert.Equal(host.Id, (await host.Api.MeAsync()).Id);

        // Problems arrive typed, with the API's code.
        var problem = await Assert.ThrowsAsync<LiliumProblemException>(() => guest.Api.EndSessionAsync(Guid.NewGuid()));
        Assert.Equal(404, problem.Status);

        // Relay down.
        var session = await host.Api.CreateSessionAsync();
        var grant = await host.Api.IssueRelayGrantAsync(session.Id);
        using var http = new HttpClient();
        await Assert.ThrowsAsync<RelayUnavailableException>(() =>
            MediaPublisher.ConnectAsync(http, new Uri($"http://127.0.0.1:{Ports.FreeTcp()}/"), session.Id, grant.Token, TimeSpan.FromSeconds(5)));

        // Host offline: the host has no signaling connection.
        await guest.ConnectSignalingAsync();
        var offline = await guest.Signaling.RequestAsync(new ToServer.JoinRequest(session.Id));
        Assert.Equal(("join.denied", "host-offline"), (offline.Action, offline.String("reason")));

        // Declined.
        await host.ConnectSignalingAsync();
        await guest.Signaling.RequestAsync(new ToServer.JoinRequest(session.Id));
        var incoming = await host.Signaling.WaitForAsync(m => m.Action == "join.incoming", Wait);
        await host.Signaling.RequestAsync(new ToServer.JoinDecline(incoming.String("requestId")!));
        var denied = await guest.Signaling.WaitForAsync(m => m.Action == "join.denied", Wait);
        Assert.Equal("declined", denied.String("reason"));

        // A signaling error is typed too.
        var error = await Assert.ThrowsAsync<SignalingErrorException>(() =>
            guest.Signaling.RequestAsync(new ToServer.ChatMsg(Guid.NewGuid(), "AAAA")));
        Assert.Equal("not-friends", error.Code);
    }

    /// <summary>One user of the SDK: identity, REST client, signaling and chat.</summary>
    private sealed class Person : IAsyncDisposable
    {
        private Person(LocalStack stack, LiliumIdentity identity, LiliumApiClient api, Guid id)
        {
            Stack = stack;
            Identity = identity;
            Api = api;
            Id = id;
        }

        public LocalStack Stack { get; }

        public LiliumIdentity Identity { get; }

        public LiliumApiClient Api { get; }

        public Guid Id { get; }

        public SignalingClient Signaling { get; private set; } = null!;

        public ChatClient Chat { get; private set; } = null!;

        public static async Task<Person> StartAsync(LocalStack stack, string nickname)
        {
            var identity = LiliumIdentity.Create();
            var api = new LiliumApiClient(stack.ApiUrl, identity);
            var user = await api.RegisterAsync(nickname + Random.Shared.Next(1000, 9999));
            Assert.Equal(identity.Fingerprint, user.Fingerprint);
            await api.LoginAsync();
            Assert.Equal(user.Id, api.UserId);
            return new Person(stack, identity, api, user.Id);
        }

        public async Task ConnectSignalingAsync()
        {
            Signaling = await SignalingClient.ConnectAsync(Stack.WebSocketUrl, Api.GetAccessTokenAsync);
            Chat = new ChatClient(Signaling, new ChatIdentity(Id, Identity.Key), async (friend, ct) =>
                Convert.FromBase64String((await Api.GetUserAsync(friend, ct)).PublicKey)).Start();
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

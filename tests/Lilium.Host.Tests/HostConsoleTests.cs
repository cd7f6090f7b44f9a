using Lilium.Cli;
using Lilium.Protocol;
using Spectre.Console;

namespace Lilium.Host.Tests;

/// <summary>
/// The host console driven through its command lines: prompts, approve with a chosen grant, deny,
/// toggles, kick, and the non-interactive policy. The actions record what would go to signaling
/// and the relay (those paths have their own end-to-end tests).
/// </summary>
[Trait("Category", "Unit")]
public sealed class HostConsoleTests
{
    private readonly StringWriter _out = new();
    private readonly Recorder _actions = new();

    private HostConsole New(AutoAccept policy, bool interactive) =>
        new(AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(_out), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors }),
            _actions, policy, InputPermissions.Mouse, interactive)
        { InviteLink = "http://app.test/s/1?invite=abc" };

    [Fact]
    public async Task A_request_is_put_to_the_host_then_approved_with_the_chosen_grant_toggled_and_kicked()
    {
        var console = New(AutoAccept.None, interactive: true);
        var bob = Guid.NewGuid();
        await console.OnJoinRequestAsync("r-1", bob, "bob", isFriend: true, default);
        Assert.Empty(_actions.Log);
        Assert.Contains("join request 1 from bob", _out.ToString());

        Assert.True(await console.ExecuteAsync("a 1 keyboard,mouse", default));
        Assert.Equal(["accept r-1 " + bob + " Keyboard, Mouse"], _actions.Log);
        Assert.Equal(InputPermissions.Keyboard | InputPermissions.Mouse, console.Viewers.Single().Grant);

        Assert.True(await console.ExecuteAsync("t bob keyboard", default));
        Assert.Equal("grant " + bob + " Mouse", _actions.Log[^1]);
        Assert.True(await console.ExecuteAsync("g 1 mouse,controller", default));
        Assert.Equal("grant " + bob + " Mouse, Controller", _actions.Log[^1]);

        Assert.True(await console.ExecuteAsync("l", default));
        Assert.Matches(@"bob\s*│\s*no\s*│\s*off\s*│\s*on\s*│\s*on", _out.ToString());

        Assert.True(await console.ExecuteAsync("k bob", default));
        Assert.Equal("kick " + bob, _actions.Log[^1]);
        Assert.Empty(console.Viewers);
        await console.OnJoinRequestAsync("r-2", bob, "bob", isFriend: true, default);
        Assert.Equal("decline r-2", _actions.Log[^1]); // a kicked viewer is not asked about again

        Assert.True(await console.ExecuteAsync("i", default));
        Assert.Contains("http://app.test/s/1?invite=abc", _out.ToString());
        Assert.False(await console.ExecuteAsync("q", default));
    }

    [Fact]
    public async Task Deny_bad_commands_and_unknown_numbers_get_a_sentence_not_an_exception()
    {
        var console = New(AutoAccept.None, interactive: true);
        await console.OnJoinRequestAsync("r-9", Guid.NewGuid(), "eve", isFriend: false, default);
        Assert.True(await console.ExecuteAsync("a 7", default));
        Assert.Contains("no join request 7 is waiting", _out.ToString());
        Assert.True(await console.ExecuteAsync("a 1 teleport", default));
        Assert.Contains("unknown input class 'teleport'", _out.ToString());
        Assert.True(await console.ExecuteAsync("d 1", default));
        Assert.Equal(["decline r-9"], _actions.Log);
        Assert.True(await console.ExecuteAsync("g nobody mouse", default));
        Assert.Contains("no viewer 'nobody'", _out.ToString());
        Assert.True(await console.ExecuteAsync("what", default));
        Assert.Contains("commands:", _out.ToString());
    }

    [Fact]
    public async Task A_kick_the_server_refuses_is_a_sentence_and_keeps_the_viewer()
    {
        var console = New(AutoAccept.All, interactive: false);
        var cleo = Guid.NewGuid();
        await console.OnJoinRequestAsync("r-1", cleo, "cleo", isFriend: false, default);
        _actions.Refused = cleo;
        Assert.True(await console.ExecuteAsync("k cleo", default));
        Assert.Contains("This user is not a viewer in the session. (not-member)", _out.ToString());
        Assert.Equal("cleo", console.Viewers.Single().Nick);
        Assert.DoesNotContain(_actions.Log, l => l.StartsWith("kick", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_terminal_friends_are_admitted_by_the_flag_and_invitees_declined()
    {
        var console = New(AutoAccept.Friends, interactive: false);
        var friend = Guid.NewGuid();
        await console.OnJoinRequestAsync("r-1", friend, "ann", isFriend: true, default);
        await console.OnJoinRequestAsync("r-2", Guid.NewGuid(), "stranger", isFriend: false, default);
        Assert.Equal(["accept r-1 " + friend + " Mouse", "decline r-2"], _actions.Log);

        var all = New(AutoAccept.All, interactive: false);
        await all.OnJoinRequestAsync("r-3", Guid.NewGuid(), "invitee", isFriend: false, default);
        Assert.StartsWith("accept r-3", _actions.Log[^1]);
    }

    private sealed class Recorder : IHostActions
    {
        public List<string> Log { get; } = [];

        public Task AcceptAsync(string requestId, Guid viewer, InputPermissions grant, CancellationToken ct)
        {
            Log.Add($"accept {requestId} {viewer} {grant}");
            return Task.CompletedTask;
        }

        public Task DeclineAsync(string requestId, CancellationToken ct)
        {
            Log.Add("decline " + requestId);
            return Task.CompletedTask;
        }

        public Task SetGrantAsync(Guid viewer, InputPermissions grant, CancellationToken ct)
        {
            Log.Add($"grant {viewer} {grant}");
            return Task.CompletedTask;
        }

        /// <summary>Refuses a viewer in <see cref="Refused"/> as signaling does one who is not in the session.</summary>
        public Task KickAsync(Guid viewer, CancellationToken ct)
        {
            if (viewer == Refused)
            {
                throw new Lilium.Client.Signaling.SignalingErrorException("not-member", "This user is not a viewer in the session.");
            }

            Log.Add("kick " + viewer);
            return Task.CompletedTask;
        }

        public Guid Refused { get; set; }
    }
}

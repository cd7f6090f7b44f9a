using Lilium.Client;
using Lilium.Protocol;
using Spectre.Console;

namespace Lilium.Cli;

/// <summary>What the host console does to the world (signaling, relay, injector); <see cref="Commands"/> supplies the real one.</summary>
internal interface IHostActions
{
    Task AcceptAsync(string requestId, Guid viewer, InputPermissions grant, CancellationToken ct);

    Task DeclineAsync(string requestId, CancellationToken ct);

    Task SetGrantAsync(Guid viewer, InputPermissions grant, CancellationToken ct);

    /// <summary>Removes a viewer from the session: their input stops at once and the relay drops their media.</summary>
    Task KickAsync(Guid viewer, CancellationToken ct);
}

/// <summary>Who is admitted without a prompt.</summary>
internal enum AutoAccept
{
    None,
    Friends,
    All,
}

/// <summary>
/// The interactive side of <c>lilium host</c>: lists viewers and their grants, puts each join request
/// to the host (or decides by <see cref="AutoAccept"/>), and runs the host's commands, one per line:
/// <c>a N [classes]</c> approve, <c>d N</c> deny, <c>g V classes</c> set a grant, <c>t V class</c>
/// toggle one class, <c>k V</c> kick, <c>l</c> list, <c>i</c> invite link, <c>q</c> end.
/// Without a terminal, requests the flags do not admit are declined.
/// </summary>
internal sealed class HostConsole(IAnsiConsole console, IHostActions actions, AutoAccept autoAccept, InputPermissions defaultGrant, bool interactive)
{
    private readonly Lock _gate = new();
    private readonly List<Pending> _pending = [];
    private readonly List<Viewer> _viewers = [];
    private readonly HashSet<Guid> _kicked = [];
    private int _nextRequest = 1;

    public string? InviteLink { get; set; }

    public const string Help = "commands: a N [keyboard,mouse,controller,immersion|none] approve · d N deny · g V classes set grant · t V class toggle · k V kick · l list · i invite link · q end";

    /// <summary>The viewers admitted so far, with their grants.</summary>
    public IReadOnlyList<(Guid Id, string Nick, InputPermissions Grant, bool Connected)> Viewers
    {
        get
        {
            lock (_gate)
            {
                return _viewers.Select(v => (v.Id, v.Nick, v.Grant, v.Connected)).ToList();
            }
        }
    }

    /// <summary>A viewer asked to join: admit by policy, decline kicked viewers, else ask the host.</summary>
    public async Task OnJoinRequestAsync(string requestId, Guid viewer, string nick, bool isFriend, CancellationToken ct)
    {
        bool kicked;
        lock (_gate)
        {
            kicked = _kicked.Contains(viewer);
        }

        if (kicked)
        {
            await actions.DeclineAsync(requestId, ct);
            console.MarkupLine($"[grey]declined {Markup.Escape(nick)} (kicked earlier)[/]");
            return;
        }

        if (autoAccept == AutoAccept.All || (autoAccept == AutoAccept.Friends && isFriend))
        {
            await AdmitAsync(requestId, viewer, nick, defaultGrant, ct);
            return;
        }

        if (!interactive)
        {
            await actions.DeclineAsync(requestId, ct);
            console.MarkupLine($"[yellow]declined[/] {Markup.Escape(nick)}: no terminal to ask and --auto-accept {autoAccept.ToString().ToLowerInvariant()} does not admit them");
            return;
        }

        int number;
        lock (_gate)
        {
            number = _nextRequest++;
            _pending.Add(new Pending(number, requestId, viewer, nick));
        }

        console.MarkupLine($"[bold yellow]join request {number}[/] from [bold]{Markup.Escape(nick)}[/]{(isFriend ? " (friend)" : " (invitee)")}: " +
            $"[green]a {number}[/] approves with {Describe(defaultGrant)}, [green]a {number} keyboard,mouse[/] chooses, [red]d {number}[/] denies");
    }

    /// <summary>The relay reports a viewer's connection (or its end).</summary>
    public void OnPresence(Guid viewer, bool connected)
    {
        lock (_gate)
        {
            if (_viewers.Find(v => v.Id == viewer) is { } v)
            {
                v.Connected = connected;
            }
        }
    }

    /// <summary>Runs one command line; false when the host asked to end.</summary>
    public async Task<bool> ExecuteAsync(string line, CancellationToken ct)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            return true;
        }

        try
        {
            switch (parts[0].ToLowerInvariant())
            {
                case "a" or "approve" when parts.Length >= 2:
                    var chosen = parts.Length >= 3 ? ParseGrant(parts[2]) : defaultGrant; // before taking the request: a typo keeps it waiting
                    var pending = TakePending(parts[1]);
                    await AdmitAsync(pending.RequestId, pending.Viewer, pending.Nick, chosen, ct);
                    break;
                case "d" or "deny" when parts.Length >= 2:
                    var denied = TakePending(parts[1]);
                    await actions.DeclineAsync(denied.RequestId, ct);
                    console.MarkupLine($"[red]denied[/] {Markup.Escape(denied.Nick)}");
                    break;
                case "g" or "grant" when parts.Length >= 3:
                    await ChangeGrantAsync(FindViewer(parts[1]), _ => ParseGrant(parts[2]), ct);
                    break;
                case "t" or "toggle" when parts.Length >= 3:
                    var flag = ParseGrant(parts[2]);
                    await ChangeGrantAsync(FindViewer(parts[1]), g => g ^ flag, ct);
                    break;
                case "k" or "kick" when parts.Length >= 2:
                    var kicked = FindViewer(parts[1]);
                    await actions.KickAsync(kicked.Id, ct);
                    lock (_gate)
                    {
                        _viewers.Remove(kicked);
                        _kicked.Add(kicked.Id);
                    }

                    console.MarkupLine($"[red]kicked[/] {Markup.Escape(kicked.Nick)}: removed from the session, and further join requests are declined");
                    break;
                case "l" or "list":
                    List();
                    break;
                case "i" or "invite":
                    console.MarkupLine(InviteLink is null ? "no invite link (the API did not issue one)" : $"invite link: [link]{Markup.Escape(InviteLink)}[/]");
                    break;
                case "q" or "quit" or "end":
                    return false;
                default:
                    console.MarkupLine("[grey]" + Markup.Escape(Help) + "[/]");
                    break;
            }
        }
        catch (Exception ex) when (ex is ArgumentException or LiliumException)
        {
            console.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
        }

        return true;
    }

    public void List()
    {
        var table = new Table().AddColumns("#", "viewer", "connected", "keyboard", "mouse", "controller", "immersion");
        lock (_gate)
        {
            for (var i = 0; i < _viewers.Count; i++)
            {
                var v = _viewers[i];
                table.AddRow((i + 1).ToString(), Markup.Escape(v.Nick), v.Connected ? "yes" : "no",
                    Mark(v.Grant, InputPermissions.Keyboard), Mark(v.Grant, InputPermissions.Mouse), Mark(v.Grant, InputPermissions.Controller), Mark(v.Grant, InputPermissions.Immersion));
            }

            foreach (var p in _pending)
            {
                table.AddRow($"r{p.Number}", Markup.Escape(p.Nick), "asking", "", "", "", "");
            }
        }

        console.Write(table);

        static string Mark(InputPermissions grant, InputPermissions flag) => grant.HasFlag(flag) ? "[green]on[/]" : "off";
    }

    private async Task AdmitAsync(string requestId, Guid viewer, string nick, InputPermissions grant, CancellationToken ct)
    {
        await actions.AcceptAsync(requestId, viewer, grant, ct);
        lock (_gate)
        {
            if (_viewers.Find(v => v.Id == viewer) is { } existing)
            {
                existing.Grant = grant;
            }
            else
            {
                _viewers.Add(new Viewer(viewer, nick) { Grant = grant });
            }
        }

        console.MarkupLine($"[green]admitted[/] {Markup.Escape(nick)} with {Describe(grant)}");
    }

    private async Task ChangeGrantAsync(Viewer viewer, Func<InputPermissions, InputPermissions> change, CancellationToken ct)
    {
        var grant = change(viewer.Grant);
        await actions.SetGrantAsync(viewer.Id, grant, ct);
        viewer.Grant = grant;
        console.MarkupLine($"{Markup.Escape(viewer.Nick)} now has {Describe(grant)}");
    }

    private Pending TakePending(string number)
    {
        lock (_gate)
        {
            var p = int.TryParse(number.TrimStart('r'), out var n) ? _pending.Find(x => x.Number == n) : null;
            if (p is null)
            {
                throw new ArgumentException($"no join request {number} is waiting");
            }

            _pending.Remove(p);
            return p;
        }
    }

    private Viewer FindViewer(string which)
    {
        lock (_gate)
        {
            if (int.TryParse(which, out var n) && n >= 1 && n <= _viewers.Count)
            {
                return _viewers[n - 1];
            }

            return _viewers.Find(v => string.Equals(v.Nick, which, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"no viewer '{which}' (l lists them)");
        }
    }

    /// <summary>Parses <c>none</c> or a comma list of keyboard, mouse, controller, immersion.</summary>
    public static InputPermissions ParseGrant(string text)
    {
        var result = InputPermissions.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            result |= part.ToLowerInvariant() switch
            {
                "none" => InputPermissions.None,
                "keyboard" or "kb" => InputPermissions.Keyboard,
                "mouse" => InputPermissions.Mouse,
                "controller" or "pad" => InputPermissions.Controller,
                "immersion" => InputPermissions.Immersion,
                _ => throw new ArgumentException($"unknown input class '{part}' (keyboard, mouse, controller, immersion, none)"),
            };
        }

        return result;
    }

    private static string Describe(InputPermissions grant) => grant == InputPermissions.None ? "no input" : "input: " + grant.ToString().ToLowerInvariant();

    private sealed record Pending(int Number, string RequestId, Guid Viewer, string Nick);

    private sealed class Viewer(Guid id, string nick)
    {
        public Guid Id { get; } = id;

        public string Nick { get; } = nick;

        public InputPermissions Grant { get; set; }

        public bool Connected { get; set; }
    }
}

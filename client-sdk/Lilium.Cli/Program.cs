using System.CommandLine;
using Lilium.Protocol;
using Lilium.Cli;
using Lilium.Client;
using Lilium.Client.Capture;
using Lilium.Client.Signaling;
using Spectre.Console;

// lilium: the LiliumShare command line on the client SDK (docs/cli.md).
var home = new Option<string?>("--home") { Description = "profile folder (identity.pem, config.json); default LILIUM_HOME or ~/.lilium", Recursive = true };
var force = new Option<bool>("--force") { Description = "replace an existing identity" };
var nickname = new Argument<string>("nickname") { Description = "1–32 characters" };
var who = new Argument<string>("user") { Description = "nickname, key fingerprint or user id" };
var message = new Option<string?>("--message", "-m") { Description = "send this one message (else read lines from stdin)" };
var wait = new Option<int>("--wait") { Description = "with --message: seconds to wait for replies", DefaultValueFactory = _ => 3 };
var screen = new Option<string?>("--screen") { Description = "share this X11 display (e.g. :0) — captured in process (XShm), encoded with libvpx/x264; on Windows and macOS any value (e.g. main) shares --monitor (untested there); without it a test pattern" };
var monitor = new Option<int?>("--monitor") { Description = "with --screen: share only this monitor (0 = first RandR monitor; on Windows the DXGI output, on macOS the active display)" };
var region = new Option<string?>("--region") { Description = "with --screen: share only WxH+X+Y of the root window (Windows, macOS: of the monitor)" };
var preset = new Option<string>("--preset") { Description = "720p, 1080p, 1080p60 or native: frame rate, bitrate and the largest size sent (a bigger screen is scaled down, aspect kept)", DefaultValueFactory = _ => "1080p" };
var fps = new Option<int?>("--fps") { Description = "frames per second (default: the preset's)" };
var bitrate = new Option<int?>("--bitrate") { Description = "target video bitrate in kbit/s (default: the preset's); lowered by the relay's REMB if it sends one" };
var codec = new Option<string>("--codec") { Description = "vp8 or h264 (x264 ultrafast/zerolatency)", DefaultValueFactory = _ => "h264" };
var encoder = new Option<string>("--encoder") { Description = "auto (H.264: NVENC, VAAPI or QSV when one opens, else x264), x264, nvenc, vaapi, qsv or vp8; a hardware encoder that cannot run falls back to x264 with one line saying why", DefaultValueFactory = _ => "auto" };
var audio = new Option<string?>("--audio") { Description = "share sound: 'default' (what the machine plays) or a PulseAudio source name" };
var noInput = new Option<bool>("--no-input") { Description = "do not apply viewers' input here (grants still go to the relay)" };
var autoAccept = new Option<string>("--auto-accept") { Description = "admit without asking: none, friends or all", DefaultValueFactory = _ => "none" };
var noPrompt = new Option<bool>("--no-prompt") { Description = "never ask (as without a terminal): decline what --auto-accept does not admit" };
var grant = new Option<string>("--grant") { Description = "input for admitted viewers: none or a list of keyboard,mouse,controller,immersion", DefaultValueFactory = _ => "mouse" };
var seconds = new Option<int>("--seconds") { Description = "stop after this long (0: until Ctrl-C)" };
var session = new Argument<Guid>("session") { Description = "the session id the host printed" };
var frames = new Option<int>("--frames") { Description = "stop after this many frames (0: until Ctrl-C)", DefaultValueFactory = _ => 0 };
var input = new Option<bool>("--input") { Description = "move the host's mouse (if granted)" };
var open = new Option<bool>("--open") { Description = "also open <app origin>/s/<session> in the default browser (LILIUM_APP_URL, else the API's origin)" };

var idNew = new Command("new", "create a key pair (your identity)") { force };
var idShow = new Command("show", "fingerprint, user id and endpoints");
var register = new Command("register", "register your public key with a nickname") { nickname };
var friendsAdd = new Command("add", "ask a user to be friends") { who };
var friendsAccept = new Command("accept", "accept a friend request") { who };
var friendsList = new Command("list", "friends and requests");
var chat = new Command("chat", "end-to-end encrypted chat with a friend") { who, message, wait };
var host = new Command("host", "share the screen (and sound) and admit friends, with a console for requests and grants")
{
    screen, monitor, region, preset, fps, bitrate, codec, encoder, audio, noInput, autoAccept, noPrompt, grant, seconds,
};
var view = new Command("view", "ask to join a session and watch it") { session, frames, input, open };
var demo = new Command("demo", "two new users do everything once, printed as a transcript");
var root = new RootCommand("LiliumShare: share your screen with friends")
{
    home,
    new Command("id", "your identity") { idNew, idShow },
    register,
    new Command("friends", "friends and requests") { friendsAdd, friendsAccept, friendsList },
    chat, host, view, demo,
};

idNew.SetAction((r, ct) => Run(r, c => c.IdNewAsync(r.GetValue(force))));
idShow.SetAction((r, ct) => Run(r, c => c.IdShowAsync()));
register.SetAction((r, ct) => Run(r, c => c.RegisterAsync(r.GetValue(nickname)!, ct)));
friendsAdd.SetAction((r, ct) => Run(r, c => c.FriendsAddAsync(r.GetValue(who)!, ct)));
friendsAccept.SetAction((r, ct) => Run(r, c => c.FriendsAcceptAsync(r.GetValue(who)!, ct)));
friendsList.SetAction((r, ct) => Run(r, c => c.FriendsListAsync(ct)));
chat.SetAction((r, ct) => Run(r, c => c.ChatAsync(r.GetValue(who)!, r.GetValue(message), r.GetValue(wait), ct)));
host.SetAction((r, ct) => Run(r, c => c.HostAsync(HostOptionsFrom(r), ct)));
view.SetAction((r, ct) => Run(r, c => c.ViewAsync(r.GetValue(session), r.GetValue(frames), r.GetValue(input), r.GetValue(open), ct)));
demo.SetAction((r, ct) => Run(r, _ => new Demo(CliProfile.Load(r.GetValue(home)), AnsiConsole.Console).RunAsync(ct)));

// A command line that does not parse is a usage error: exit 2 (docs/cli.md), after System.CommandLine's message and help.
var parsed = root.Parse(args);
var exitCode = await parsed.InvokeAsync();
return parsed.Errors.Count > 0 ? 2 : exitCode;

async Task<int> Run(ParseResult result, Func<Commands, Task> action)
{
    try
    {
        await action(new Commands(CliProfile.Load(result.GetValue(home)), AnsiConsole.Console));
        return 0;
    }
    catch (LiliumProblemException e)
    {
        AnsiConsole.MarkupLine($"[red]refused:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
    catch (LiliumUnavailableException e)
    {
        AnsiConsole.MarkupLine($"[red]unreachable:[/] {Markup.Escape(e.Message)} (is the stack up? make run; or set LILIUM_API_URL / LILIUM_WS_URL)");
        return 1;
    }
    catch (SignalingErrorException e)
    {
        AnsiConsole.MarkupLine($"[red]refused:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
    catch (SessionOverException e)
    {
        AnsiConsole.MarkupLine($"[yellow]ended:[/] {Markup.Escape(e.Message)}");
        return 1;
    }
    catch (LiliumException e)
    {
        AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
        return 2;
    }
    catch (OperationCanceledException)
    {
        return 130;
    }
}

HostOptions HostOptionsFrom(ParseResult r)
{
    ScreenRegion? area = null;
    if (r.GetValue(region) is { } text)
    {
        area = ScreenRegion.TryParse(text, out var parsed) ? parsed : throw new LiliumException($"--region '{text}' is not WxH+X+Y (e.g. 1280x720+0+0).");
    }

    var policy = r.GetValue(autoAccept)!.ToLowerInvariant() switch
    {
        "none" => AutoAccept.None,
        "friends" => AutoAccept.Friends,
        "all" => AutoAccept.All,
        var other => throw new LiliumException($"--auto-accept '{other}': none, friends or all."),
    };
    var videoEncoder = r.GetValue(encoder)!.ToLowerInvariant();
    var videoCodec = Lilium.Client.Codecs.VideoEncoders.CodecFor(videoEncoder, r.GetValue(codec)!);
    if (r.GetValue(bitrate) is { } kbps && kbps is < 100 or > 50_000)
    {
        throw new LiliumException("--bitrate is in kbit/s, 100..50000.");
    }

    if (r.GetValue(fps) is { } f && f is < 1 or > 120)
    {
        throw new LiliumException("--fps is 1..120.");
    }

    return new HostOptions(r.GetValue(screen), r.GetValue(monitor), area, r.GetValue(preset)!, r.GetValue(fps), r.GetValue(bitrate), videoCodec, videoEncoder,
        r.GetValue(audio), !r.GetValue(noInput), policy, ParseGrant(r.GetValue(grant)!), r.GetValue(noPrompt), r.GetValue(seconds));
}

static InputPermissions ParseGrant(string text)
{
    var result = InputPermissions.None;
    foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        result |= part.ToLowerInvariant() switch
        {
            "none" => InputPermissions.None,
            "keyboard" => InputPermissions.Keyboard,
            "mouse" => InputPermissions.Mouse,
            "controller" => InputPermissions.Controller,
            "immersion" => InputPermissions.Immersion,
            _ => throw new LiliumException($"--grant: unknown input class '{part}' (keyboard, mouse, controller, immersion, none)."),
        };
    }

    return result;
}

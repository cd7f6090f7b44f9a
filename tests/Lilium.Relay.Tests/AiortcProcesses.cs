using System.Globalization;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Testing;

namespace Lilium.Relay.Tests;

/// <summary>Runs the aiortc scripts in tests/interop with /usr/bin/python3 (Debian python3-aiortc).</summary>
internal static class AiortcProcesses
{
    private const string Python = "/usr/bin/python3";

    /// <summary>Starts a WHIP publisher; dispose to stop it (the process tree is killed).</summary>
    public static AiortcPublisher Publish(IRelayEndpoints relay, Guid session, int maxSeconds = 40)
    {
        var stop = new CancellationTokenSource();
        var run = ProcessRunner.RunAsync(
            Python,
            [Script("whip_publish.py"), relay.Whip(session).ToString(), relay.Grant(session, RelayRole.Host), "--seconds", maxSeconds.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(maxSeconds + 20),
            cancellationToken: stop.Token);
        return new AiortcPublisher(run, stop);
    }

    /// <summary>Runs a WHEP viewer to completion and parses its JSON summary.</summary>
    public static async Task<ViewerResult> ViewAsync(IRelayEndpoints relay, Guid session, int seconds, int minVideo, bool testLoss = false)
    {
        var args = new List<string>
        {
            Script("whep_view.py"), relay.Whep(session).ToString(), relay.Grant(session, RelayRole.Viewer),
            "--seconds", seconds.ToString(CultureInfo.InvariantCulture),
            "--min-video", minVideo.ToString(CultureInfo.InvariantCulture),
        };
        if (testLoss)
        {
            args.Add("--test-loss");
        }

        var result = await ProcessRunner.RunAsync(Python, args, TimeSpan.FromSeconds(seconds + 30));
        var last = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "{}";
        using var json = JsonDocument.Parse(last);
        var root = json.RootElement;
        int? Int(string name) => root.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
        return new ViewerResult(Int("video_frames") ?? 0, Int("audio_frames") ?? 0, Int("first_video_ms"), Int("width"), last, result.StdErr);
    }

    private static string Script(string name) => Path.Combine(RepoPaths.Root, "tests", "interop", name);
}

/// <summary>A relay the aiortc scripts can reach: in-process (<see cref="RelayFixture"/>) or a published process (<see cref="PublishedRelay"/>).</summary>
public interface IRelayEndpoints
{
    Uri Whip(Guid session);

    Uri Whep(Guid session);

    string Grant(Guid session, RelayRole role, TimeSpan? lifetime = null, DateTimeOffset? issuedAt = null);
}

internal sealed record ViewerResult(int VideoFrames, int AudioFrames, int? FirstVideoMs, int? Width, string Json, string StdErr)
{
    public override string ToString() => Json + "\n" + StdErr;
}

internal sealed class AiortcPublisher(Task<ProcessResult> run, CancellationTokenSource stop) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await run;
        }
        catch (TimeoutException)
        {
            // ProcessRunner reports a cancelled run as a timeout after killing the tree: expected here.
        }

        stop.Dispose();
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using System.Text.Json;
using Lilium.Auth;
using Lilium.Bench;
using Lilium.Client.Capture;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Protocol;
using Lilium.Testing;

// make bench-host: an Xvfb screen at 1920x1080 with moving colour blocks (painted from a second X
// connection), captured at 30 fps, encoded (H.264 ultrafast/zerolatency, then VP8 realtime) and
// published to a relay process on loopback. capture-to-send = the grab's timestamp to the return of
// SendVideoFrame, i.e. the frame's last RTP packet handed to the socket. CPU = this process's CPU
// time over the measured window (the painter's client side is included; it is a few X requests a frame).
// A third run sends the same screen with --preset 720p (H.264): scaled to 1280x720 before the encoder.
var cli = new BenchArgs(args);
if (args.Contains("--scalers"))
{
    return Lilium.Bench.Host.ScalerBench.Run(cli.Text("--out", "bench/results/host-scaler.json"));
}

var seconds = cli.Number("--seconds", 8);
var warmup = cli.Number("--warmup", 2);
var output = cli.Text("--out", "bench/results/host.json");
var relayDll = cli.Text("--relay", "media-relay/Lilium.Relay/bin/Release/net10.0/Lilium.Relay.dll");
const int Width = 1920, Height = 1080, Fps = 30;

using var xvfb = await XvfbServer.StartAsync(Width, Height);
var display = xvfb.Display;
var keys = TokenKeys.Generate();
var httpPort = Ports.FreeTcp();
var mediaPort = Ports.FreeUdp();
var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
foreach (var a in new[] { relayDll, "--urls", $"http://127.0.0.1:{httpPort}" })
{
    start.ArgumentList.Add(a);
}

start.Environment["RELAY_KEY"] = keys.RelayKey; // the relay takes the relay key alone (docs/security.md)
start.Environment["RELAY_MEDIA_PORT"] = mediaPort.ToString(CultureInfo.InvariantCulture);
start.Environment["RELAY_BIND_ADDRESS"] = "127.0.0.1";
start.Environment["RELAY_PUBLIC_IP"] = "127.0.0.1"; // loopback is advertised only when said outright (issue 24)
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var relay = Process.Start(start) ?? throw new InvalidOperationException("could not start the relay");
relay.OutputDataReceived += (_, _) => { };
relay.ErrorDataReceived += (_, _) => { };
relay.BeginOutputReadLine();
relay.BeginErrorReadLine();
var baseUri = new Uri($"http://127.0.0.1:{httpPort}");
using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
var result = new JsonObject();
using var stopPainter = new CancellationTokenSource();
using var drawing = await XDrawing.OpenAsync(display);
var painter = new Thread(() => Paint(drawing, stopPainter.Token)) { IsBackground = true };
try
{
    await RelayHealth.WaitAsync(http, baseUri);
    painter.Start();
    foreach (var (codec, preset) in new[] { ("H264", "native"), ("VP8", "native"), ("H264", "720p") })
    {
        var (p50, p99, cores, frames) = await RunAsync(codec, preset);
        var prefix = (codec, preset) switch { ("VP8", _) => "vp8_", (_, "720p") => "scaled_720p_", _ => "" };
        result[prefix + "capture_to_send_ms_p50"] = Math.Round(p50, 2);
        result[prefix + "capture_to_send_ms_p99"] = Math.Round(p99, 2);
        result[prefix + "host_cpu_cores_1080p30"] = Math.Round(cores, 3);
        result[prefix + "frames"] = frames;
        Console.Error.WriteLine($"{codec} {preset}: p50 {p50:F2} ms, p99 {p99:F2} ms, {cores:F3} cores, {frames} frames in {seconds} s");
    }
}
finally
{
    stopPainter.Cancel();
    if (!relay.HasExited)
    {
        relay.Kill(entireProcessTree: true);
    }

    painter.Join();
}

result["screen"] = $"Xvfb {Width}x{Height}x24, {Fps} fps, moving blocks";
result["seconds"] = seconds;
result["machine"] = $"{Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at the end";
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
return 0;

async Task<(double P50, double P99, double Cores, long Frames)> RunAsync(string codec, string preset)
{
    var session = Guid.NewGuid();
    await using var publisher = await MediaPublisher.ConnectAsync(http, baseUri, session, Grant(session, RelayRole.Host), codec);
    using var screen = ScreenCapture.Open(new ScreenSelection(display));
    // native: the whole 1080p screen at 4.5 Mbit/s; 720p: the same screen scaled to 1280x720 before the encoder.
    using var encoder = VideoPresets.Settings(preset, codec, screen.Width, screen.Height, Fps, preset == "native" ? 4500 : null).Open();
    using var streamer = new ScreenStreamer(screen, encoder, publisher, Fps);
    streamer.Start();
    await Task.Delay(TimeSpan.FromSeconds(warmup));
    streamer.ResetLatencySamples();
    var frames0 = streamer.FramesSent;
    var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
    var wall = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / wall.Elapsed.TotalSeconds;
    var samples = streamer.LatencySamples();
    Array.Sort(samples);
    if (streamer.Failure is { } failure)
    {
        throw new InvalidOperationException("the streamer failed", failure);
    }

    return (Percentiles.NearestRank(samples, 0.50), Percentiles.NearestRank(samples, 0.99), cpu, streamer.FramesSent - frames0);
}

static void Paint(XDrawing drawing, CancellationToken stop)
{
    var frame = 0;
    var rectangles = new FilledRectangle[25];
    while (!stop.IsCancellationRequested)
    {
        // A window-sized area that scrolls (like a document), and a block that moves (like a pointer drag).
        for (var i = 0; i < 24; i++)
        {
            rectangles[i] = new FilledRectangle(200, 100 + (i * 32), 1200, 28, (((uint)(i + frame) * 2654435761u) >> 8) & 0xFFFFFF);
        }

        rectangles[24] = new FilledRectangle((frame * 13) % 1700, 900, 200, 150, 0xFFFFFF);
        drawing.Fill(rectangles);
        frame++;
        Thread.Sleep(1000 / Fps);
    }
}


string Grant(Guid session, RelayRole role)
{
    var now = DateTimeOffset.UtcNow;
    return keys.RelayCodec().Issue(new RelayGrantClaims
    {
        Subject = Guid.NewGuid(),
        Permissions = InputPermissions.None,
        IssuedAt = now.ToUnixTimeSeconds(),
        ExpiresAt = now.AddHours(1).ToUnixTimeSeconds(),
        SessionId = session,
        Role = role,
    });
}




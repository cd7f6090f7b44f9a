using Lilium.Auth;
using Lilium.Client.Capture;
using Lilium.Client.Codecs;
using Lilium.Client.Media;
using Lilium.Protocol;
using Lilium.Testing;

namespace Lilium.Host.Tests;

/// <summary>
/// <c>--preset 720p</c> on a 1920×1080 X screen: the host captures 1080p, scales to 1280×720 before
/// the encoder, and an SDK viewer decodes 1280×720 frames with the drawn colours at the scaled places.
/// </summary>
[Trait("Category", "Desktop")]
public sealed class PresetScalingTests(RelayFixture relay) : IClassFixture<RelayFixture>
{
    // Source rectangles whose scaled centres (×2/3) are well inside the scaled blocks.
    private static readonly (int X, int Y, int W, int H, uint Rgb)[] Blocks =
    [
        (150, 150, 300, 240, 0xE02020),
        (900, 450, 360, 240, 0x20C040),
        (1500, 750, 300, 240, 0x2040E0),
        (60, 840, 240, 180, 0xF0F0F0),
    ];

    [Fact]
    public async Task The_720p_preset_on_a_1080p_screen_sends_1280x720_frames_a_viewer_decodes_with_the_colours_in_place()
    {
        using var xvfb = await XvfbServer.StartAsync(1920, 1080);
        using var drawing = await XDrawing.OpenAsync(xvfb.Display);
        drawing.Fill(0, 0, 1920, 1080, 0x000000);
        foreach (var b in Blocks)
        {
            drawing.Fill(b.X, b.Y, b.W, b.H, b.Rgb);
        }

        var session = Guid.NewGuid();
        await using var publisher = await MediaPublisher.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Host, Guid.NewGuid(), InputPermissions.None), "VP8");
        using var screen = ScreenCapture.Open(new ScreenSelection(xvfb.Display, Cursor: false));
        Assert.Equal((1920, 1080), (screen.Width, screen.Height));
        var settings = VideoPresets.Settings("720p", "VP8", screen.Width, screen.Height);
        Assert.Equal((1280, 720), (settings.Width, settings.Height));
        using var encoder = settings.Open();
        using var streamer = new ScreenStreamer(screen, encoder, publisher, settings.Fps);
        streamer.Start();

        await using var viewer = await MediaViewer.ConnectAsync(relay.Http, relay.BaseUri, session, relay.Grant(session, RelayRole.Viewer, Guid.NewGuid(), InputPermissions.None));
        using var decoder = new Vp8Decoder();
        I420Picture? picture = null;
        var frames = 0;
        using var watch = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await foreach (var frame in viewer.VideoFrames.ReadAllAsync(watch.Token))
            {
                frames++;
                picture = decoder.Decode(frame.Data.Span) ?? picture;
            }
        }
        catch (OperationCanceledException)
        {
        }

        Assert.True(picture is not null, $"no frame decoded (host sent {streamer.FramesSent}, failure {streamer.Failure})");
        Assert.Equal((1280, 720), (picture.Width, picture.Height));
        Assert.True(frames >= 15, $"only {frames} frames in 3 s");
        foreach (var b in Blocks)
        {
            var (r, g, bl) = picture.Rgb((b.X + (b.W / 2)) * 2 / 3, (b.Y + (b.H / 2)) * 2 / 3);
            Assert.True(Math.Abs(r - (int)(b.Rgb >> 16)) <= 24 && Math.Abs(g - (int)((b.Rgb >> 8) & 0xFF)) <= 24 && Math.Abs(bl - (int)(b.Rgb & 0xFF)) <= 24,
                $"block {b.Rgb:X6} decoded as {r:X2}{g:X2}{bl:X2}");
        }

        // Just outside each block's scaled edge it is black: the blocks did not grow or move.
        foreach (var b in Blocks)
        {
            var (r, g, bl) = picture.Rgb(((b.X + b.W) * 2 / 3) + 6, (b.Y + (b.H / 2)) * 2 / 3);
            Assert.True(r + g + bl < 3 * 24, $"right of block {b.Rgb:X6} is {r:X2}{g:X2}{bl:X2}, not black");
        }
    }
}

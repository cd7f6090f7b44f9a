namespace Lilium.Relay.Tests;

/// <summary>
/// The shipped relay build (Native AOT unless <c>LILIUM_RELAY_ARTIFACTS</c> says otherwise) as its own process:
/// aiortc publishes VP8 + Opus through WHIP and a viewer decodes them through WHEP, so DTLS (BouncyCastle), SRTP
/// (libcrypto P/Invoke), ICE, the minimal-API endpoints and the source-generated JSON all run in the native build.
/// </summary>
[Trait("Category", "Interop")]
public sealed class PublishedRelayInteropTests(PublishedRelay relay, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<PublishedRelay>
{
    [Fact]
    public async Task The_published_relay_forwards_an_aiortc_publish_to_a_viewer()
    {
        var dir = Path.GetDirectoryName(relay.Executable)!;
        output.WriteLine($"relay {relay.Executable}: {(File.Exists(Path.Combine(dir, "libcoreclr.so")) ? "JIT (self-contained)" : "Native AOT")}");

        var session = Guid.NewGuid();
        await using var publisher = AiortcProcesses.Publish(relay, session);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (await relay.PeersAsync() < 1)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the publisher never connected:\n{relay.Log}");
            await Task.Delay(100);
        }

        await Task.Delay(TimeSpan.FromSeconds(2)); // DTLS done and media flowing before the viewer asks for it

        var viewer = await AiortcProcesses.ViewAsync(relay, session, seconds: 10, minVideo: 60);
        output.WriteLine(viewer.Json);
        Assert.True(viewer.VideoFrames >= 60, $"decoded only {viewer.VideoFrames} video frames: {viewer}\n{relay.Log}");
        Assert.True(viewer.AudioFrames > 0, $"no audio: {viewer}");
        Assert.Equal(320, viewer.Width);
        Assert.DoesNotContain("\"LogLevel\":\"Error\"", relay.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("\"LogLevel\":\"Critical\"", relay.Log, StringComparison.Ordinal);
    }
}

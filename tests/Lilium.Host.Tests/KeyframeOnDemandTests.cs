namespace Lilium.Host.Tests;

/// <summary>
/// Keyframes only on demand: with the relay's keyframe cache off, a late viewer's first frame is a keyframe the host
/// encodes when the relay's PLI arrives — none is sent periodically.
/// </summary>
[Trait("Category", "Desktop")]
[Collection(TimingCollection.Name)]
public sealed class KeyframeOnDemandTests(XvfbFixture x, RelayWithoutFastStartFixture relay) : IClassFixture<XvfbFixture>, IClassFixture<RelayWithoutFastStartFixture>
{
    [Fact]
    public async Task A_late_viewer_gets_a_new_keyframe_within_500_ms_without_periodic_keyframes()
    {
        x.Fill(0, 0, XvfbFixture.Width, XvfbFixture.Height, 0x203040);
        x.Fill(200, 200, 400, 300, 0xE0C020);
        var trial = await LateViewerTrial.RunAsync(x, relay);

        Assert.True(trial.KeyframesBefore == 1 && trial.First.IsKeyframe, trial.ToString());
        Assert.True(trial.ToFirstFrame < TimeSpan.FromMilliseconds(500), trial.ToString());
        Assert.True(trial.KeyframesAfter > trial.KeyframesBefore, trial.ToString());
    }
}

namespace Lilium.Relay.Media;

/// <summary>
/// How a viewer shows its video now, from its <c>video</c> control message (docs/input.md): paused (a hidden tab, a
/// player scrolled away: no video is sent, audio goes on) and the box it is shown in (device pixels; 0 = no limit).
/// The box caps the simulcast layer (<see cref="MaxLayer"/>); the viewer's estimate still chooses below the cap.
/// </summary>
internal sealed record ViewerVideoHint(bool Paused, int MaxWidth, int MaxHeight)
{
    /// <summary>No hint: playing, no size limit.</summary>
    public static ViewerVideoHint None { get; } = new(false, 0, 0);

    /// <summary>
    /// True when a picture of <paramref name="width"/> × <paramref name="height"/> needs no scaling up to fill the box:
    /// a picture is fitted into the box keeping its aspect ratio, so one of its sides meets the box's — the layer covers
    /// the box when its width reaches the box's width or its height the box's height. A side the hint leaves open never
    /// counts as reached.
    /// </summary>
    public bool Covers(int width, int height) => (MaxWidth > 0 && width >= MaxWidth) || (MaxHeight > 0 && height >= MaxHeight);

    /// <summary>
    /// The highest layer worth sending: the lowest sending layer of <paramref name="source"/> (a rate in
    /// <paramref name="layerBps"/>, as <see cref="LayerSelector.Select"/> takes them) whose size, learnt from its
    /// keyframes, covers the box; <see cref="int.MaxValue"/> (no cap) without a box, or when no such layer covers it (the
    /// top layer is the best there is). A layer of unknown size is passed over, so a cap is never lower than a layer
    /// known to cover the box.
    /// </summary>
    public int MaxLayer(SimulcastSource source, ReadOnlySpan<ulong> layerBps)
    {
        if (MaxWidth <= 0 && MaxHeight <= 0)
        {
            return int.MaxValue;
        }

        foreach (var layer in source.Layers)
        {
            if (layer.Layer < layerBps.Length && layerBps[layer.Layer] != 0 && layer.Width > 0 && Covers(layer.Width, layer.Height))
            {
                return layer.Layer;
            }
        }

        return int.MaxValue;
    }
}

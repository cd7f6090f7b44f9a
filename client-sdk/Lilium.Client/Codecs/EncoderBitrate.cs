namespace Lilium.Client.Codecs;

/// <summary>
/// An encoder's target bitrate and the change asked for from another thread (REMB, the console): the encoding thread
/// applies a change before its next frame, so the codec context is only ever touched by that thread.
/// </summary>
internal sealed class EncoderBitrate(int initialKbps)
{
    private const int MinKbps = 100;
    private const int MaxKbps = 50_000;

    private int _current = Math.Clamp(initialKbps, MinKbps, MaxKbps);
    private int _pending = Math.Clamp(initialKbps, MinKbps, MaxKbps);

    /// <summary>The bitrate the codec runs at (kbit/s).</summary>
    public int Kbps => Volatile.Read(ref _current);

    /// <summary>Asks for a new bitrate (clamped to 100–50,000 kbit/s); applied before the next frame.</summary>
    public void Request(int kbps) => Volatile.Write(ref _pending, Math.Clamp(kbps, MinKbps, MaxKbps));

    /// <summary>On the encoding thread: the requested bitrate when it differs from the codec's; apply it, then <see cref="Commit"/>.</summary>
    public bool TryTakeChange(out int kbps)
    {
        kbps = Volatile.Read(ref _pending);
        return kbps != _current;
    }

    /// <summary>On the encoding thread: the codec now runs at <paramref name="kbps"/>.</summary>
    public void Commit(int kbps) => Volatile.Write(ref _current, kbps);
}

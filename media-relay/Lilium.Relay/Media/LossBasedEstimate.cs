namespace Lilium.Relay.Media;

/// <summary>
/// What one subscriber can take, from its receiver reports: the loss-based controller of GCC
/// (draft-ietf-rmcat-gcc-02 §6). A subscriber starts unconstrained. A report with more than 10 % of the video lost
/// starts a constraint at what the publisher sends, and each such report cuts it by half the loss; below 2 % it grows
/// by 5 % a report; in between it holds. Once it is twice what the publisher sends (a still screen, or the path has
/// room again) the constraint is lifted. It never goes below <see cref="FloorBps"/>. The relay tells the publisher the
/// lowest constraint among its subscribers (REMB), so the host's encoder follows its slowest viewer; per-viewer layers
/// are the simulcast work's. Written on the media thread (reports), read by the housekeeping thread (REMB).
/// </summary>
internal sealed class LossBasedEstimate
{
    /// <summary>A constraint never goes below this (bits/s): a screen at a low frame rate still needs it.</summary>
    public const ulong FloorBps = 150_000;

    /// <summary>What the relay says when nothing constrains a publisher (bits/s): more than any encoder here is set to.</summary>
    public const ulong UnconstrainedBps = 100_000_000;

    private long _bps; // 0: unconstrained

    /// <summary>The constraint (bits/s), or null while this subscriber's reports show no congestion.</summary>
    public ulong? Bps => Volatile.Read(ref _bps) is var v and > 0 ? (ulong)v : null;

    /// <summary>One receiver report.</summary>
    /// <param name="fractionLost">RFC 3550 §6.4.1 fraction lost since the previous report (loss × 256).</param>
    /// <param name="incomingBps">What the publisher sends now.</param>
    public void OnReport(byte fractionLost, ulong incomingBps)
    {
        var previous = Volatile.Read(ref _bps);
        var loss = fractionLost / 256.0;
        double next;
        if (loss > 0.10)
        {
            var current = previous > 0 ? previous : (double)Math.Max(incomingBps, FloorBps);
            next = Math.Max(FloorBps, current * (1 - (0.5 * loss)));
        }
        else if (loss < 0.02 && previous > 0)
        {
            next = previous * 1.05;
            if (next >= 2.0 * Math.Max(incomingBps, FloorBps) || next >= UnconstrainedBps)
            {
                next = 0; // the publisher no longer sends near it: lifted
            }
        }
        else
        {
            return;
        }

        Volatile.Write(ref _bps, (long)next);
    }
}

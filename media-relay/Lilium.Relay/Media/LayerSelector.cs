namespace Lilium.Relay.Media;

/// <summary>
/// Chooses a subscriber's simulcast layer (0 = lowest) from its bandwidth estimate and each layer's measured rate:
/// the highest available layer whose rate fits the estimate. Down at once when the current layer no longer fits (or
/// disappears); up only after a <b>trial</b>: the estimate must stay at or above the higher layer's rate ×
/// (1 + <see cref="UpMargin"/>) for <see cref="UpHoldMs"/> while the path is made to carry that rate
/// (<see cref="Trial"/> and <see cref="TrialBps"/>: the relay pads the subscriber's RTX stream up to it,
/// <see cref="SubscriberProbing"/>). An estimate that came from a short probe through a token bucket's burst, or the
/// unconstrained start of a viewer that was never sent more than the low layer, does not survive two seconds of the real
/// rate, so the viewer is not switched into a flood it then has to be pulled out of (waiting for the lower layer's
/// keyframe: a freeze). A trial that fails (the estimate fell before the hold ended) is not retried for
/// <see cref="TrialBackoffMs"/>, doubling with each failure in a row up to <see cref="MaxTrialBackoffMs"/>, so a
/// viewer on a link that cannot carry the next layer is not flooded every few seconds (LiveKit backs its probes off
/// the same way). Pure: the caller passes the time (ms on any monotonic clock), so tests drive it with a fake clock.
/// Not thread safe (the media loop owns it).
/// </summary>
internal sealed class LayerSelector
{
    /// <summary>How far above a higher layer's rate the estimate must be before going up (15 %).</summary>
    public const double UpMargin = 0.15;

    /// <summary>How long the estimate must hold above a higher layer's rate + margin before going up (ms).</summary>
    public const long UpHoldMs = 2_000;

    /// <summary>How long after a failed trial the next may start (ms); doubles with each failure in a row.</summary>
    public const long TrialBackoffMs = 2_000;

    /// <summary>The longest wait between trials (ms).</summary>
    public const long MaxTrialBackoffMs = 8_000;

    private long _upSinceMs = -1;
    private long _noTrialUntilMs = long.MinValue;

    /// <summary>The layer an up-switch is being tried for, or −1 when none is.</summary>
    public int Trial { get; private set; } = -1;

    /// <summary>During a trial: the rate the path must carry (bits/s), the trial layer's rate × (1 + <see cref="UpMargin"/>).</summary>
    public ulong TrialBps { get; private set; }

    /// <summary>When the current trial started (ms, the caller's clock); meaningless without a trial.</summary>
    public long TrialStartedMs => _upSinceMs;

    /// <summary>Trials that failed in a row (reset by one that succeeds).</summary>
    public int FailedTrials { get; private set; }

    /// <summary>The layer chosen by the last <see cref="Select"/>, or −1 before any choice.</summary>
    public int Target { get; private set; } = -1;

    /// <summary>
    /// Updates and returns <see cref="Target"/>. <paramref name="layerBps"/> holds each layer's measured rate (bits/s)
    /// low → high, 0 for a layer that sends nothing (not started, or paused by the publisher); <paramref name="maxLayer"/>
    /// caps the choice (the viewer's hint). −1 when no layer is available.
    /// </summary>
    public int Select(long nowMs, ulong estimateBps, ReadOnlySpan<ulong> layerBps, int maxLayer = int.MaxValue)
    {
        var top = Math.Min(maxLayer, layerBps.Length - 1);
        var lowest = -1;
        var fits = -1;
        for (var i = 0; i <= top; i++)
        {
            if (layerBps[i] == 0)
            {
                continue;
            }

            lowest = lowest < 0 ? i : lowest;
            if (layerBps[i] <= estimateBps)
            {
                fits = i;
            }
        }

        var best = fits >= 0 ? fits : lowest; // nothing fits: the lowest available layer still beats no video
        var current = Target;
        if (best < 0 || current < 0 || current > top || layerBps[current] == 0 || best <= current)
        {
            EndTrial(nowMs, succeeded: false);
            return Target = best; // first choice, current gone or capped, or down: at once
        }

        // Up: the highest layer the estimate clears with the margin, once it has held long enough.
        var up = current;
        for (var i = current + 1; i <= best; i++)
        {
            if (layerBps[i] != 0 && estimateBps >= layerBps[i] * (1 + UpMargin))
            {
                up = i;
            }
        }

        if (up == current)
        {
            EndTrial(nowMs, succeeded: false);
            return current;
        }

        if (_upSinceMs < 0)
        {
            if (nowMs < _noTrialUntilMs)
            {
                return current; // backing off after a failed trial
            }

            _upSinceMs = nowMs;
        }

        Trial = up;
        TrialBps = (ulong)Math.Ceiling(layerBps[up] * (1 + UpMargin));
        if (nowMs - _upSinceMs < UpHoldMs)
        {
            return current;
        }

        EndTrial(nowMs, succeeded: true);
        return Target = up;
    }

    /// <summary>
    /// Ends the trial in progress as failed (backing off as a failed hold does), for a signal the estimate has not turned
    /// into a lower rate yet: the path showing a queue under the trial's padding. False when no trial was in progress.
    /// </summary>
    public bool FailTrial(long nowMs)
    {
        if (_upSinceMs < 0)
        {
            return false;
        }

        EndTrial(nowMs, succeeded: false);
        return true;
    }

    private void EndTrial(long nowMs, bool succeeded)
    {
        if (_upSinceMs < 0)
        {
            return;
        }

        _upSinceMs = -1;
        Trial = -1;
        TrialBps = 0;
        FailedTrials = succeeded ? 0 : FailedTrials + 1;
        if (!succeeded)
        {
            _noTrialUntilMs = nowMs + Math.Min(TrialBackoffMs << Math.Min(FailedTrials - 1, 16), MaxTrialBackoffMs);
        }
    }
}

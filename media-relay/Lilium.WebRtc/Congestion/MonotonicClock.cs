namespace Lilium.WebRtc.Congestion;

/// <summary>
/// The microsecond timestamps the congestion-control classes take, from a <see cref="TimeProvider"/>'s monotonic
/// timestamp. <c>GetTimestamp() * 1_000_000 / TimestampFrequency</c> would overflow after about 2.5 hours of uptime
/// at Linux's 1 GHz frequency; this splits the product so it does not.
/// </summary>
public static class MonotonicClock
{
    public static long ToMicros(long timestamp, long frequency) =>
        (timestamp / frequency * 1_000_000) + (timestamp % frequency * 1_000_000 / frequency);

    /// <summary>Now, in microseconds on <paramref name="time"/>'s monotonic clock.</summary>
    public static long NowMicros(this TimeProvider time) => ToMicros(time.GetTimestamp(), time.TimestampFrequency);
}

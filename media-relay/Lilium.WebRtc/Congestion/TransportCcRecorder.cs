using Lilium.WebRtc.Rtcp;

namespace Lilium.WebRtc.Congestion;

/// <summary>
/// The receive side of transport-wide congestion control: records when each packet with a transport-wide sequence
/// number arrived and turns that into feedback packets (<see cref="TransportCcFeedback"/>) for the sender's
/// estimator. One per sending peer (the sequence space is per transport, not per SSRC).
/// <para>
/// Per packet, <see cref="OnPacket"/> unwraps the 16-bit sequence and stores the arrival in a ring (no allocation).
/// On a timer, <see cref="IsFeedbackDue"/> says when <see cref="Interval"/> has passed with something to report, and
/// <see cref="TryWriteFeedback"/> writes one packet of at most the given size; call it again while it returns true to
/// write the rest (a long gap or a burst larger than one packet splits). Each packet covers the range from the first
/// unreported sequence to the highest received; a packet reordered behind that range is still taken while no feedback
/// has covered its number, and one arriving after its number was reported is counted in <see cref="LateArrivals"/>
/// and dropped (it was reported lost; the sender's estimator tolerates that, as libwebrtc's does). Times are
/// microseconds on any monotonic clock the caller chooses (e.g. <c>TimeProvider.GetTimestamp</c> scaled).
/// </para>
/// Not thread-safe: one media thread calls it.
/// </summary>
public sealed class TransportCcRecorder
{
    /// <summary>How many sequence numbers the ring holds; older unreported ones are dropped.</summary>
    public const int Capacity = 4096;

    /// <summary>A feedback packet that would cover more than this many sequence numbers is split.</summary>
    public const int MaxStatusesPerPacket = 1024;

    private const long NotReceived = -1;

    private readonly long[] _arrivals = new long[Capacity];
    private readonly long[] _scratch = new long[MaxStatusesPerPacket];
    private readonly uint _senderSsrc;
    private long _highest = -1; // unwrapped; -1 before the first packet
    private long _nextToReport = -1;
    private long _reportedThrough = -1; // the highest unwrapped number a written feedback covered
    private long _lastFeedbackMicros = long.MinValue;
    private byte _feedbackCount;

    /// <param name="senderSsrc">Our SSRC as the feedback's packet sender.</param>
    /// <param name="mediaSsrc">The media source SSRC written into feedback (libwebrtc ignores it; use one of the peer's).</param>
    public TransportCcRecorder(uint senderSsrc, uint mediaSsrc)
    {
        _senderSsrc = senderSsrc;
        MediaSsrc = mediaSsrc;
        Array.Fill(_arrivals, NotReceived);
    }

    /// <summary>The media source SSRC written into feedback.</summary>
    public uint MediaSsrc { get; set; }

    /// <summary>How often feedback is due while packets arrive (libwebrtc sends every 50–250 ms).</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Packets that arrived after their sequence number had been reported (or fell out of the ring).</summary>
    public long LateArrivals { get; private set; }

    /// <summary>True when a packet arrived that no feedback has covered yet.</summary>
    public bool HasPending => _nextToReport >= 0 && _nextToReport <= _highest;

    /// <summary>Records one packet's transport-wide sequence number and arrival time.</summary>
    public void OnPacket(ushort sequence, long arrivalMicros)
    {
        if (_highest < 0)
        {
            // Unwrapped numbers start one cycle up, so that a packet reordered before the first stays positive.
            _highest = 65536 + sequence;
            _nextToReport = _highest;
            _arrivals[_highest % Capacity] = arrivalMicros;
            return;
        }

        var unwrapped = _highest + (short)(ushort)(sequence - (ushort)_highest);
        if (unwrapped <= _reportedThrough || unwrapped <= _highest - Capacity)
        {
            LateArrivals++;
            return;
        }

        if (unwrapped < _nextToReport)
        {
            _nextToReport = unwrapped; // reordered before the unreported range, but nothing covering it was sent yet
        }

        if (unwrapped > _highest)
        {
            if (unwrapped - _nextToReport >= Capacity)
            {
                // A jump further than the ring: what was not reported yet is lost to us; start over from here.
                Array.Fill(_arrivals, NotReceived);
                _nextToReport = unwrapped;
            }
            else
            {
                for (var s = _highest + 1; s < unwrapped; s++)
                {
                    _arrivals[s % Capacity] = NotReceived;
                }
            }

            _highest = unwrapped;
        }

        _arrivals[unwrapped % Capacity] = arrivalMicros;
    }

    /// <summary>True when there is something to report and <see cref="Interval"/> has passed since the last feedback.</summary>
    public bool IsFeedbackDue(long nowMicros) =>
        HasPending && (_lastFeedbackMicros == long.MinValue || nowMicros - _lastFeedbackMicros >= (long)Interval.TotalMicroseconds);

    /// <summary>
    /// Writes one feedback packet of at most <paramref name="destination"/>.Length bytes (≥ 32; 1200 is a safe
    /// choice inside a datagram) covering what was not reported yet, and marks that reported. False when nothing is
    /// pending. Call again while it returns true to drain a backlog.
    /// </summary>
    public bool TryWriteFeedback(Span<byte> destination, long nowMicros, out int written)
    {
        written = 0;
        while (HasPending)
        {
            var span = (int)Math.Min(_highest - _nextToReport + 1, MaxStatusesPerPacket);
            var start = (int)(_nextToReport % Capacity);
            ReadOnlySpan<long> window;
            if (start + span <= Capacity)
            {
                window = _arrivals.AsSpan(start, span);
            }
            else
            {
                // The range wraps the ring: join its two pieces (bounded by MaxStatusesPerPacket).
                var joined = _scratch.AsSpan(0, span);
                _arrivals.AsSpan(start).CopyTo(joined);
                _arrivals.AsSpan(0, span - (Capacity - start)).CopyTo(joined[(Capacity - start)..]);
                window = joined;
            }

            if (window.IndexOfAnyInRange(0, long.MaxValue) < 0)
            {
                // A whole packet's worth of numbers and none arrived (a sender skipping ahead): nothing to anchor a
                // reference time on; pass over them.
                _nextToReport += span;
                _reportedThrough = _nextToReport - 1;
                continue;
            }

            written = TransportCcFeedback.Write(destination, _senderSsrc, MediaSsrc, (ushort)_nextToReport, _feedbackCount, window, out var consumed);
            if (written == 0)
            {
                return false; // destination too small for even one packet
            }

            for (var i = 0; i < consumed; i++)
            {
                _arrivals[(_nextToReport + i) % Capacity] = NotReceived;
            }

            _nextToReport += consumed;
            _reportedThrough = _nextToReport - 1;
            _feedbackCount++;
            _lastFeedbackMicros = nowMicros;
            return true;
        }

        return false;
    }
}

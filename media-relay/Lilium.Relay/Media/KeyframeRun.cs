namespace Lilium.Relay.Media;

/// <summary>
/// Fast start (docs/relay.md): where a publisher video stream's last keyframe begins and how far the stream got since,
/// as a range of sequence numbers whose packets the stream's NACK cache (<see cref="PacketCache"/>) already holds — so
/// the run costs no memory of its own. It restarts at the first packet of the next keyframe (a later packet of the
/// same keyframe — an H.264 IDR after its SPS — does not restart it) and lapses when it outgrows the cache
/// (<see cref="PacketCache.Capacity"/> packets, at most 1.5 MB) or gets older than the configured age; then a joining
/// viewer waits for a keyframe request instead. Media loop only.
/// </summary>
internal sealed class KeyframeRun
{
    private bool _valid;
    private ushort _first;
    private ushort _last;
    private uint _timestamp;
    private long _startedMs;

    /// <summary>Records a publisher packet (after the cache stored it).</summary>
    public void OnPacket(ushort sequence, uint timestamp, bool startsKeyframe, long nowMs)
    {
        if (startsKeyframe && !(_valid && timestamp == _timestamp))
        {
            (_valid, _first, _last, _timestamp, _startedMs) = (true, sequence, sequence, timestamp, nowMs);
            return;
        }

        if (!_valid)
        {
            return;
        }

        var ahead = (ushort)(sequence - _last);
        if (ahead is > 0 and < 0x8000)
        {
            _last = sequence;
            if ((ushort)(_last - _first) >= PacketCache.Capacity)
            {
                _valid = false; // the cache no longer holds the keyframe
            }
        }
    }

    /// <summary>The run to replay — its first sequence number and length — if there is one no older than <paramref name="maxAgeMs"/>.</summary>
    public bool TryGet(long nowMs, long maxAgeMs, out ushort first, out int count)
    {
        first = _first;
        count = (ushort)(_last - _first) + 1;
        if (_valid && nowMs - _startedMs > maxAgeMs)
        {
            _valid = false;
        }

        return _valid;
    }
}

namespace Lilium.Client.Media;

/// <summary>
/// The viewer's receive side for one video stream (VP8 or H.264, by its <see cref="VideoDepacketizer"/>): a small
/// reorder (jitter) buffer keyed by extended sequence number, frame assembly (a frame start … marker, one timestamp,
/// no gaps), NACK for missing
/// packets (RFC 4585, at most three times each), and a keyframe request (PLI) when the decoder
/// could not continue: at start, or after a packet stayed lost past <see cref="GiveUpMs"/>.
/// Not thread-safe: fed by one receive loop and its timer under the owner's lock.
/// </summary>
internal sealed class VideoFrameAssembler(VideoDepacketizer depacketizer, TimeProvider time)
{
    public const int GiveUpMs = 400;
    private const int NackIntervalMs = 60;
    private const int MaxNacks = 3;
    private const int PliIntervalMs = 500;
    private const int MaxBuffered = 2048;

    private readonly SortedDictionary<long, Packet> _packets = [];
    private readonly Dictionary<long, (long FirstMissingMs, int Nacks, long LastNackMs)> _missing = [];
    private long _next = -1; // extended sequence of the next packet a frame may start at
    private long _highest = -1;
    private bool _needKeyframe = true;
    private long _lastPliMs = long.MinValue / 2;

    public long FramesEmitted { get; private set; }

    public long PacketsReceived { get; private set; }

    public long NacksSent { get; private set; }

    public long PlisSent { get; private set; }

    /// <summary>Adds a packet; returns complete frames that became ready, in order.</summary>
    /// <remarks>
    /// An empty payload is a padding-only packet (RFC 3550 §5.1). It carries nothing but holds its sequence number, and
    /// that matters: before a track's first packet the relay sends one numbered just below the keyframe it starts on, so
    /// a lost first packet of that keyframe is a gap this side sees and NACKs, not a silent wait for the next PLI.
    /// </remarks>
    public void Add(ushort sequence, uint timestamp, bool marker, ReadOnlySpan<byte> payload, List<VideoFrame> ready)
    {
        if (payload.IsEmpty)
        {
            Insert(sequence, new Packet(timestamp, Marker: false, Start: false, Data: [], Padding: true), ready);
            return;
        }

        if (!depacketizer.TryRead(payload, out var start, out var data))
        {
            return;
        }

        PacketsReceived++;
        Insert(sequence, new Packet(timestamp, marker, start, data), ready);
    }

    private void Insert(ushort sequence, Packet packet, List<VideoFrame> ready)
    {
        var ext = Extend(sequence);
        if (_next >= 0 && ext < _next)
        {
            return; // late duplicate or already given up
        }

        _packets.TryAdd(ext, packet);
        _missing.Remove(ext);
        var now = Now;
        if (_highest >= 0 && ext > _highest + 1)
        {
            for (var s = _highest + 1; s < ext && _missing.Count < 512; s++)
            {
                _missing.TryAdd(s, (now, 0, long.MinValue / 2));
            }
        }

        _highest = Math.Max(_highest, ext);
        if (_next < 0)
        {
            _next = ext;
        }

        while (_packets.Count > MaxBuffered)
        {
            _packets.Remove(_packets.Keys.First());
        }

        Drain(ready);
    }

    /// <summary>Periodic work: which sequence numbers to NACK now, whether to send a PLI, frames unblocked by giving up.</summary>
    public void Tick(List<ushort> nack, out bool pli, List<VideoFrame> ready)
    {
        var now = Now;
        foreach (var (seq, state) in _missing.ToList())
        {
            if (seq < _next)
            {
                _missing.Remove(seq);
                continue;
            }

            if (state.Nacks < MaxNacks && now - state.LastNackMs >= NackIntervalMs)
            {
                nack.Add((ushort)seq);
                _missing[seq] = (state.FirstMissingMs, state.Nacks + 1, now);
            }
        }

        NacksSent += nack.Count;

        // A packet at the head stayed lost: skip to the next frame start and wait for a keyframe.
        if (_next >= 0 && !_packets.ContainsKey(_next) && _missing.TryGetValue(_next, out var head) && now - head.FirstMissingMs > GiveUpMs)
        {
            _needKeyframe = true;
            var resume = _packets.FirstOrDefault(p => p.Key > _next && p.Value.Start);
            foreach (var seq in _missing.Keys.Where(s => resume.Value is null || s < resume.Key).ToList())
            {
                _missing.Remove(seq);
            }

            foreach (var seq in _packets.Keys.Where(s => resume.Value is null || s < resume.Key).ToList())
            {
                _packets.Remove(seq);
            }

            _next = resume.Value is null ? _highest + 1 : resume.Key;
            Drain(ready);
        }

        // Not before the first packet: there is no media SSRC to name yet (the relay asked for the joining viewer's
        // keyframe itself), and a request counted then would hold back the first real one by PliIntervalMs.
        pli = _needKeyframe && _highest >= 0 && now - _lastPliMs >= PliIntervalMs;
        if (pli)
        {
            _lastPliMs = now;
            PlisSent++;
        }
    }

    private void Drain(List<VideoFrame> ready)
    {
        while (_packets.TryGetValue(_next, out var first))
        {
            if (first.Padding)
            {
                _packets.Remove(_next);
                _next++;
                continue;
            }

            if (!first.Start)
            {
                // Not a frame start (we joined mid-frame, or a start was given up): drop up to the next start.
                _packets.Remove(_next);
                _next++;
                _needKeyframe = true;
                continue;
            }

            var end = _next;
            var complete = false;
            var size = 0;
            while (_packets.TryGetValue(end, out var p) && p.Timestamp == first.Timestamp)
            {
                size += p.Data.Length;
                if (p.Marker)
                {
                    complete = true;
                    break;
                }

                end++;
            }

            if (!complete)
            {
                return; // wait for the rest (or for NACK to recover it)
            }

            var data = new byte[size];
            var at = 0;
            for (var s = _next; s <= end; s++)
            {
                _packets.Remove(s, out var p);
                p!.Data.CopyTo(data, at);
                at += p.Data.Length;
            }

            _next = end + 1;
            var keyframe = depacketizer.IsKeyframe(data);
            if (_needKeyframe && !keyframe)
            {
                continue; // undecodable until a keyframe arrives
            }

            _needKeyframe = false;
            FramesEmitted++;
            ready.Add(new VideoFrame(depacketizer.Codec, data, first.Timestamp, keyframe, time.GetUtcNow()));
        }
    }

    private long Extend(ushort sequence)
    {
        if (_highest < 0)
        {
            return sequence + 65536L; // room below for reordering at start
        }

        var cycle = _highest & ~0xFFFFL;
        var candidate = cycle | sequence;
        if (candidate < _highest - 32768)
        {
            candidate += 65536;
        }
        else if (candidate > _highest + 32768)
        {
            candidate -= 65536;
        }

        return candidate;
    }

    private long Now => (long)time.GetElapsedTime(0).TotalMilliseconds;

    private sealed record Packet(uint Timestamp, bool Marker, bool Start, byte[] Data, bool Padding = false);
}

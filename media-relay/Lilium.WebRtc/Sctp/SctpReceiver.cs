namespace Lilium.WebRtc.Sctp;

/// <summary>
/// The receiving half of an association: cumulative TSN and gap tracking for SACKs, reassembly of
/// fragmented messages, per-stream ordered delivery, FORWARD TSN (RFC 3758 §3.6) and incoming
/// stream resets (RFC 6525 §5.2.2). Everything it buffers counts against the receive window, so a
/// hostile peer cannot make it hold more than <see cref="SctpOptions.ReceiveWindow"/> bytes or
/// track TSNs further than <see cref="SctpOptions.MaxTsnWindow"/> ahead.
/// </summary>
internal sealed class SctpReceiver(SctpOptions options, uint peerInitialTsn)
{
    private const int MaxReportedDuplicates = 16;
    private const int MaxGapBlocks = 64;

    private readonly record struct Fragment(ushort StreamId, ushort Ssn, uint Ppid, DataChunkFlags Flags, byte[] Data);

    private sealed class InboundStream
    {
        public ushort NextSsn { get; set; }
        public Dictionary<ushort, (uint Ppid, byte[] Data)> Waiting { get; } = [];
    }

    private readonly Dictionary<uint, Fragment> _fragments = [];
    private readonly HashSet<uint> _receivedAbove = [];
    private readonly Dictionary<ushort, InboundStream> _streams = [];
    private readonly List<uint> _duplicates = [];
    private long _bufferedBytes;

    /// <summary>The highest TSN up to which everything has arrived (the SACK's cumulative ack).</summary>
    public uint CumulativeTsn { get; private set; } = peerInitialTsn - 1;

    public uint AdvertisedWindow => (uint)Math.Max(0, options.ReceiveWindow - _bufferedBytes);

    /// <summary>Accepts one DATA chunk; complete messages go to <paramref name="deliver"/>. False if dropped.</summary>
    public bool OnData(in DataChunk chunk, SctpStats stats, Action<ushort, uint, byte[]> deliver)
    {
        var tsn = chunk.Tsn;
        if (Serial.Le(tsn, CumulativeTsn) || _receivedAbove.Contains(tsn))
        {
            stats.DuplicateChunks++;
            if (_duplicates.Count < MaxReportedDuplicates)
            {
                _duplicates.Add(tsn);
            }

            return true;
        }

        if (tsn - CumulativeTsn > options.MaxTsnWindow || _bufferedBytes + chunk.UserData.Length > options.ReceiveWindow)
        {
            return false; // out of window or over budget: not acknowledged, the sender will retry.
        }

        stats.DataChunksReceived++;
        _receivedAbove.Add(tsn);
        _fragments[tsn] = new Fragment(chunk.StreamId, chunk.StreamSequence, chunk.Ppid, chunk.Flags, chunk.UserData.ToArray());
        _bufferedBytes += chunk.UserData.Length;
        while (_receivedAbove.Remove(CumulativeTsn + 1))
        {
            CumulativeTsn++;
        }

        TryAssemble(tsn, stats, deliver);
        return true;
    }

    /// <summary>RFC 3758 §3.6: skip abandoned data up to <paramref name="newCumulativeTsn"/>.</summary>
    public void OnForwardTsn(in ForwardTsnChunk forward, SctpStats stats, Action<ushort, uint, byte[]> deliver)
    {
        var target = forward.NewCumulativeTsn;
        if (Serial.Le(target, CumulativeTsn) || target - CumulativeTsn > options.MaxTsnWindow)
        {
            return;
        }

        for (var t = CumulativeTsn + 1; Serial.Le(t, target); t++)
        {
            _receivedAbove.Remove(t);
            if (_fragments.Remove(t, out var f))
            {
                _bufferedBytes -= f.Data.Length;
            }
        }

        CumulativeTsn = target;
        while (_receivedAbove.Remove(CumulativeTsn + 1))
        {
            CumulativeTsn++;
        }

        for (var i = 0; i < forward.StreamCount; i++)
        {
            var (sid, ssn) = forward.Stream(i);
            var stream = Stream(sid);
            if (Serial.Le(stream.NextSsn, ssn))
            {
                foreach (var skipped in stream.Waiting.Keys.Where(k => Serial.Le(k, ssn)).ToList())
                {
                    stream.Waiting.Remove(skipped, out var m);
                    _bufferedBytes -= m.Data.Length;
                }

                stream.NextSsn = (ushort)(ssn + 1);
                DrainOrdered(sid, stream, stats, deliver);
            }
        }
    }

    /// <summary>
    /// RFC 6525 §5.2.2: the peer reset its outgoing streams (our incoming). Applies only once every
    /// TSN up to <paramref name="lastTsn"/> has arrived; returns false to say "in progress".
    /// </summary>
    public bool TryResetIncoming(uint lastTsn, IReadOnlyList<ushort> streamIds)
    {
        if (Serial.Lt(CumulativeTsn, lastTsn))
        {
            return false;
        }

        foreach (var sid in streamIds.Count > 0 ? streamIds : [.. _streams.Keys])
        {
            if (_streams.Remove(sid, out var s))
            {
                foreach (var (_, m) in s.Waiting)
                {
                    _bufferedBytes -= m.Data.Length;
                }
            }
        }

        return true;
    }

    /// <summary>Writes a SACK for the current state; clears the duplicate list.</summary>
    public int WriteSack(Span<byte> destination, int maxSize)
    {
        Span<(ushort, ushort)> gaps = stackalloc (ushort, ushort)[MaxGapBlocks];
        var gapCount = 0;
        if (_receivedAbove.Count > 0)
        {
            var offsets = _receivedAbove.Select(t => t - CumulativeTsn).Order().ToArray();
            var start = offsets[0];
            var end = start;
            foreach (var o in offsets.AsSpan(1))
            {
                if (o == end + 1)
                {
                    end = o;
                    continue;
                }

                if (gapCount == MaxGapBlocks)
                {
                    break;
                }

                gaps[gapCount++] = ((ushort)start, (ushort)end);
                start = end = o;
            }

            if (gapCount < MaxGapBlocks)
            {
                gaps[gapCount++] = ((ushort)start, (ushort)end);
            }
        }

        var dups = CollectionsMarshalSpan(_duplicates);
        while (SackChunk.Size(gapCount, dups.Length) > maxSize && (dups.Length > 0 || gapCount > 0))
        {
            if (dups.Length > 0)
            {
                dups = dups[..^1];
            }
            else
            {
                gapCount--;
            }
        }

        var n = SackChunk.Write(destination, CumulativeTsn, AdvertisedWindow, gaps[..gapCount], dups);
        _duplicates.Clear();
        return n;
    }

    public static int MaxSackSize => SackChunk.Size(MaxGapBlocks, MaxReportedDuplicates);

    private static ReadOnlySpan<uint> CollectionsMarshalSpan(List<uint> list) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    private InboundStream Stream(ushort sid)
    {
        if (!_streams.TryGetValue(sid, out var s))
        {
            s = new InboundStream();
            _streams[sid] = s;
        }

        return s;
    }

    /// <summary>
    /// Finds the whole message around <paramref name="tsn"/>: fragments of one message carry
    /// consecutive TSNs, B on the first and E on the last (RFC 4960 §6.9).
    /// </summary>
    private void TryAssemble(uint tsn, SctpStats stats, Action<ushort, uint, byte[]> deliver)
    {
        var f = _fragments[tsn];
        var first = tsn;
        var current = f;
        while ((current.Flags & DataChunkFlags.Beginning) == 0)
        {
            if (!_fragments.TryGetValue(first - 1, out var prev) || !SameMessage(prev, f))
            {
                return;
            }

            first--;
            current = prev;
        }

        var last = tsn;
        current = f;
        while ((current.Flags & DataChunkFlags.End) == 0)
        {
            if (!_fragments.TryGetValue(last + 1, out var next) || !SameMessage(next, f))
            {
                return;
            }

            last++;
            current = next;
        }

        var length = 0;
        for (var t = first; Serial.Le(t, last); t++)
        {
            length += _fragments[t].Data.Length;
        }

        var message = new byte[length];
        var at = 0;
        for (var t = first; Serial.Le(t, last); t++)
        {
            _fragments.Remove(t, out var part);
            part.Data.CopyTo(message, at);
            at += part.Data.Length;
        }

        if ((f.Flags & DataChunkFlags.Unordered) != 0)
        {
            _bufferedBytes -= length;
            stats.MessagesDelivered++;
            deliver(f.StreamId, f.Ppid, message);
            return;
        }

        var stream = Stream(f.StreamId);
        if (Serial.Lt(f.Ssn, stream.NextSsn) || !stream.Waiting.TryAdd(f.Ssn, (f.Ppid, message)))
        {
            _bufferedBytes -= length; // a stale or duplicate sequence number: nothing to deliver.
            return;
        }

        DrainOrdered(f.StreamId, stream, stats, deliver);
    }

    private void DrainOrdered(ushort sid, InboundStream stream, SctpStats stats, Action<ushort, uint, byte[]> deliver)
    {
        while (stream.Waiting.Remove(stream.NextSsn, out var m))
        {
            stream.NextSsn++;
            _bufferedBytes -= m.Data.Length;
            stats.MessagesDelivered++;
            deliver(sid, m.Ppid, m.Data);
        }
    }

    private static bool SameMessage(Fragment a, Fragment b) =>
        a.StreamId == b.StreamId
        && (a.Flags & DataChunkFlags.Unordered) == (b.Flags & DataChunkFlags.Unordered)
        && ((a.Flags & DataChunkFlags.Unordered) != 0 || a.Ssn == b.Ssn);
}

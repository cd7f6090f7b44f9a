using System.Buffers.Binary;
using System.Collections;
using System.Diagnostics;
using System.Net.Sockets;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;

/// <summary>One subscriber: marks every publisher sequence number it receives and samples latency.</summary>
internal sealed class Subscriber(BenchPeer peer) : IDisposable
{
    private const int LatencySampleEvery = 25;
    private readonly BitArray _seen = new(1 << 20);
    private readonly List<(long Seq, double Ms)> _latencies = [];
    private readonly Lock _lock = new();
    private long _offset = long.MinValue; // publisher extended seq minus this viewer's rewritten seq
    private long _lastExtended = -1;
    private Task? _loop;

    public void Start(CancellationToken stop) => _loop = Task.Run(() => ReceiveAsync(stop), stop);

    public long CountReceived(long from, long to)
    {
        lock (_lock)
        {
            long n = 0;
            for (var s = from; s < to && s < _seen.Length; s++)
            {
                n += _seen[(int)s] ? 1 : 0;
            }

            return n;
        }
    }

    public IEnumerable<double> TakeLatencies(long from, long to)
    {
        lock (_lock)
        {
            return [.. _latencies.Where(l => l.Seq >= from && l.Seq < to).Select(l => l.Ms)];
        }
    }

    public void Dispose() => peer.Socket.Dispose();

    private async Task ReceiveAsync(CancellationToken stop)
    {
        using var srtp = SrtpSession.ForReceiving(peer.Keys);
        var buffer = new byte[2048];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var n = await peer.Socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                var now = Stopwatch.GetTimestamp();
                var datagram = buffer.AsSpan(0, n);
                peer.AnswerIfCheck(datagram);
                if (!RtpHeader.IsRtpOrRtcp(datagram) || RtpHeader.IsRtcp(datagram) || n < 12)
                {
                    continue;
                }

                // The RTP header is clear text in SRTP: the rewritten sequence number maps back to the publisher's.
                var seq = BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]);
                var extended = Extend(seq);
                var decrypt = _offset == long.MinValue || (extended + _offset) % LatencySampleEvery == 0;
                if (decrypt)
                {
                    if (!srtp.TryUnprotectRtp(buffer, n, out var plain) || !RtpHeader.TryParse(buffer.AsSpan(0, plain), out var header) || header.PayloadLength < 20)
                    {
                        continue;
                    }

                    var publisherSeq = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(header.HeaderLength + 4));
                    var sentAt = BinaryPrimitives.ReadInt64BigEndian(buffer.AsSpan(header.HeaderLength + 12));
                    _offset = publisherSeq - extended;
                    lock (_lock)
                    {
                        _latencies.Add((publisherSeq, Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds));
                    }
                }

                var p = extended + _offset;
                if (p >= 0 && p < _seen.Length)
                {
                    lock (_lock)
                    {
                        _seen[(int)p] = true;
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private long Extend(ushort seq)
    {
        if (_lastExtended < 0)
        {
            _lastExtended = seq;
            return seq;
        }

        var delta = (short)(seq - (ushort)_lastExtended);
        _lastExtended += delta;
        return _lastExtended;
    }
}

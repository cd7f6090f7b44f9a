using System.Buffers.Binary;
using System.Collections;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;
using Lilium.WebRtc;

/// <summary>
/// One subscriber: marks every publisher sequence number it receives and samples latency. The <see cref="ReceivePool"/>
/// hands it each datagram with the kernel's receive time; the publisher's send time of that sequence number is in
/// <see cref="SendLog"/> (same host, same clock).
/// </summary>
internal sealed class Subscriber(BenchPeer peer, SendLog sent) : IDisposable
{
    private const int LatencySampleEvery = 10;
    private const int VerifyOffsetEvery = 250;
    private readonly BitArray _seen = new(SendLog.Capacity);
    private readonly List<(long Seq, double Ms)> _latencies = [];
    private readonly Lock _lock = new();
    private readonly SrtpSession _srtp = SrtpSession.ForReceiving(peer.Keys);
    private readonly byte[] _plain = new byte[2048];
    private long _offset = long.MinValue; // publisher extended seq minus this viewer's rewritten seq
    private long _lastExtended = -1;
    private readonly TransportCcRecorder? _recorder = peer.TransportCcId != 0 ? new(0x0BE4C400, 0) : null;
    private readonly SrtpSession _srtcp = SrtpSession.ForSending(peer.Keys);
    private readonly byte[] _feedback = new byte[1200 + 20];

    /// <summary>Transport feedback packets this subscriber sent.</summary>
    public long FeedbackSent { get; private set; }

    public BenchPeer Peer => peer;

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

    /// <summary>One datagram from the SFU, received by the kernel at <paramref name="arrivalUnixNs"/> (0: unknown).</summary>
    public void OnDatagram(Span<byte> datagram, long arrivalUnixNs)
    {
        peer.AnswerIfCheck(datagram);
        if (datagram.Length < 12 || PacketDemux.Classify(datagram) != PacketKind.Rtp)
        {
            return;
        }

        if (_recorder is not null && arrivalUnixNs != 0)
        {
            RecordTransportSequence(datagram, arrivalUnixNs / 1000);
        }

        // The RTP header is clear text in SRTP: the rewritten sequence number maps back to the publisher's. One packet
        // is decrypted to learn the mapping (the publisher's sequence number is in the payload), and every
        // VerifyOffsetEvery-th again, so a wrong mapping cannot go unnoticed for long.
        var extended = Extend(BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
        if (_offset == long.MinValue || (extended + _offset) % VerifyOffsetEvery == 0)
        {
            datagram.CopyTo(_plain);
            if (!_srtp.TryUnprotectRtp(_plain, datagram.Length, out var plain) || !RtpHeader.TryParse(_plain.AsSpan(0, plain), out var header) || header.PayloadLength < 20)
            {
                return; // not the publisher's media (the sequence anchor is padding only)
            }

            _offset = BinaryPrimitives.ReadInt64BigEndian(_plain.AsSpan(header.HeaderLength + 4)) - extended;
        }

        var p = extended + _offset;
        if (p < 0 || p >= _seen.Length)
        {
            return;
        }

        lock (_lock)
        {
            _seen[(int)p] = true;
            if (p % LatencySampleEvery == 0 && arrivalUnixNs != 0 && sent.SentAt(p) is var at and > 0)
            {
                _latencies.Add((p, (arrivalUnixNs - at) / 1e6));
            }
        }
    }

    // The header extensions are clear text in SRTP too: record the relay's transport-wide sequence number and, every
    // 50 ms, send transport feedback (SRTCP) as a Chromium viewer does.
    private void RecordTransportSequence(ReadOnlySpan<byte> datagram, long arrivalMicros)
    {
        if (!RtpHeader.TryParse(datagram, out var header) || !RtpExtensions.TryGetTransportSequence(datagram, header, peer.TransportCcId, out var sequence))
        {
            return;
        }

        _recorder!.OnPacket(sequence, arrivalMicros);
        while (_recorder.IsFeedbackDue(arrivalMicros) && _recorder.TryWriteFeedback(_feedback.AsSpan(0, 1200), arrivalMicros, out var length))
        {
            if (_srtcp.TryProtectRtcp(_feedback, length, out var protectedLength))
            {
                peer.Socket.SendTo(_feedback.AsSpan(0, protectedLength), System.Net.Sockets.SocketFlags.None, peer.Remote);
                FeedbackSent++;
            }
        }
    }

    public void Dispose()
    {
        peer.Socket.Dispose();
        _srtp.Dispose();
        _srtcp.Dispose();
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

/// <summary>When the publisher sent each packet (CLOCK_REALTIME, ns since the Unix epoch, the clock of SO_TIMESTAMPNS).</summary>
internal sealed class SendLog
{
    public const int Capacity = 1 << 20;
    private readonly long[] _sentAt = new long[Capacity];

    public static long NowUnixNs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;

    public void Record(long seq, long unixNs) => Volatile.Write(ref _sentAt[seq], unixNs);

    public long SentAt(long seq) => Volatile.Read(ref _sentAt[seq]);
}

using System.Buffers.Binary;
using System.Collections;
using Lilium.WebRtc.Congestion;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Srtp;
using Lilium.WebRtc;

/// <summary>
/// One subscriber: marks every publisher packet it receives, per layer, and samples latency on the full layer. The
/// <see cref="ReceivePool"/> hands it each datagram with the kernel's receive time; the publisher's send time of a
/// full-layer packet is in <see cref="SendLog"/> (same host, same clock). With simulcast the relay sends this subscriber
/// one layer at a time on one SSRC, numbering on across a switch: the layer a packet belongs to shows in its clear-text
/// payload length (<see cref="BenchLayers"/>), and a packet of another layer than the last one (a switch) is decrypted
/// to learn the new layer's mapping from the payload. Packets on another SSRC (the relay's probe and trial padding on
/// the RTX stream) and padding-only packets are counted for transport feedback only.
/// </summary>
internal sealed class Subscriber(BenchPeer peer, SendLog sent, bool simulcast) : IDisposable
{
    private const int LatencySampleEvery = 10;
    private const int VerifyOffsetEvery = 250;
    private const byte PaddingBit = 0x20;
    private readonly BitArray?[] _seen = new BitArray?[BenchLayers.All.Length]; // allocated at a layer's first packet
    private readonly List<(long Seq, double Ms)> _latencies = [];
    private readonly Lock _lock = new();
    private readonly SrtpSession _srtp = SrtpSession.ForReceiving(peer.Keys);
    private readonly byte[] _plain = new byte[2048];
    private long _offset = long.MinValue; // the current layer's packet index minus this viewer's rewritten seq
    private long _lastExtended = -1;
    private uint _mediaSsrc;
    private int _layer = -1;
    private long _switches;
    private long _otherSsrcPackets;
    private readonly TransportCcRecorder? _recorder = peer.TransportCcId != 0 ? new(0x0BE4C400, 0) : null;
    private readonly SrtpSession _srtcp = SrtpSession.ForSending(peer.Keys);
    private readonly byte[] _feedback = new byte[1200 + 20];
    private readonly byte[] _header = new byte[256];

    /// <summary>Transport feedback packets this subscriber sent.</summary>
    public long FeedbackSent { get; private set; }

    public BenchPeer Peer => peer;

    /// <summary>The layer of the last media packet received (<see cref="BenchLayer.Index"/>), or −1 before any.</summary>
    public int Layer => Volatile.Read(ref _layer);

    /// <summary>Layer changes seen (the first layer is not a change).</summary>
    public long Switches => Interlocked.Read(ref _switches);

    /// <summary>Packets on an SSRC other than the media track's: the relay's probe and trial padding (RTX stream).</summary>
    public long OtherSsrcPackets => Interlocked.Read(ref _otherSsrcPackets);

    /// <summary>Packets of <paramref name="layer"/> with an index in [<paramref name="from"/>, <paramref name="to"/>) received.</summary>
    public long CountReceived(int layer, long from, long to)
    {
        lock (_lock)
        {
            if (_seen[layer] is not { } seen)
            {
                return 0;
            }

            long n = 0;
            for (var s = from; s < to && s < seen.Length; s++)
            {
                n += seen[(int)s] ? 1 : 0;
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
        if (datagram.Length < 12 || PacketDemux.Classify(datagram) != PacketKind.Rtp || !RtpHeader.TryGetHeaderLength(datagram, out var headerLength))
        {
            return;
        }

        if (_recorder is not null && arrivalUnixNs != 0)
        {
            RecordTransportSequence(datagram, headerLength, arrivalUnixNs / 1000);
        }

        var ssrc = BinaryPrimitives.ReadUInt32BigEndian(datagram[8..]);
        if (_mediaSsrc != 0 && ssrc != _mediaSsrc)
        {
            Interlocked.Increment(ref _otherSsrcPackets);
            return;
        }

        if ((datagram[0] & PaddingBit) != 0)
        {
            return; // padding only: the relay's sequence anchor before the first packet (publisher packets carry none)
        }

        // The RTP header is clear text in SRTP: the rewritten sequence number maps back to the publisher's packet index
        // within the layer. A packet is decrypted to learn the mapping (the index and layer are in the payload) when it
        // starts a layer, and every VerifyOffsetEvery-th again, so a wrong mapping cannot go unnoticed for long.
        var extended = Extend(BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
        var layer = simulcast ? BenchLayers.ByPayloadLength(datagram.Length - headerLength - _srtp.RtpOverhead) : BenchLayers.Full;
        if (layer < 0)
        {
            return;
        }

        if (_offset == long.MinValue || layer != _layer || (extended + _offset) % VerifyOffsetEvery == 0)
        {
            datagram.CopyTo(_plain);
            if (!_srtp.TryUnprotectRtp(_plain, datagram.Length, out var plain) || !RtpHeader.TryParse(_plain.AsSpan(0, plain), out var header)
                || header.PayloadLength <= BenchLayers.LayerAt)
            {
                return; // not the publisher's media
            }

            int sentLayer = _plain[header.HeaderLength + BenchLayers.LayerAt];
            if (sentLayer >= BenchLayers.All.Length)
            {
                return;
            }

            _mediaSsrc = ssrc;
            _offset = BinaryPrimitives.ReadInt64BigEndian(_plain.AsSpan(header.HeaderLength + BenchLayers.IndexAt)) - extended;
            if (simulcast)
            {
                layer = sentLayer;
            }

            if (_layer >= 0 && layer != _layer)
            {
                Interlocked.Increment(ref _switches);
            }

            Volatile.Write(ref _layer, layer);
        }

        var p = extended + _offset;
        lock (_lock)
        {
            var seen = _seen[layer] ??= new BitArray(SendLog.Capacity >> (BenchLayers.Full - layer)); // lower layers send fewer packets
            if (p < 0 || p >= seen.Length)
            {
                return;
            }

            seen[(int)p] = true;
            if (layer == BenchLayers.Full && p % LatencySampleEvery == 0 && arrivalUnixNs != 0 && sent.SentAt(p) is var at and > 0)
            {
                _latencies.Add((p, (arrivalUnixNs - at) / 1e6));
            }
        }
    }

    // The header extensions are clear text in SRTP too: record the relay's transport-wide sequence number and, every
    // 50 ms, send transport feedback (SRTCP) as a Chromium viewer does. Every packet counts, padding too (the relay's
    // probes are padding-only): the P bit is cleared on a copy of the header, since the padding count at the end of the
    // packet is under encryption.
    private void RecordTransportSequence(ReadOnlySpan<byte> datagram, int headerLength, long arrivalMicros)
    {
        if ((datagram[0] & PaddingBit) != 0)
        {
            if (headerLength > _header.Length)
            {
                return;
            }

            datagram[..headerLength].CopyTo(_header);
            _header[0] &= unchecked((byte)~PaddingBit);
            datagram = _header.AsSpan(0, headerLength);
        }

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

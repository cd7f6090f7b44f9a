using System.Buffers;
using System.Buffers.Binary;

namespace Lilium.WebRtc.Rtcp;

/// <summary>The receive status of one packet in a transport-wide CC feedback.</summary>
public enum TransportCcStatus : byte
{
    NotReceived = 0,

    /// <summary>Received, with a receive delta of 0–63.75 ms (one unsigned byte of 250 µs ticks).</summary>
    SmallDelta = 1,

    /// <summary>Received, with a negative or larger delta (a signed 16-bit count of 250 µs ticks).</summary>
    LargeDelta = 2,
}

/// <summary>One packet of a feedback: its transport-wide sequence number and, if it arrived, when.</summary>
/// <param name="ArrivalMicros">
/// The arrival time in microseconds on the feedback sender's clock: reference time × 64 ms plus the receive deltas up
/// to this packet. Only differences between arrivals are meaningful; 0 for a packet not received.
/// </param>
public readonly record struct TransportCcPacket(ushort Sequence, bool Received, long ArrivalMicros);

/// <summary>
/// Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1), RTPFB FMT 15:
/// <code>
/// |V=2|P|  FMT=15 |    PT=205     |           length              |
/// |                     SSRC of packet sender                     |
/// |                      SSRC of media source                     |
/// |      base sequence number     |      packet status count      |
/// |                 reference time                | fb pkt. count |
/// |          packet chunk         |         packet chunk          |
/// .                                                               .
/// |         packet chunk          |  recv delta   |  recv delta   |
/// .                                                               .
/// |           recv delta          |  recv delta   | zero padding  |
/// </code>
/// Packet chunks: run length <c>|0|S(2)|run length(13)|</c>, or status vector <c>|1|0|14 × 1-bit|</c> (0 not received,
/// 1 small delta) or <c>|1|1|7 × 2-bit|</c>. Reference time is a signed 24-bit count of 64 ms; receive deltas are
/// 250 µs ticks, the first from the reference time, each next from the previous received packet.
/// <para>
/// One instance is reused: <see cref="TryParse(ReadOnlySpan{byte})"/> refills it without allocating once its buffer
/// has grown to the largest status count seen. Parsing never throws; a lying count, a truncated chunk or delta list,
/// or a reserved status symbol fails the parse.
/// </para>
/// </summary>
public sealed class TransportCcFeedback
{
    /// <summary>FCI bytes before the chunks: base sequence, status count, reference time, feedback count.</summary>
    public const int FixedFciSize = 8;

    /// <summary>The smallest whole packet: the feedback header and the fixed FCI.</summary>
    public const int MinSize = RtcpFeedback.HeaderSize + FixedFciSize;

    /// <summary>Microseconds per receive-delta tick.</summary>
    public const int DeltaTickMicros = 250;

    /// <summary>Microseconds per reference-time unit (64 ms).</summary>
    public const int ReferenceUnitMicros = 64_000;

    private const int MaxRunLength = 0x1FFF;

    private TransportCcPacket[] _packets = new TransportCcPacket[64];

    public uint SenderSsrc { get; private set; }

    public uint MediaSsrc { get; private set; }

    public ushort BaseSequence { get; private set; }

    public ushort StatusCount { get; private set; }

    /// <summary>The signed 24-bit reference time, in units of 64 ms.</summary>
    public int ReferenceTime { get; private set; }

    public byte FeedbackCount { get; private set; }

    /// <summary>The <see cref="StatusCount"/> packets from <see cref="BaseSequence"/> on, in sequence order.</summary>
    public ReadOnlySpan<TransportCcPacket> Packets => _packets.AsSpan(0, StatusCount);

    /// <summary>Parses into a new instance; false (and null) on anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> packet, out TransportCcFeedback? feedback)
    {
        var parsed = new TransportCcFeedback();
        feedback = parsed.TryParse(packet) ? parsed : null;
        return feedback is not null;
    }

    /// <summary>Parses <paramref name="packet"/> (one RTCP packet) into this instance; false on anything malformed.</summary>
    public bool TryParse(ReadOnlySpan<byte> packet)
    {
        StatusCount = 0;
        if (!RtcpHeader.TryRead(packet, out var header) || !RtcpFeedback.TryRead(packet, out var f, out var fci)
            || !f.IsTransportCc || fci.Length < FixedFciSize)
        {
            return false;
        }

        if (header.Padding)
        {
            // RFC 3550 §6.4.1: the last octet counts the padding, itself included.
            var pad = packet[header.Size - 1];
            if (pad == 0 || pad > fci.Length - FixedFciSize)
            {
                return false;
            }

            fci = fci[..^pad];
        }

        var baseSequence = BinaryPrimitives.ReadUInt16BigEndian(fci);
        int count = BinaryPrimitives.ReadUInt16BigEndian(fci[2..]);
        var reference = (fci[4] << 16) | (fci[5] << 8) | fci[6];
        if ((reference & 0x800000) != 0)
        {
            reference |= unchecked((int)0xFF000000);
        }

        if (count == 0)
        {
            return false; // libwebrtc never sends an empty feedback; nothing to learn from one
        }

        if (_packets.Length < count)
        {
            _packets = new TransportCcPacket[Math.Max(count, _packets.Length * 2)];
        }

        // Chunks: read symbols until count are known. Statuses are kept in the Received/ArrivalMicros fields for now.
        var at = FixedFciSize;
        var filled = 0;
        var received = 0;
        while (filled < count)
        {
            if (at + 2 > fci.Length)
            {
                return false;
            }

            var chunk = BinaryPrimitives.ReadUInt16BigEndian(fci[at..]);
            at += 2;
            if ((chunk & 0x8000) == 0)
            {
                var symbol = (chunk >> 13) & 0x3;
                var run = chunk & MaxRunLength;
                if (symbol == 3 || run == 0)
                {
                    return false;
                }

                for (var i = 0; i < run && filled < count; i++)
                {
                    received += symbol != 0 ? 1 : 0;
                    _packets[filled] = new TransportCcPacket((ushort)(baseSequence + filled++), symbol != 0, symbol);
                }
            }
            else if ((chunk & 0x4000) == 0)
            {
                for (var i = 13; i >= 0 && filled < count; i--)
                {
                    var symbol = (chunk >> i) & 0x1;
                    received += symbol;
                    _packets[filled] = new TransportCcPacket((ushort)(baseSequence + filled++), symbol != 0, symbol);
                }
            }
            else
            {
                for (var i = 12; i >= 0 && filled < count; i -= 2)
                {
                    var symbol = (chunk >> i) & 0x3;
                    if (symbol == 3)
                    {
                        return false;
                    }

                    received += symbol != 0 ? 1 : 0;
                    _packets[filled] = new TransportCcPacket((ushort)(baseSequence + filled++), symbol != 0, symbol);
                }
            }
        }

        // Receive deltas, one per received packet, small or large as its symbol says.
        var ticks = (long)reference * (ReferenceUnitMicros / DeltaTickMicros);
        for (var i = 0; i < count; i++)
        {
            var p = _packets[i];
            if (!p.Received)
            {
                _packets[i] = p with { ArrivalMicros = 0 };
                continue;
            }

            if (p.ArrivalMicros == (long)TransportCcStatus.SmallDelta)
            {
                if (at + 1 > fci.Length)
                {
                    return false;
                }

                ticks += fci[at++];
            }
            else
            {
                if (at + 2 > fci.Length)
                {
                    return false;
                }

                ticks += BinaryPrimitives.ReadInt16BigEndian(fci[at..]);
                at += 2;
            }

            _packets[i] = p with { ArrivalMicros = ticks * DeltaTickMicros };
        }

        SenderSsrc = f.SenderSsrc;
        MediaSsrc = f.MediaSsrc;
        BaseSequence = baseSequence;
        ReferenceTime = reference;
        FeedbackCount = fci[7];
        StatusCount = (ushort)count;
        return true;
    }

    /// <summary>
    /// Writes one feedback packet for the packets <paramref name="baseSequence"/> + i, whose arrival times (µs, any
    /// monotonic clock) are <paramref name="arrivalMicros"/>[i], or a negative value for a packet not received.
    /// Writes as many packets from the start as fit in <paramref name="destination"/> and in the format (a receive
    /// delta beyond ±8.2 s ends the packet early), padded to 32 bits with the P bit; the caller writes the rest in
    /// the next one. <paramref name="consumed"/> says how many were covered (at least one when the result is
    /// non-zero). The reference time is taken from the first received packet; leading losses are fine. Returns the
    /// bytes written, 0 when no entry was received or not even one received packet fits.
    /// </summary>
    public static int Write(Span<byte> destination, uint senderSsrc, uint mediaSsrc, ushort baseSequence, byte feedbackCount,
        ReadOnlySpan<long> arrivalMicros, out int consumed)
    {
        consumed = 0;
        var firstReceived = arrivalMicros.IndexOfAnyInRange(0, long.MaxValue);
        if (firstReceived < 0 || destination.Length < MinSize + 4)
        {
            return 0;
        }

        var referenceTicks = FloorDiv(arrivalMicros[firstReceived], ReferenceUnitMicros) * (ReferenceUnitMicros / DeltaTickMicros);
        var reference = (int)(referenceTicks / (ReferenceUnitMicros / DeltaTickMicros));
        var count = Math.Min(arrivalMicros.Length, ushort.MaxValue);
        var symbols = ArrayPool<TransportCcStatus>.Shared.Rent(count);
        try
        {
            // Pass 1: each packet's symbol, and how many fit. Chunk bytes are bounded by the worst case (a 2-bit
            // vector per 7 statuses); deltas are counted exactly.
            var deltaBytes = 0;
            var previous = referenceTicks;
            var fits = 0;
            for (var i = 0; i < count; i++)
            {
                var size = 0;
                var symbol = TransportCcStatus.NotReceived;
                if (arrivalMicros[i] >= 0)
                {
                    var delta = RoundDiv(arrivalMicros[i], DeltaTickMicros) - previous;
                    if (delta is < short.MinValue or > short.MaxValue)
                    {
                        break;
                    }

                    (size, symbol) = delta is >= 0 and <= 255 ? (1, TransportCcStatus.SmallDelta) : (2, TransportCcStatus.LargeDelta);
                    previous += delta;
                }

                var chunkBytes = 2 * ((i + 7) / 7);
                if (MinSize + chunkBytes + deltaBytes + size + 3 > destination.Length)
                {
                    break;
                }

                symbols[i] = symbol;
                deltaBytes += size;
                fits = i + 1;
            }

            // A feedback ends with a received packet.
            while (fits > 0 && symbols[fits - 1] == TransportCcStatus.NotReceived)
            {
                fits--;
            }

            if (fits == 0)
            {
                return 0;
            }

            // Pass 2: the fixed FCI, the chunks, the deltas.
            var fci = destination[RtcpFeedback.HeaderSize..];
            BinaryPrimitives.WriteUInt16BigEndian(fci, baseSequence);
            BinaryPrimitives.WriteUInt16BigEndian(fci[2..], (ushort)fits);
            fci[4] = (byte)(reference >> 16);
            fci[5] = (byte)(reference >> 8);
            fci[6] = (byte)reference;
            fci[7] = feedbackCount;
            var at = FixedFciSize;
            for (var i = 0; i < fits;)
            {
                at += WriteChunk(fci[at..], symbols.AsSpan(0, fits), ref i, fits);
            }

            previous = referenceTicks;
            for (var i = 0; i < fits; i++)
            {
                if (symbols[i] == TransportCcStatus.NotReceived)
                {
                    continue;
                }

                var t = RoundDiv(arrivalMicros[i], DeltaTickMicros);
                var delta = t - previous;
                previous = t;
                if (symbols[i] == TransportCcStatus.SmallDelta)
                {
                    fci[at++] = (byte)delta;
                }
                else
                {
                    BinaryPrimitives.WriteInt16BigEndian(fci[at..], (short)delta);
                    at += 2;
                }
            }

            var length = RtcpFeedback.HeaderSize + at;
            var padded = (length + 3) & ~3;
            RtcpFeedback.WriteHeader(destination, RtcpPacketType.TransportFeedback, RtcpFeedback.TransportCcFormat, padded, senderSsrc, mediaSsrc);
            if (padded > length)
            {
                destination[length..padded].Clear();
                destination[padded - 1] = (byte)(padded - length);
                destination[0] |= 0x20;
            }

            consumed = fits;
            return padded;
        }
        finally
        {
            ArrayPool<TransportCcStatus>.Shared.Return(symbols);
        }
    }

    // One chunk from symbol i: a run when 7 or more equal symbols follow (or 14 for runs that a 1-bit vector could
    // also hold), else a 1-bit vector when the next 14 need no large delta, else a 2-bit vector of 7.
    private static int WriteChunk(Span<byte> destination, ReadOnlySpan<TransportCcStatus> symbols, ref int i, int count)
    {
        var first = symbols[i];
        var run = 1;
        while (i + run < count && run < MaxRunLength && symbols[i + run] == first)
        {
            run++;
        }

        var oneBitSpan = Math.Min(14, count - i);
        var oneBit = true;
        for (var k = 0; k < oneBitSpan && oneBit; k++)
        {
            oneBit = symbols[i + k] != TransportCcStatus.LargeDelta;
        }

        ushort chunk;
        if (run >= 14 || (run >= 7 && !oneBit) || run == count - i)
        {
            chunk = (ushort)(((int)first << 13) | run);
            i += run;
        }
        else if (oneBit)
        {
            chunk = 0x8000;
            for (var k = 0; k < 14; k++)
            {
                if (k < oneBitSpan && symbols[i + k] != TransportCcStatus.NotReceived)
                {
                    chunk |= (ushort)(1 << (13 - k));
                }
            }

            i += oneBitSpan;
        }
        else
        {
            var span = Math.Min(7, count - i);
            chunk = 0xC000;
            for (var k = 0; k < span; k++)
            {
                chunk |= (ushort)((int)symbols[i + k] << (12 - (2 * k)));
            }

            i += span;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination, chunk);
        return 2;
    }

    private static long FloorDiv(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    private static long RoundDiv(long a, long b) => FloorDiv(a + (b / 2), b);
}

using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Lilium.WebRtc.Sctp;

/// <summary>
/// One SCTP association over DTLS (RFC 8261), the subset WebRTC data channels need (RFC 8831 §6.1):
/// four-way setup with a signed state cookie, DATA/SACK with ordered and unordered delivery,
/// fragmentation, retransmission (T3 and fast retransmit) under RFC 4960 congestion control,
/// partial reliability with FORWARD TSN (RFC 3758), stream reset (RFC 6525), heartbeats, ABORT and
/// SHUTDOWN.
/// <para>
/// Sans-I/O: it never reads a clock or a socket. The owner passes the time in milliseconds to every
/// call, sends what <see cref="ISctpAssociationHandler.SendPacket"/> hands it, and calls
/// <see cref="HandleTimeout"/> at <see cref="NextTimeoutMs"/>. Not thread-safe: the owner
/// serializes calls. Hostile packets are counted and dropped; no input makes it throw.
/// </para>
/// </summary>
public sealed class SctpAssociation
{
    private const int CookieSize = 4 + 4 + 8 + 32; // peer tag, my tag, time, HMAC-SHA256
    private const int HeartbeatInfoSize = 16;

    private readonly SctpOptions _options;
    private readonly ISctpAssociationHandler _handler;
    private readonly byte[] _cookieKey = RandomNumberGenerator.GetBytes(32);
    private readonly byte[] _sendBuffer;
    private readonly List<OutboundChunk> _outbound = [];
    private readonly Dictionary<ushort, ushort> _nextSsn = [];
    private readonly Queue<ushort[]> _pendingResets = new();
    private long _bufferedAmount;

    private SctpReceiver? _receiver;
    private uint _peerTag;
    private uint _nextTsn;
    private uint _cumulativeAck;
    private uint _advancedPeerAckPoint;
    private long _nextMessageId;

    // Congestion control (RFC 4960 §7.2), in bytes.
    private int _cwnd;
    private int _ssthresh = int.MaxValue;
    private int _partialBytesAcked;
    private int _flightSize;
    private long _peerWindow;
    private bool _inFastRecovery;
    private uint _fastRecoveryExit;

    // Retransmission timer (RFC 4960 §6.3).
    private double _srtt;
    private double _rttvar;
    private int _rtoMs;
    private long? _t3DueMs;
    private int _errorCount;

    // Control chunk retransmission: INIT, COOKIE ECHO, SHUTDOWN, SHUTDOWN ACK, RE-CONFIG request.
    private byte[]? _controlPacket;
    private long? _controlDueMs;
    private int _controlRetries;

    private long _lastActivityMs;
    private long? _heartbeatDueMs;
    private bool _sackNeeded;
    private int _packetsUnacked;
    private long? _sackDueMs;
    private bool _forwardTsnNeeded;

    // Stream reset (RFC 6525).
    private uint _myReconfigSeq;
    private uint _peerReconfigSeq;
    private (uint Seq, ushort[] Streams)? _resetInFlight;
    private (uint RequestSeq, uint LastTsn, ushort[] Streams)? _deferredPeerReset;
    private uint _lastPeerResetResult;

    public SctpAssociation(SctpOptions options, ISctpAssociationHandler handler)
    {
        _options = options;
        _handler = handler;
        _sendBuffer = new byte[Math.Max(options.Mtu, 512)];
        MyTag = NonZeroRandom();
        _nextTsn = NonZeroRandom();
        _cumulativeAck = _nextTsn - 1;
        _advancedPeerAckPoint = _cumulativeAck;
        _myReconfigSeq = _nextTsn;
        _rtoMs = options.RtoInitialMs;
        _cwnd = Math.Min(4 * options.Mtu, Math.Max(2 * options.Mtu, 4380));
    }

    public SctpState State { get; private set; } = SctpState.Closed;

    public SctpStats Stats { get; } = new();

    /// <summary>Our verification tag: the peer must put it in every packet it sends us.</summary>
    public uint MyTag { get; }

    /// <summary>Bytes accepted by <see cref="Send"/> and not yet acknowledged or abandoned.</summary>
    public long BufferedAmount => _bufferedAmount;

    /// <summary>When <see cref="HandleTimeout"/> next has work, or null when no timer runs.</summary>
    public long? NextTimeoutMs => Min(Min(Min(_t3DueMs, _controlDueMs), _heartbeatDueMs), _sackDueMs);

    /// <summary>Starts the association as the initiator (RFC 4960 §5.1 A): sends INIT.</summary>
    public void Connect(long nowMs)
    {
        if (State != SctpState.Closed || _receiver is not null)
        {
            return;
        }

        State = SctpState.CookieWait;
        var size = WriteInit(SctpChunkType.Init, []);
        SendControl(size, verificationTag: 0, nowMs);
    }

    /// <summary>
    /// Queues a user message. Messages larger than one packet are fragmented. Returns false when the
    /// association is closed or shutting down, the message exceeds the maximum message size, or queuing it would
    /// hold more than <see cref="SctpOptions.MaxBufferedAmount"/> unacknowledged bytes (counted in
    /// <see cref="SctpStats.SendsRefused"/>).
    /// </summary>
    public bool Send(ushort streamId, uint ppid, ReadOnlySpan<byte> message, SctpSendOptions options, long nowMs)
    {
        if (State is not (SctpState.Established or SctpState.CookieWait or SctpState.CookieEchoed)
            || message.Length > _options.MaxMessageSize || message.Length == 0)
        {
            return false;
        }

        if (_bufferedAmount + message.Length > _options.MaxBufferedAmount)
        {
            Stats.SendsRefused++;
            return false;
        }

        _bufferedAmount += message.Length;

        var maxFragment = _options.Mtu - SctpCommonHeader.Size - SctpChunk.HeaderSize - DataChunk.FixedSize;
        maxFragment &= ~3;
        ushort ssn = 0;
        if (!options.Unordered)
        {
            _nextSsn.TryGetValue(streamId, out ssn);
            _nextSsn[streamId] = (ushort)(ssn + 1);
        }

        var messageId = _nextMessageId++;
        var expires = options.LifetimeMs is { } life ? nowMs + life : long.MaxValue;
        for (var offset = 0; offset < message.Length; offset += maxFragment)
        {
            var length = Math.Min(maxFragment, message.Length - offset);
            var flags = options.Unordered ? DataChunkFlags.Unordered : DataChunkFlags.None;
            if (offset == 0)
            {
                flags |= DataChunkFlags.Beginning;
            }

            if (offset + length == message.Length)
            {
                flags |= DataChunkFlags.End;
            }

            _outbound.Add(new OutboundChunk(_nextTsn++, streamId, ssn, ppid, flags, message.Slice(offset, length).ToArray(), messageId, options, expires));
        }

        if (State == SctpState.Established)
        {
            Flush(nowMs);
        }

        return true;
    }

    /// <summary>Resets our outgoing streams (closes data channels, RFC 8831 §6.7).</summary>
    public void ResetStreams(IReadOnlyList<ushort> streamIds, long nowMs)
    {
        if (State != SctpState.Established || streamIds.Count == 0)
        {
            return;
        }

        _pendingResets.Enqueue([.. streamIds]);
        SendNextReset(nowMs);
    }

    /// <summary>Graceful close (RFC 4960 §9.2): SHUTDOWN once everything sent is acknowledged.</summary>
    public void Shutdown(long nowMs)
    {
        if (State != SctpState.Established)
        {
            return;
        }

        State = SctpState.ShutdownPending;
        TryProgressShutdown(nowMs);
    }

    /// <summary>Ungraceful close: sends ABORT and closes at once.</summary>
    public void Abort(string reason)
    {
        if (State == SctpState.Closed && _receiver is null)
        {
            return;
        }

        var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(SctpCommonHeader.Size), SctpChunkType.Abort, 0, 0);
        SendPacket(_sendBuffer.AsSpan(0, SctpCommonHeader.Size + n), _peerTag);
        Close(reason);
    }

    /// <summary>Processes one SCTP packet received from DTLS.</summary>
    public void HandlePacket(ReadOnlySpan<byte> packet, long nowMs)
    {
        if (!SctpCommonHeader.TryRead(packet, out var header)
            || header.DestinationPort != _options.LocalPort
            || header.SourcePort != _options.RemotePort)
        {
            Stats.PacketsDropped++;
            return;
        }

        var reader = new SctpChunkReader(packet[SctpCommonHeader.Size..]);
        if (!reader.TryNext(out var first))
        {
            Stats.PacketsDropped++;
            return;
        }

        // Verification tag rules (RFC 4960 §8.5, §8.5.1).
        var tagOk = first.Type switch
        {
            SctpChunkType.Init => header.VerificationTag == 0,
            SctpChunkType.Abort or SctpChunkType.ShutdownComplete =>
                header.VerificationTag == MyTag || ((first.Flags & 1) != 0 && header.VerificationTag == _peerTag && _peerTag != 0),
            _ => header.VerificationTag == MyTag,
        };
        if (!tagOk)
        {
            Stats.PacketsDropped++;
            return;
        }

        Stats.PacketsReceived++;
        _lastActivityMs = nowMs;
        reader = new SctpChunkReader(packet[SctpCommonHeader.Size..]);
        while (reader.TryNext(out var chunk))
        {
            if (!HandleChunk(chunk, nowMs) || State == SctpState.Closed && _receiver is null)
            {
                break;
            }
        }

        if (reader.Malformed)
        {
            Stats.PacketsDropped++;
        }

        if (_dataInPacket)
        {
            _dataInPacket = false;
            if (++_packetsUnacked >= 2)
            {
                _sackNeeded = true;
            }
        }

        if (State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived or SctpState.ShutdownSent)
        {
            Flush(nowMs);
            TryProgressShutdown(nowMs);
        }
    }

    private bool _dataInPacket;

    // RFC 4960 §6.2: out-of-order or duplicate DATA is acknowledged at once; in-order DATA every
    // second packet (counted in HandlePacket) or when the delay runs out.
    private void RequestSack(bool immediately, long nowMs)
    {
        _dataInPacket = true;
        if (immediately || _options.SackDelayMs <= 0 || State != SctpState.Established)
        {
            _sackNeeded = true;
        }
        else
        {
            _sackDueMs ??= nowMs + _options.SackDelayMs;
        }
    }

    /// <summary>Runs the timers that are due.</summary>
    public void HandleTimeout(long nowMs)
    {
        if (_controlDueMs is { } c && c <= nowMs)
        {
            OnControlTimeout(nowMs);
        }

        if (_t3DueMs is { } t && t <= nowMs)
        {
            OnT3Timeout(nowMs);
        }

        if (_heartbeatDueMs is { } h && h <= nowMs)
        {
            OnHeartbeatTimer(nowMs);
        }

        if (_sackDueMs is { } s && s <= nowMs)
        {
            _sackNeeded = true;
            if (State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownReceived or SctpState.ShutdownSent)
            {
                Flush(nowMs);
            }
        }
    }

    private bool HandleChunk(in SctpChunk chunk, long nowMs)
    {
        switch (chunk.Type)
        {
            case SctpChunkType.Init:
                OnInit(chunk, nowMs);
                return false; // INIT must be alone in its packet (RFC 4960 §6.10).
            case SctpChunkType.InitAck:
                OnInitAck(chunk, nowMs);
                return true;
            case SctpChunkType.CookieEcho:
                OnCookieEcho(chunk, nowMs);
                return true;
            case SctpChunkType.CookieAck:
                if (State == SctpState.CookieEchoed)
                {
                    StopControlTimer();
                    Establish(nowMs);
                }

                return true;
            case SctpChunkType.Data when _receiver is not null && State != SctpState.Closed:
                if (DataChunk.TryRead(chunk, out var data))
                {
                    var duplicates = Stats.DuplicateChunks;
                    _receiver.OnData(data, Stats, _handler.OnMessage);
                    var inOrder = _receiver.CumulativeTsn == data.Tsn && Stats.DuplicateChunks == duplicates;
                    RequestSack(immediately: !inOrder, nowMs);
                    TryApplyDeferredReset();
                }

                return true;
            case SctpChunkType.Sack when State != SctpState.Closed:
                if (SackChunk.TryRead(chunk, out var sack))
                {
                    OnSack(sack, nowMs);
                }

                return true;
            case SctpChunkType.ForwardTsn when _receiver is not null && State != SctpState.Closed:
                if (ForwardTsnChunk.TryRead(chunk, out var forward))
                {
                    _receiver.OnForwardTsn(forward, Stats, _handler.OnMessage);
                    _sackNeeded = true; // RFC 3758 §3.6: at once
                    TryApplyDeferredReset();
                }

                return true;
            case SctpChunkType.ReConfig when State == SctpState.Established:
                OnReConfig(chunk.Value, nowMs);
                return true;
            case SctpChunkType.Heartbeat when State != SctpState.Closed:
                var info = chunk.Value;
                var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(SctpCommonHeader.Size), SctpChunkType.HeartbeatAck, 0, Math.Min(info.Length, _options.Mtu - 32));
                info[..Math.Min(info.Length, _options.Mtu - 32)].CopyTo(_sendBuffer.AsSpan(SctpCommonHeader.Size + SctpChunk.HeaderSize));
                SendPacket(_sendBuffer.AsSpan(0, SctpCommonHeader.Size + n), _peerTag);
                return true;
            case SctpChunkType.HeartbeatAck:
                OnHeartbeatAck(chunk.Value, nowMs);
                return true;
            case SctpChunkType.Abort:
                Close("peer aborted the association");
                return false;
            case SctpChunkType.Shutdown when State is SctpState.Established or SctpState.ShutdownPending or SctpState.ShutdownSent:
                State = SctpState.ShutdownReceived;
                return true;
            case SctpChunkType.ShutdownAck when State is SctpState.ShutdownSent or SctpState.ShutdownAckSent:
                var m = SctpChunk.WriteHeader(_sendBuffer.AsSpan(SctpCommonHeader.Size), SctpChunkType.ShutdownComplete, 0, 0);
                SendPacket(_sendBuffer.AsSpan(0, SctpCommonHeader.Size + m), _peerTag);
                Close("shut down");
                return false;
            case SctpChunkType.ShutdownComplete when State == SctpState.ShutdownAckSent:
                Close("shut down");
                return false;
            case SctpChunkType.Error:
                return true;
            default:
                // Unknown chunk: the two high bits of the type say what to do (RFC 4960 §3.2).
                return (chunk.RawType & 0x80) != 0;
        }
    }

    private void OnInit(in SctpChunk chunk, long nowMs)
    {
        if (State is not (SctpState.Closed or SctpState.CookieWait or SctpState.CookieEchoed) || !InitChunk.TryRead(chunk, out var init))
        {
            Stats.PacketsDropped++;
            return;
        }

        AdoptPeer(init);
        Span<byte> cookie = stackalloc byte[CookieSize];
        BinaryPrimitives.WriteUInt32BigEndian(cookie, init.InitiateTag);
        BinaryPrimitives.WriteUInt32BigEndian(cookie[4..], MyTag);
        BinaryPrimitives.WriteInt64BigEndian(cookie[8..], nowMs);
        HMACSHA256.HashData(_cookieKey, cookie[..16], cookie[16..]);
        var size = WriteInit(SctpChunkType.InitAck, cookie);
        SendPacket(_sendBuffer.AsSpan(0, size), init.InitiateTag);
    }

    private void OnInitAck(in SctpChunk chunk, long nowMs)
    {
        if (State != SctpState.CookieWait || !InitChunk.TryRead(chunk, out var ack) || ack.StateCookie.IsEmpty || ack.StateCookie.Length > 1024)
        {
            return;
        }

        AdoptPeer(ack);
        var body = SctpCommonHeader.Size;
        var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(body), SctpChunkType.CookieEcho, 0, ack.StateCookie.Length);
        ack.StateCookie.CopyTo(_sendBuffer.AsSpan(body + SctpChunk.HeaderSize));
        State = SctpState.CookieEchoed;
        SendControl(body + n, _peerTag, nowMs);
    }

    private void OnCookieEcho(in SctpChunk chunk, long nowMs)
    {
        var cookie = chunk.Value;
        if (cookie.Length != CookieSize || _receiver is null)
        {
            return;
        }

        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_cookieKey, cookie[..16], mac);
        var age = nowMs - BinaryPrimitives.ReadInt64BigEndian(cookie[8..]);
        if (!CryptographicOperations.FixedTimeEquals(mac, cookie[16..])
            || BinaryPrimitives.ReadUInt32BigEndian(cookie) != _peerTag
            || BinaryPrimitives.ReadUInt32BigEndian(cookie[4..]) != MyTag
            || age < 0 || age > _options.CookieLifetimeMs)
        {
            return;
        }

        var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(SctpCommonHeader.Size), SctpChunkType.CookieAck, 0, 0);
        SendPacket(_sendBuffer.AsSpan(0, SctpCommonHeader.Size + n), _peerTag);
        if (State != SctpState.Established)
        {
            StopControlTimer();
            Establish(nowMs);
        }
    }

    private void AdoptPeer(in InitChunk init)
    {
        _peerTag = init.InitiateTag;
        _peerWindow = init.AdvertisedWindow;
        _peerReconfigSeq = init.InitialTsn;
        _receiver = new SctpReceiver(_options, init.InitialTsn);
    }

    private void Establish(long nowMs)
    {
        State = SctpState.Established;
        _lastActivityMs = nowMs;
        _heartbeatDueMs = nowMs + _options.HeartbeatIntervalMs;
        _handler.OnEstablished();
        Flush(nowMs);
    }

    private void OnSack(in SackChunk sack, long nowMs)
    {
        var cum = sack.CumulativeTsnAck;
        if (Serial.Lt(cum, _cumulativeAck) || Serial.Ge(cum, _nextTsn))
        {
            return; // stale, or acknowledges what we never sent.
        }

        var cumAdvanced = Serial.Gt(cum, _cumulativeAck);
        var bytesAcked = 0;
        long? rttSample = null;

        // Everything up to the cumulative ack is done.
        var done = 0;
        while (done < _outbound.Count && Serial.Le(_outbound[done].Tsn, cum))
        {
            var c = _outbound[done];
            if (c.InFlight)
            {
                _flightSize -= c.WireSize;
                c.InFlight = false;
            }

            if (!c.Abandoned)
            {
                _bufferedAmount -= c.Data.Length;
            }

            if (!c.GapAcked && !c.Abandoned)
            {
                bytesAcked += c.WireSize;
                if (c.SentCount == 1 && rttSample is null) // Karn: never time a retransmitted chunk
                {
                    rttSample = nowMs - c.LastSentMs;
                }
            }

            done++;
        }

        _outbound.RemoveRange(0, done);
        _cumulativeAck = cum;
        if (Serial.Lt(_advancedPeerAckPoint, cum))
        {
            _advancedPeerAckPoint = cum;
        }

        // Gap blocks acknowledge chunks above it.
        uint highestGapAcked = cum;
        for (var i = 0; i < sack.GapBlockCount; i++)
        {
            var (start, end) = sack.GapBlock(i);
            if (start == 0 || end < start)
            {
                continue;
            }

            foreach (var c in _outbound)
            {
                var offset = c.Tsn - cum;
                if (offset > end)
                {
                    break;
                }

                if (offset >= start && !c.GapAcked)
                {
                    c.GapAcked = true;
                    c.NeedsRetransmit = false;
                    if (c.InFlight)
                    {
                        _flightSize -= c.WireSize;
                        c.InFlight = false;
                    }

                    bytesAcked += c.WireSize;
                }
            }

            if (Serial.Gt(cum + end, highestGapAcked))
            {
                highestGapAcked = cum + end;
            }
        }

        if (rttSample is { } rtt)
        {
            UpdateRto(rtt);
        }

        // Fast retransmit (RFC 4960 §7.2.4): three reports of a hole below a gap-acked TSN.
        var fastRetransmit = false;
        foreach (var c in _outbound)
        {
            if (Serial.Ge(c.Tsn, highestGapAcked))
            {
                break;
            }

            if (!c.GapAcked && !c.Abandoned && c.SentCount > 0 && !c.NeedsRetransmit && ++c.MissIndications >= 3)
            {
                c.MissIndications = 0;
                MarkForRetransmit(c, nowMs);
                fastRetransmit = true;
            }
        }

        if (fastRetransmit && !_inFastRecovery)
        {
            _ssthresh = Math.Max(_cwnd / 2, 4 * _options.Mtu);
            _cwnd = _ssthresh;
            _partialBytesAcked = 0;
            _inFastRecovery = true;
            _fastRecoveryExit = _nextTsn - 1;
        }

        if (_inFastRecovery && Serial.Ge(cum, _fastRecoveryExit))
        {
            _inFastRecovery = false;
        }

        if (cumAdvanced && !_inFastRecovery)
        {
            GrowWindow(bytesAcked);
        }

        _peerWindow = Math.Max(0, (long)sack.AdvertisedWindow - _flightSize);
        if (cumAdvanced)
        {
            _errorCount = 0;
        }

        // T3 (RFC 4960 §6.3.2 R2/R3).
        AdvancePeerAckPoint();
        if (_flightSize == 0 && !_forwardTsnNeeded)
        {
            _t3DueMs = null;
        }
        else if (cumAdvanced)
        {
            _t3DueMs = nowMs + _rtoMs;
        }

        if (_resetInFlight is null)
        {
            SendNextReset(nowMs);
        }
    }

    private void GrowWindow(int bytesAcked)
    {
        if (bytesAcked == 0)
        {
            return;
        }

        if (_cwnd <= _ssthresh)
        {
            _cwnd += Math.Min(bytesAcked, _options.Mtu);
        }
        else
        {
            _partialBytesAcked += bytesAcked;
            if (_partialBytesAcked >= _cwnd)
            {
                _partialBytesAcked -= _cwnd;
                _cwnd += _options.Mtu;
            }
        }
    }

    private void MarkForRetransmit(OutboundChunk c, long nowMs)
    {
        if (c.ShouldAbandon(nowMs))
        {
            AbandonMessage(c.MessageId);
            return;
        }

        c.NeedsRetransmit = true;
        if (c.InFlight)
        {
            _flightSize -= c.WireSize;
            c.InFlight = false;
        }
    }

    private void AbandonMessage(long messageId)
    {
        foreach (var c in _outbound)
        {
            if (c.MessageId == messageId && !c.Abandoned)
            {
                c.Abandoned = true;
                c.NeedsRetransmit = false;
                _bufferedAmount -= c.Data.Length;
                Stats.AbandonedChunks++;
                if (c.InFlight)
                {
                    _flightSize -= c.WireSize;
                    c.InFlight = false;
                }
            }
        }
    }

    /// <summary>RFC 3758 §3.5 C1–C3: move past abandoned chunks and tell the peer with FORWARD TSN.</summary>
    private void AdvancePeerAckPoint()
    {
        foreach (var c in _outbound)
        {
            if (c.Tsn != _advancedPeerAckPoint + 1)
            {
                if (Serial.Le(c.Tsn, _advancedPeerAckPoint))
                {
                    continue;
                }

                break;
            }

            if (!c.Abandoned)
            {
                break;
            }

            _advancedPeerAckPoint = c.Tsn;
        }

        _forwardTsnNeeded = Serial.Gt(_advancedPeerAckPoint, _cumulativeAck);
    }

    private void OnT3Timeout(long nowMs)
    {
        _t3DueMs = null;
        if (++_errorCount > _options.MaxAssociationRetransmits)
        {
            Abort("peer unreachable: too many retransmissions");
            return;
        }

        // RFC 4960 §6.3.3 E1–E3.
        _ssthresh = Math.Max(_cwnd / 2, 4 * _options.Mtu);
        _cwnd = _options.Mtu;
        _partialBytesAcked = 0;
        _rtoMs = Math.Min(_rtoMs * 2, _options.RtoMaxMs);
        _inFastRecovery = false;
        foreach (var c in _outbound.ToList())
        {
            if (c.SentCount > 0 && !c.GapAcked && !c.Abandoned)
            {
                MarkForRetransmit(c, nowMs);
            }
        }

        AdvancePeerAckPoint();
        Flush(nowMs);
    }

    private void UpdateRto(long rttMs)
    {
        // RFC 4960 §6.3.1 with alpha 1/8, beta 1/4.
        var r = Math.Max(1, rttMs);
        if (_srtt == 0)
        {
            _srtt = r;
            _rttvar = r / 2.0;
        }
        else
        {
            _rttvar = (0.75 * _rttvar) + (0.25 * Math.Abs(_srtt - r));
            _srtt = (0.875 * _srtt) + (0.125 * r);
        }

        _rtoMs = (int)Math.Clamp(_srtt + (4 * _rttvar), _options.RtoMinMs, _options.RtoMaxMs);
    }

    /// <summary>Sends what is due: SACK, FORWARD TSN, retransmissions, then new DATA, bundled per packet.</summary>
    private void Flush(long nowMs)
    {
        var body = SctpCommonHeader.Size;
        var limit = _options.Mtu;
        var at = body;

        // Abandon unsent chunks whose lifetime ran out before they ever left (RFC 3758 §3.5 A3).
        foreach (var c in _outbound)
        {
            if (c.SentCount == 0 && !c.Abandoned && c.Options.LifetimeMs is not null && nowMs >= c.ExpiresAtMs)
            {
                AbandonMessage(c.MessageId);
            }
        }

        AdvancePeerAckPoint();
        // A delayed SACK rides along with any DATA this flush sends (RFC 4960 §6.2 bundling).
        var sendsData = _outbound.Exists(c => !c.Abandoned && !c.GapAcked && !c.InFlight && (c.SentCount == 0 || c.NeedsRetransmit)) && _flightSize < _cwnd;
        if ((_sackNeeded || (_sackDueMs is not null && sendsData)) && _receiver is not null)
        {
            at += _receiver.WriteSack(_sendBuffer.AsSpan(at), limit - at);
            _sackNeeded = false;
            _sackDueMs = null;
            _packetsUnacked = 0;
        }

        if (_forwardTsnNeeded)
        {
            at = AppendForwardTsn(at, limit);
        }

        var retransmitted = false;
        foreach (var c in _outbound)
        {
            var retransmit = c.NeedsRetransmit;
            if (c.Abandoned || c.GapAcked || c.InFlight || (c.SentCount > 0 && !retransmit))
            {
                continue;
            }

            // New data goes only while the flight is below cwnd and the peer has room (one chunk may probe a
            // zero window); the first retransmission may go regardless (RFC 4960 §6.1 rules A–C, §7.2.4).
            var allowed = _flightSize < _cwnd || (retransmit && !retransmitted);
            if (!allowed || (!retransmit && _peerWindow <= 0 && _flightSize > 0))
            {
                break;
            }

            if (at + c.WireSize > limit)
            {
                SendPacket(_sendBuffer.AsSpan(0, at), _peerTag);
                at = body;
            }

            at += DataChunk.Write(_sendBuffer.AsSpan(at), c.Flags, c.Tsn, c.StreamId, c.Ssn, c.Ppid, c.Data);
            if (retransmit)
            {
                Stats.Retransmissions++;
                retransmitted = true;
            }

            Stats.DataChunksSent++;
            c.SentCount++;
            c.LastSentMs = nowMs;
            c.NeedsRetransmit = false;
            c.InFlight = true;
            _flightSize += c.WireSize;
            _peerWindow -= c.Data.Length;
        }

        if (at > body)
        {
            SendPacket(_sendBuffer.AsSpan(0, at), _peerTag);
        }

        if ((_flightSize > 0 || _forwardTsnNeeded) && _t3DueMs is null)
        {
            _t3DueMs = nowMs + _rtoMs;
        }
    }

    private int AppendForwardTsn(int at, int limit)
    {
        // The last abandoned ordered SSN per stream up to the new point lets the receiver skip them (RFC 3758 §3.2).
        var streams = new Dictionary<ushort, ushort>();
        foreach (var c in _outbound)
        {
            if (Serial.Gt(c.Tsn, _advancedPeerAckPoint))
            {
                break;
            }

            if (!c.Unordered)
            {
                streams[c.StreamId] = c.Ssn;
            }
        }

        var entries = streams.Select(kv => (kv.Key, kv.Value)).Take((limit - at - 8) / 4).ToArray();
        if (at + ForwardTsnChunk.Size(entries.Length) > limit)
        {
            return at;
        }

        _forwardTsnNeeded = false;
        return at + ForwardTsnChunk.Write(_sendBuffer.AsSpan(at), _advancedPeerAckPoint, entries);
    }

    private void OnReConfig(ReadOnlySpan<byte> value, long nowMs)
    {
        var reader = new SctpParameterReader(value);
        while (reader.TryNext(out var type, out var param))
        {
            if (type == ReConfigParameters.OutgoingResetRequest
                && ReConfigParameters.TryReadOutgoingReset(param, out var seq, out var lastTsn, out var streamBytes))
            {
                var streams = new ushort[streamBytes.Length / 2];
                for (var i = 0; i < streams.Length; i++)
                {
                    streams[i] = BinaryPrimitives.ReadUInt16BigEndian(streamBytes[(2 * i)..]);
                }

                uint result;
                if (seq == _peerReconfigSeq)
                {
                    _peerReconfigSeq++;
                    if (_receiver!.TryResetIncoming(lastTsn, streams))
                    {
                        result = ReConfigParameters.ResultSuccessPerformed;
                        _handler.OnIncomingStreamsReset(streams);
                    }
                    else
                    {
                        result = ReConfigParameters.ResultInProgress;
                        _deferredPeerReset = (seq, lastTsn, streams);
                    }

                    _lastPeerResetResult = result;
                }
                else if (seq == _peerReconfigSeq - 1)
                {
                    result = _lastPeerResetResult; // a retransmitted request: the same answer again.
                }
                else
                {
                    result = ReConfigParameters.ResultErrorBadSequence;
                }

                SendReConfigResponse(seq, result);
            }
            else if (type == ReConfigParameters.Response
                && ReConfigParameters.TryReadResponse(param, out var responseSeq, out var outcome)
                && _resetInFlight is { } pending && pending.Seq == responseSeq)
            {
                if (outcome == ReConfigParameters.ResultInProgress)
                {
                    continue; // keep retransmitting until it is performed.
                }

                foreach (var sid in pending.Streams)
                {
                    _nextSsn.Remove(sid);
                }

                _resetInFlight = null;
                StopControlTimer();
                SendNextReset(nowMs);
            }
        }
    }

    private void TryApplyDeferredReset()
    {
        if (_deferredPeerReset is { } d && _receiver!.TryResetIncoming(d.LastTsn, d.Streams))
        {
            _deferredPeerReset = null;
            _lastPeerResetResult = ReConfigParameters.ResultSuccessPerformed;
            _handler.OnIncomingStreamsReset(d.Streams);
        }
    }

    private void SendReConfigResponse(uint seq, uint result)
    {
        var n = ReConfigParameters.WriteResponseChunk(_sendBuffer.AsSpan(SctpCommonHeader.Size), seq, result);
        SendPacket(_sendBuffer.AsSpan(0, SctpCommonHeader.Size + n), _peerTag);
    }

    private void SendNextReset(long nowMs)
    {
        if (_resetInFlight is not null || _controlPacket is not null || !_pendingResets.TryDequeue(out var streams))
        {
            return;
        }

        var seq = _myReconfigSeq++;
        _resetInFlight = (seq, streams);
        var n = ReConfigParameters.WriteOutgoingResetChunk(
            _sendBuffer.AsSpan(SctpCommonHeader.Size), seq, _peerReconfigSeq - 1, _nextTsn - 1, streams);
        SendControl(SctpCommonHeader.Size + n, _peerTag, nowMs);
    }

    private void TryProgressShutdown(long nowMs)
    {
        if (_outbound.Any(c => !c.Abandoned))
        {
            return;
        }

        if (State == SctpState.ShutdownPending)
        {
            var at = SctpCommonHeader.Size;
            var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(at), SctpChunkType.Shutdown, 0, 4);
            BinaryPrimitives.WriteUInt32BigEndian(_sendBuffer.AsSpan(at + SctpChunk.HeaderSize), _receiver?.CumulativeTsn ?? 0);
            State = SctpState.ShutdownSent;
            SendControl(at + n, _peerTag, nowMs);
        }
        else if (State == SctpState.ShutdownReceived)
        {
            var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(SctpCommonHeader.Size), SctpChunkType.ShutdownAck, 0, 0);
            State = SctpState.ShutdownAckSent;
            SendControl(SctpCommonHeader.Size + n, _peerTag, nowMs);
        }
    }

    private void OnHeartbeatTimer(long nowMs)
    {
        if (State != SctpState.Established)
        {
            _heartbeatDueMs = null;
            return;
        }

        if (nowMs - _lastActivityMs < _options.HeartbeatIntervalMs)
        {
            _heartbeatDueMs = _lastActivityMs + _options.HeartbeatIntervalMs;
            return;
        }

        if (++_errorCount > _options.MaxAssociationRetransmits)
        {
            Abort("peer unreachable: heartbeats unanswered");
            return;
        }

        // HEARTBEAT carries one Heartbeat Info parameter (type 1) that the peer echoes: our send time.
        var at = SctpCommonHeader.Size;
        Span<byte> info = stackalloc byte[HeartbeatInfoSize];
        BinaryPrimitives.WriteInt64BigEndian(info, nowMs);
        BinaryPrimitives.WriteUInt64BigEndian(info[8..], MyTag);
        var p = SctpParameterReader.Write(_sendBuffer.AsSpan(at + SctpChunk.HeaderSize), 1, info);
        var n = SctpChunk.WriteHeader(_sendBuffer.AsSpan(at), SctpChunkType.Heartbeat, 0, p);
        SendPacket(_sendBuffer.AsSpan(0, at + n), _peerTag);
        _heartbeatDueMs = nowMs + Math.Max(_rtoMs, _options.HeartbeatIntervalMs);
    }

    private void OnHeartbeatAck(ReadOnlySpan<byte> value, long nowMs)
    {
        var reader = new SctpParameterReader(value);
        if (reader.TryNext(out var type, out var info) && type == 1 && info.Length == HeartbeatInfoSize
            && BinaryPrimitives.ReadUInt64BigEndian(info[8..]) == MyTag)
        {
            var sent = BinaryPrimitives.ReadInt64BigEndian(info);
            if (sent <= nowMs)
            {
                UpdateRto(nowMs - sent);
                _errorCount = 0;
            }
        }
    }

    /// <summary>Sends the first <paramref name="length"/> bytes of the send buffer and keeps a copy to retransmit until answered.</summary>
    private void SendControl(int length, uint verificationTag, long nowMs)
    {
        SendPacket(_sendBuffer.AsSpan(0, length), verificationTag);
        _controlPacket = _sendBuffer.AsSpan(0, length).ToArray(); // sealed copy, resent as is
        _controlRetries = 0;
        _controlDueMs = nowMs + _rtoMs;
    }

    private void StopControlTimer()
    {
        _controlPacket = null;
        _controlDueMs = null;
        _controlRetries = 0;
    }

    private void OnControlTimeout(long nowMs)
    {
        if (_controlPacket is null)
        {
            _controlDueMs = null;
            return;
        }

        var max = State is SctpState.CookieWait or SctpState.CookieEchoed ? _options.MaxInitRetransmits : _options.MaxAssociationRetransmits;
        if (++_controlRetries > max)
        {
            StopControlTimer();
            Abort(State is SctpState.CookieWait or SctpState.CookieEchoed ? "association setup timed out" : "peer did not answer");
            return;
        }

        _rtoMs = Math.Min(_rtoMs * 2, _options.RtoMaxMs);
        _handler.SendPacket(_controlPacket);
        Stats.PacketsSent++;
        _controlDueMs = nowMs + _rtoMs;
    }

    /// <summary>Writes INIT or INIT ACK after the common header; returns the packet length.</summary>
    private int WriteInit(SctpChunkType type, ReadOnlySpan<byte> cookie) =>
        SctpCommonHeader.Size + InitChunk.Write(
            _sendBuffer.AsSpan(SctpCommonHeader.Size), type, MyTag, _options.ReceiveWindow, _options.MaxStreams, _options.MaxStreams, _nextTsn, cookie);

    private void SendPacket(Span<byte> packet, uint verificationTag)
    {
        new SctpCommonHeader(_options.LocalPort, _options.RemotePort, verificationTag).WriteTo(packet);
        SctpCommonHeader.Seal(packet);
        Stats.PacketsSent++;
        _handler.SendPacket(packet);
    }

    private void Close(string reason)
    {
        var wasOpen = State != SctpState.Closed || _receiver is not null;
        State = SctpState.Closed;
        _receiver = null;
        _t3DueMs = _controlDueMs = _heartbeatDueMs = null;
        _controlPacket = null;
        _outbound.Clear();
        _bufferedAmount = 0;
        _flightSize = 0;
        if (wasOpen)
        {
            _handler.OnClosed(reason);
        }
    }

    private static uint NonZeroRandom()
    {
        Span<byte> b = stackalloc byte[4];
        uint v;
        do
        {
            RandomNumberGenerator.Fill(b);
            v = BinaryPrimitives.ReadUInt32BigEndian(b);
        }
        while (v == 0);
        return v;
    }

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);
}

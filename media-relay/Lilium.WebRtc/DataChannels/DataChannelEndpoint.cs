using Lilium.WebRtc.Sctp;

namespace Lilium.WebRtc.DataChannels;

/// <summary>
/// WebRTC data channels (RFC 8831) over one SCTP association: opens channels with DCEP (RFC 8832),
/// maps PPIDs to text and binary messages, and closes channels by resetting streams. Sans-I/O and
/// single-threaded like <see cref="SctpAssociation"/>, which it owns.
/// </summary>
public sealed class DataChannelEndpoint : ISctpAssociationHandler
{
    private readonly IDataChannelEvents _events;
    private readonly Dictionary<ushort, DataChannel> _channels = [];
    private readonly ushort _firstLocalId;
    private long _now;

    /// <param name="useEvenStreamIds">
    /// RFC 8832 §6: the DTLS client takes even stream ids and the DTLS server odd ones. (aiortc 1.4
    /// decides by ICE role instead, so the owner chooses.)
    /// </param>
    public DataChannelEndpoint(SctpOptions options, IDataChannelEvents events, bool useEvenStreamIds)
    {
        _events = events;
        _firstLocalId = useEvenStreamIds ? (ushort)0 : (ushort)1;
        Association = new SctpAssociation(options, this);
    }

    public SctpAssociation Association { get; }

    /// <summary>Messages for unknown channels, malformed DCEP and the like, dropped.</summary>
    public long DroppedMessages { get; private set; }

    public IReadOnlyCollection<DataChannel> Channels => _channels.Values;

    public void Connect(long nowMs)
    {
        _now = nowMs;
        Association.Connect(nowMs);
    }

    public void HandlePacket(ReadOnlySpan<byte> packet, long nowMs)
    {
        _now = nowMs;
        Association.HandlePacket(packet, nowMs);
    }

    public void HandleTimeout(long nowMs)
    {
        _now = nowMs;
        Association.HandleTimeout(nowMs);
    }

    public long? NextTimeoutMs => Association.NextTimeoutMs;

    /// <summary>Opens a channel: sends DATA_CHANNEL_OPEN, or for a negotiated channel, is open at once.</summary>
    public DataChannel Open(DataChannelParameters parameters, long nowMs)
    {
        _now = nowMs;
        if (parameters.MaxRetransmits is not null && parameters.MaxPacketLifeTimeMs is not null)
        {
            throw new ArgumentException("A channel may limit retransmits or lifetime, not both.", nameof(parameters));
        }

        if (parameters.NegotiatedId is { } fixedId)
        {
            if (_channels.ContainsKey(fixedId))
            {
                throw new InvalidOperationException($"Stream {fixedId} is in use.");
            }

            var negotiated = new DataChannel(fixedId, parameters, DataChannelState.Open);
            _channels[fixedId] = negotiated;
            return negotiated;
        }

        var id = _firstLocalId;
        while (_channels.ContainsKey(id))
        {
            id += 2;
            if (id < 2)
            {
                throw new InvalidOperationException("No free stream id.");
            }
        }

        var channel = new DataChannel(id, parameters, DataChannelState.Connecting);
        _channels[id] = channel;
        Association.Send(id, DataChannelPpid.Dcep, DcepMessage.WriteOpen(parameters), SctpSendOptions.Reliable, nowMs);
        return channel;
    }

    /// <summary>Sends a binary message, or with <paramref name="isText"/> a UTF-8 text message.</summary>
    public bool Send(DataChannel channel, ReadOnlySpan<byte> data, bool isText, long nowMs) =>
        Send(channel, data, (isText, data.IsEmpty) switch
        {
            (true, true) => DataChannelPpid.StringEmpty,
            (true, false) => DataChannelPpid.String,
            (false, true) => DataChannelPpid.BinaryEmpty,
            (false, false) => DataChannelPpid.Binary,
        }, nowMs);

    /// <summary>Closes a channel (RFC 8831 §6.7): resets our outgoing stream; the peer resets its own in turn.</summary>
    public void Close(DataChannel channel, long nowMs)
    {
        _now = nowMs;
        if (channel.State is DataChannelState.Closing or DataChannelState.Closed || !_channels.ContainsKey(channel.Id))
        {
            return;
        }

        channel.State = DataChannelState.Closing;
        Association.ResetStreams([channel.Id], nowMs);
    }

    private bool Send(DataChannel channel, ReadOnlySpan<byte> data, uint ppid, long nowMs)
    {
        _now = nowMs;
        var sendable = channel.State == DataChannelState.Open
            || (channel.State == DataChannelState.Connecting && channel.Parameters.Ordered);
        if (!sendable || !_channels.ContainsKey(channel.Id))
        {
            return false;
        }

        ReadOnlySpan<byte> payload = data.IsEmpty ? [0] : data;
        return Association.Send(channel.Id, ppid, payload, channel.SendOptions, nowMs);
    }

    void ISctpAssociationHandler.SendPacket(ReadOnlySpan<byte> packet) => _events.SendPacket(packet);

    void ISctpAssociationHandler.OnEstablished() => _events.OnConnected();

    void ISctpAssociationHandler.OnMessage(ushort streamId, uint ppid, byte[] message)
    {
        if (ppid == DataChannelPpid.Dcep)
        {
            OnDcep(streamId, message);
            return;
        }

        if (!_channels.TryGetValue(streamId, out var channel) || channel.State is DataChannelState.Closed)
        {
            DroppedMessages++;
            return;
        }

        if (channel.State == DataChannelState.Connecting)
        {
            // RFC 8832 §6: user data on the stream implies the peer saw our OPEN.
            channel.State = DataChannelState.Open;
            _events.OnChannelOpen(channel);
        }

        switch (ppid)
        {
            case DataChannelPpid.String:
                _events.OnMessage(channel, new DataChannelMessage(true, message));
                break;
            case DataChannelPpid.Binary:
                _events.OnMessage(channel, new DataChannelMessage(false, message));
                break;
            case DataChannelPpid.StringEmpty:
                _events.OnMessage(channel, new DataChannelMessage(true, []));
                break;
            case DataChannelPpid.BinaryEmpty:
                _events.OnMessage(channel, new DataChannelMessage(false, []));
                break;
            default:
                DroppedMessages++;
                break;
        }
    }

    void ISctpAssociationHandler.OnIncomingStreamsReset(IReadOnlyList<ushort> streamIds)
    {
        var resetOurs = new List<ushort>();
        foreach (var id in streamIds)
        {
            if (!_channels.Remove(id, out var channel))
            {
                continue;
            }

            if (channel.State != DataChannelState.Closing)
            {
                resetOurs.Add(id); // the peer closed first: close our direction too.
            }

            channel.State = DataChannelState.Closed;
            _events.OnChannelClosed(channel);
        }

        if (resetOurs.Count > 0)
        {
            Association.ResetStreams(resetOurs, _now);
        }
    }

    void ISctpAssociationHandler.OnClosed(string reason)
    {
        foreach (var channel in _channels.Values)
        {
            channel.State = DataChannelState.Closed;
            _events.OnChannelClosed(channel);
        }

        _channels.Clear();
        _events.OnClosed(reason);
    }

    private void OnDcep(ushort streamId, byte[] message)
    {
        if (message.Length == 1 && message[0] == DcepMessage.Ack)
        {
            if (_channels.TryGetValue(streamId, out var mine) && mine.State == DataChannelState.Connecting)
            {
                mine.State = DataChannelState.Open;
                _events.OnChannelOpen(mine);
            }

            return;
        }

        if (!DcepMessage.TryReadOpen(message, out var parameters) || _channels.ContainsKey(streamId))
        {
            DroppedMessages++;
            return;
        }

        var channel = new DataChannel(streamId, parameters!, DataChannelState.Open);
        _channels[streamId] = channel;
        Association.Send(streamId, DataChannelPpid.Dcep, [DcepMessage.Ack], SctpSendOptions.Reliable, _now);
        _events.OnChannelOpen(channel);
    }
}

using Lilium.Input;
using Lilium.Protocol.Control;
using Lilium.Relay.Media;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.DataChannels;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Sctp;
using Lilium.WebRtc.Sdp;
using Lilium.Protocol;

namespace Lilium.Relay.Input;

/// <summary>
/// Remote input through the relay (docs/input.md). Each peer that negotiated a data-channel section
/// gets an SCTP association over its DTLS connection. A viewer's <c>input</c> channel is checked
/// event by event against the viewer's current grant (<see cref="InputGate"/>) and what passes is
/// forwarded to the host's <c>input</c> channel in a <c>Forwarded</c> envelope naming the viewer.
/// The host changes a viewer's grant live on its <c>control</c> channel; the change applies to the
/// next event, and whatever the viewer held down is released on the host at once. A viewer's own <c>control</c>
/// channel carries its video hint (paused, visible size) to the forwarder (<see cref="SfuForwarder.ApplyVideoHint"/>).
/// </summary>
internal sealed partial class InputRouter(RelayMetrics metrics, SfuForwarder forwarder, ILogger<InputRouter> log)
{
    /// <summary>
    /// When the datagram now being processed reached the media loop (Stopwatch ticks). Written and
    /// read only on the media loop thread, where DTLS records are fed and input is routed.
    /// </summary>
    public long DatagramArrived { get; set; }

    /// <summary>Gives the peer its SCTP association; call before the DTLS handshake can complete.</summary>
    public void Attach(MediaPeer peer, DtlsConnection dtls)
    {
        if (peer.DataChannelMedia is not { } media)
        {
            return;
        }

        var options = new SctpOptions
        {
            RemotePort = (ushort)media.RemoteSctpPort,
            MaxMessageSize = SdpDataChannelMedia.LocalMaxMessageSize,
        };

        // RFC 8832 §6: the DTLS server (the relay is always passive) uses odd stream ids.
        var transport = new DataChannelTransport(options, packet => dtls.SendApplicationData(packet), useEvenStreamIds: false);
        var channels = new PeerChannels(transport, peer.User, peer.Session.PermissionsFor(peer.User, peer.GrantPermissions), peer.Session.Keys);
        peer.Channels = channels;
        transport.ChannelOpened += channel => Guard(peer, () => OnOpened(peer, channels, channel));
        transport.MessageReceived += (channel, message) => Guard(peer, () => OnMessage(peer, channels, channel, message));
        transport.Closed += reason => LogAssociationClosed(peer.Id, reason);
        dtls.ApplicationDataReceived = transport.Receive;
    }

    /// <summary>Releases what a leaving viewer held, tells the host, and ends the association.</summary>
    public void Detach(MediaPeer peer)
    {
        if (peer.Channels is not { } channels)
        {
            return;
        }

        if (peer.Role == PeerRole.Subscriber)
        {
            Guard(peer, () =>
            {
                ApplyGrant(peer.Session, channels, InputPermissions.None);
                if (channels.Input is not null)
                {
                    SendControl(peer.Session, new ControlMessage { Type = ControlTypes.ViewerLeft, Viewer = channels.User, Peer = peer.Id });
                }
            });
        }

        channels.Transport.Dispose();
    }

    private void OnOpened(MediaPeer peer, PeerChannels channels, DataChannel channel)
    {
        LogChannelOpened(peer.Id, peer.Role, channel.Label);
        switch (peer.Role, channel.Label)
        {
            case (PeerRole.Subscriber, DataChannels.InputLabel):
                channels.Input = channel;
                InputPermissions granted;
                lock (channels.GateLock)
                {
                    granted = channels.Gate.Permissions;
                }

                SendControl(peer.Session, ControlMessage.WithPermissions(ControlTypes.ViewerJoined, channels.User, granted) with { Peer = peer.Id });
                break;
            case (PeerRole.Subscriber, DataChannels.ControlLabel):
                channels.Control = channel;
                break;
            case (PeerRole.Publisher, DataChannels.InputLabel):
                channels.Input = channel;
                break;
            case (PeerRole.Publisher, DataChannels.ControlLabel):
                channels.Control = channel;
                foreach (var viewer in peer.Session.Subscribers)
                {
                    if (viewer.Channels is { Input: not null } v)
                    {
                        InputPermissions current;
                        lock (v.GateLock)
                        {
                            current = v.Gate.Permissions;
                        }

                        Send(channels, ControlMessage.WithPermissions(ControlTypes.ViewerJoined, v.User, current) with { Peer = viewer.Id });
                    }
                }

                break;
        }
    }

    private void OnMessage(MediaPeer peer, PeerChannels channels, DataChannel channel, DataChannelMessage message)
    {
        metrics.DataChannelMessage();
        if (peer.Role == PeerRole.Subscriber && ReferenceEquals(channel, channels.Input))
        {
            Route(peer.Session, channels, message.Data);
        }
        else if (peer.Role == PeerRole.Publisher && ReferenceEquals(channel, channels.Control))
        {
            OnControl(peer.Session, channels, message);
        }
        else if (peer.Role == PeerRole.Subscriber && ReferenceEquals(channel, channels.Control))
        {
            OnViewerControl(peer, channels, message);
        }
    }

    /// <summary>A viewer's control message: a video hint (docs/input.md), answered video.applied, or an error.</summary>
    private void OnViewerControl(MediaPeer viewer, PeerChannels channels, DataChannelMessage message)
    {
        if (ReadControl(channels, message, ControlTypes.Video, "a viewer", "; paused is true or false, maxWidth and maxHeight whole numbers") is not { } control)
        {
            return;
        }

        if (control.VideoProblem() is { } problem)
        {
            Send(channels, ControlMessage.Failure(ErrorCode.BadRequest, problem));
            return;
        }

        var hint = new ViewerVideoHint(control.Paused ?? false, control.MaxWidth ?? 0, control.MaxHeight ?? 0);
        forwarder.ApplyVideoHint(viewer, hint);
        LogVideoHint(viewer.Id, hint.Paused, hint.MaxWidth, hint.MaxHeight);
        Send(channels, ControlMessage.VideoHint(ControlTypes.VideoApplied, hint.Paused, control.MaxWidth, control.MaxHeight));
    }

    // The hot path: check, then forward under the viewer's gate lock so that a revoke's releases
    // can never overtake (or be overtaken by) an event that passed the old grant.
    private void Route(RelaySession session, PeerChannels viewer, byte[] data)
    {
        metrics.InputReceived();
        lock (viewer.GateLock)
        {
            var verdict = viewer.Gate.Check(data);
            if (verdict != InputVerdict.Allowed)
            {
                metrics.InputDenied(verdict);
                return;
            }

            if (!Forward(session, viewer.User, data))
            {
                metrics.InputNoHost();
            }
            else if (DatagramArrived != 0)
            {
                metrics.InputRouted(System.Diagnostics.Stopwatch.GetTimestamp() - DatagramArrived);
            }
        }
    }

    private bool Forward(RelaySession session, Guid viewer, ReadOnlySpan<byte> inner)
    {
        if (session.Publisher is not { IsClosed: false, Channels: { Input: { } input } host })
        {
            return false;
        }

        Span<byte> envelope = stackalloc byte[InputWire.ForwardedOverhead + 32];
        var length = InputWire.WriteForwarded(envelope, viewer, host.NextSequence(), inner);
        if (!host.Transport.Send(input, envelope[..length]))
        {
            return false;
        }

        metrics.InputForwarded();
        return true;
    }

    private void OnControl(RelaySession session, PeerChannels host, DataChannelMessage message)
    {
        if (ReadControl(host, message, ControlTypes.Grant, "the host", "") is not { } control)
        {
            return;
        }

        if (control.Viewer is not { } viewer || viewer == Guid.Empty || control.Permissions is not { } granted)
        {
            Send(host, ControlMessage.Failure(ErrorCode.BadRequest, "grant needs a viewer (the viewer's user id) and permissions."));
            return;
        }

        var permissions = granted.ToFlags();
        var (peers, released) = SetViewerPermissions(session, viewer, permissions);
        Send(host, ControlMessage.WithPermissions(ControlTypes.GrantApplied, viewer, permissions) with { Peers = peers, Released = released });
    }

    /// <summary>
    /// One control-channel message of the one type <paramref name="sender"/> may send, or null once the sender has been
    /// told why not (<c>bad-json</c>: not a JSON text object with a type; <c>unknown-type</c>: another type).
    /// </summary>
    private static ControlMessage? ReadControl(PeerChannels channels, DataChannelMessage message, string expectedType, string sender, string shape)
    {
        var control = message.IsText ? ControlMessage.TryParse(message.Data) : null;
        if (control is null)
        {
            Send(channels, ControlMessage.Failure(ErrorCode.BadJson, $"Control messages are JSON text objects with a type (docs/input.md){shape}."));
            return null;
        }

        if (control.Type != expectedType)
        {
            Send(channels, ControlMessage.Failure(ErrorCode.UnknownType, $"Unknown control message type '{control.Type}' from {sender}; {sender} sends '{expectedType}'."));
            return null;
        }

        return control;
    }

    /// <summary>
    /// Sets what <paramref name="viewer"/> may do in <paramref name="session"/> now and for peers that connect later: from
    /// the host's control channel, or from the control plane's revocations feed (a grant changed over REST).
    /// </summary>
    /// <returns>How many of the viewer's peers were live, and how many held inputs the change released.</returns>
    public (int Peers, int Released) SetViewerPermissions(RelaySession session, Guid viewer, InputPermissions permissions)
    {
        session.SetPermissions(viewer, permissions);
        var peers = 0;
        var released = 0;
        foreach (var subscriber in session.Subscribers)
        {
            if (subscriber.Channels is { } channels && channels.User == viewer)
            {
                peers++;
                released += ApplyGrant(session, channels, permissions);
            }
        }

        LogGrantApplied(session.Id, viewer, permissions, peers);
        return (peers, released);
    }

    private int ApplyGrant(RelaySession session, PeerChannels viewer, InputPermissions permissions)
    {
        lock (viewer.GateLock)
        {
            var releases = viewer.Gate.ChangePermissions(permissions);
            foreach (var release in releases)
            {
                Forward(session, viewer.User, release);
            }

            return releases.Count;
        }
    }

    private void SendControl(RelaySession session, ControlMessage message)
    {
        if (session.Publisher is { IsClosed: false, Channels: { } host })
        {
            Send(host, message);
        }
    }

    private static void Send(PeerChannels host, ControlMessage message)
    {
        if (host.Control is { } control)
        {
            host.Transport.Send(control, message.ToJson());
        }
    }

    // Nothing a peer sends may escape into the transport's receive path (the media loop).
    private void Guard(MediaPeer peer, Action action)
    {
        try
        {
            action();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            metrics.Dropped();
            LogHandlerFailed(ex, peer.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} ({Role}) opened data channel '{Label}'")]
    private partial void LogChannelOpened(Guid peerId, PeerRole role, string label);

    [LoggerMessage(Level = LogLevel.Information, Message = "peer {PeerId} SCTP association closed: {Reason}")]
    private partial void LogAssociationClosed(Guid peerId, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "session {SessionId}: viewer {Viewer} input grant now {Permissions} ({Peers} connected peers)")]
    private partial void LogGrantApplied(Guid sessionId, Guid viewer, InputPermissions permissions, int peers);

    [LoggerMessage(Level = LogLevel.Debug, Message = "peer {PeerId} video hint: paused {Paused}, box {MaxWidth}x{MaxHeight} (0: no limit)")]
    private partial void LogVideoHint(Guid peerId, bool paused, int maxWidth, int maxHeight);

    [LoggerMessage(Level = LogLevel.Warning, Message = "data channel handler failed for peer {PeerId}")]
    private partial void LogHandlerFailed(Exception ex, Guid peerId);
}

using System.Net;
using Lilium.Auth;
using Lilium.Relay.Input;
using Lilium.Relay.Sessions;
using Lilium.WebRtc.Dtls;
using Lilium.WebRtc.Ice;
using Lilium.WebRtc.Sdp;
using Lilium.WebRtc.Srtp;
using Lilium.Protocol;

namespace Lilium.Relay.Media;

/// <summary>
/// One WebRTC peer of the relay (a WHIP publisher or a WHEP subscriber): its ICE credentials, the
/// DTLS association, the SRTP contexts it yields, and its streams or tracks. Inbound processing
/// happens on the media loop; outbound protection is serialised by <see cref="SendLock"/> because
/// keyframe requests and handshake completion come from other threads.
/// </summary>
internal sealed class MediaPeer
{
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile PeerPath? _path;
    private int _state;

    public MediaPeer(Guid id, PeerRole role, RelaySession session, IceCredentials local, string? remoteUfrag, DtlsFingerprint remoteFingerprint, IReadOnlyList<SdpNegotiatedMedia> media, bool impairable)
    {
        Id = id;
        Role = role;
        Session = session;
        Ice = new IceLiteAgent(local, remoteUfrag);
        RemoteFingerprint = remoteFingerprint;
        Media = media;
        Impairable = impairable;
        ETag = $"\"{Guid.NewGuid():N}\"";
        CreatedMs = Environment.TickCount64;
        LastConsentMs = CreatedMs;
        RelaySsrc = (uint)Random.Shared.Next(1, int.MaxValue);
        Streams = role == PeerRole.Publisher ? media.SelectMany(SimulcastSource.StreamsFor).ToArray() : [];
        Tracks = role == PeerRole.Subscriber ? media.Select(m => new SubscriberTrack(m)).ToArray() : [];
        foreach (var stream in Streams)
        {
            stream.Ssrc = stream.Simulcast is null ? stream.Media.RemoteSsrcs.FirstOrDefault() : 0; // simulcast: learnt by RID
        }

        // Transport-wide CC (TransportCc): feedback for a publisher that numbers its packets, an estimate for a subscriber we number ours for.
        Feedback = role == PeerRole.Publisher && media.Any(m => m.TransportCcExtensionId is not null) ? new PublisherFeedback(RelaySsrc) : null;
        Estimate = role == PeerRole.Subscriber && Tracks.Any(t => t.TransportCcExtensionId != 0) ? new SubscriberEstimate() : null;
    }

    /// <summary>A publisher's transport-wide CC receive side, when it negotiated the extension.</summary>
    public PublisherFeedback? Feedback { get; }

    /// <summary>A subscriber's transport-wide send-side estimate, when it negotiated the extension.</summary>
    public SubscriberEstimate? Estimate { get; }

    public Guid Id { get; }

    /// <summary>The user named by the peer's relay grant (the Forwarded envelope's viewer id).</summary>
    public Guid User { get; init; }

    /// <summary>When the peer's relay grant was issued (Unix ms, <see cref="Sessions.RevocationList.IssuedMs"/>): a revocation closes the peer only if it is later.</summary>
    public long GrantIssuedMs { get; init; }

    /// <summary>
    /// The peer's ICE credentials from its offer (the bundle section's ufrag and password): the relay's move probe is
    /// a check keyed with them, which only the peer can answer (docs/security.md).
    /// </summary>
    public IceCredentials? RemoteIce { get; init; }

    /// <summary>The address the WHIP/WHEP request came from (<see cref="Http.ClientAddress"/>), for the per-address cap.</summary>
    public System.Net.IPAddress? SourceAddress { get; init; }

    /// <summary>The input permissions in the peer's relay grant (before any live change by the host).</summary>
    public InputPermissions GrantPermissions { get; init; }

    /// <summary>The negotiated data-channel section, if the offer had one.</summary>
    public SdpDataChannelMedia? DataChannelMedia { get; init; }

    /// <summary>The SCTP association and input channels (set when DTLS starts, if negotiated).</summary>
    public PeerChannels? Channels { get; set; }

    public PeerRole Role { get; }

    public RelaySession Session { get; }

    /// <summary>Our ICE-lite side for this peer: answers its checks, tracks the nominated pair.</summary>
    public IceLiteAgent Ice { get; }

    /// <summary>The check we sent to a new address before moving the media address there (after DTLS), if any.</summary>
    public AddressMoveProbe? MoveProbe { get; set; }

    public string LocalUfrag => Ice.Local.Ufrag;

    public DtlsFingerprint RemoteFingerprint { get; }

    public IReadOnlyList<SdpNegotiatedMedia> Media { get; }

    /// <summary>
    /// TEST ONLY: the WHEP request asked for induced loss (<c>X-Lilium-Test-Loss</c>). Production sends ignore it; a send
    /// impairment that a test composes around the media socket's sender acts on such peers alone.
    /// </summary>
    public bool Impairable { get; }

    public string ETag { get; }

    public long CreatedMs { get; }

    /// <summary>Last authenticated STUN check (RFC 7675 consent freshness).</summary>
    public long LastConsentMs { get; set; }

    /// <summary>The SSRC the relay uses as RTCP sender towards this peer.</summary>
    public uint RelaySsrc { get; }

    public PublisherStream[] Streams { get; }

    public SubscriberTrack[] Tracks { get; }

    /// <summary>Where media to this peer goes (the nominated UDP address or ICE-TCP connection), once a check bound one.</summary>
    public PeerPath? Path
    {
        get => _path;
        set => _path = value;
    }

    /// <summary>The remote address of <see cref="Path"/> (a UDP 5-tuple's, or the TCP connection's).</summary>
    public IPEndPoint? Endpoint => _path?.Remote;

    public PeerState State => (PeerState)Volatile.Read(ref _state);

    public bool IsClosed => State == PeerState.Closed;

    public Task<string> Closed => _closed.Task;

    public DtlsConnection? Dtls { get; set; }

    public SrtpSession? Inbound { get; private set; }

    public SrtpSession? Outbound { get; private set; }

    public Lock SendLock { get; } = new();

    public void MarkConnected() => Interlocked.CompareExchange(ref _state, (int)PeerState.Connected, (int)PeerState.New);

    /// <summary>Installs the SRTP contexts from the DTLS exporter; false if the peer closed meanwhile.</summary>
    public bool Secure(SrtpKeyingMaterial keys)
    {
        lock (SendLock)
        {
            if (IsClosed)
            {
                return false;
            }

            Inbound = SrtpSession.ForReceiving(keys);
            Outbound = SrtpSession.ForSending(keys);
            Volatile.Write(ref _state, (int)PeerState.Secured);
            return true;
        }
    }

    /// <summary>
    /// Moves to Closed once and releases DTLS and the SRTP keys; returns false if it already was. <see cref="Closed"/>
    /// completes later, from <see cref="CompleteClose"/>, once the relay has forgotten the peer.
    /// </summary>
    public bool TryClose(string reason)
    {
        if (Interlocked.Exchange(ref _state, (int)PeerState.Closed) == (int)PeerState.Closed)
        {
            return false;
        }

        try
        {
            Dtls?.Close();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
        }

        lock (SendLock)
        {
            Inbound?.Dispose();
            Outbound?.Dispose();
        }

        return true;
    }

    /// <summary>
    /// Completes <see cref="Closed"/> with the reason. The transport calls it after it has forgotten the peer (addresses,
    /// ufrag, input), so whoever awaits <see cref="Closed"/> sees a relay without it.
    /// </summary>
    public void CompleteClose(string reason) => _closed.TrySetResult(reason);

    private long _reportedLost;
    private long _layerCapBps = long.MaxValue;

    /// <summary>
    /// A subscriber's cap on the simulcast layer it is sent (bits/s): the WHEP <c>maxBitrate</c> query parameter, or a
    /// test's forced estimate; <see cref="long.MaxValue"/> when none. Read on the media loop, set from any thread.
    /// </summary>
    public long LayerCapBps
    {
        get => Volatile.Read(ref _layerCapBps);
        set => Volatile.Write(ref _layerCapBps, value);
    }

    private ViewerVideoHint _videoHint = ViewerVideoHint.None;

    /// <summary>
    /// A subscriber's video hint from its <c>control</c> channel (<see cref="ViewerVideoHint"/>): paused, and the box that
    /// caps its simulcast layer. Set through <see cref="SfuForwarder.ApplyVideoHint"/> (on the media loop once it runs),
    /// read on the media loop; any thread may read it (tests).
    /// </summary>
    public ViewerVideoHint VideoHint
    {
        get => Volatile.Read(ref _videoHint);
        set => Volatile.Write(ref _videoHint, value);
    }

    /// <summary>A subscriber's loss-based bandwidth estimate, from its receiver reports (the relay's REMB to the publisher).</summary>
    public LossBasedEstimate Bandwidth { get; } = new();

    /// <summary>
    /// What a subscriber's path carries (bits/s; <see cref="LossBasedEstimate.UnconstrainedBps"/> while nothing constrains
    /// it): its send-side estimate once it gives transport-wide feedback — whose loss-based part sees the same losses its
    /// receiver reports do, and which a probe that goes through lifts — else the receiver reports' loss-based estimate.
    /// Not both: the receiver-report estimate only grows 5 % a report, so after a congestion episode it would hold a
    /// viewer down long after probes showed the path has room (a viewer back on the high layer 14 s after a limit lifted,
    /// where its own estimate allowed it after 5). Any thread.
    /// </summary>
    public ulong PathEstimateBps => Estimate is { HasFeedback: true } estimate
        ? estimate.ConstraintBps
        : Bandwidth.Bps ?? LossBasedEstimate.UnconstrainedBps;

    /// <summary>Records the cumulative loss from this subscriber's latest receiver report.</summary>
    public void ReportedLost(int cumulative, Observability.RelayMetrics metrics)
    {
        var previous = Interlocked.Exchange(ref _reportedLost, cumulative);
        if (cumulative > previous)
        {
            metrics.SubscriberLost(cumulative - previous);
        }
    }

    public SubscriberTrack? TrackFor(string kind)
    {
        foreach (var track in Tracks)
        {
            if (track.Kind == kind)
            {
                return track;
            }
        }

        return null;
    }

    /// <summary>
    /// The stream a publisher's RTX packet repairs (RFC 4588), by its RTX SSRC; an unknown SSRC with a stream's negotiated
    /// rtx payload type fixes that stream's RTX SSRC (as <see cref="StreamFor"/> does for media) — a simulcast layer's by
    /// the repaired-RID extension naming the layer (RFC 8852 §3). Null: not RTX.
    /// </summary>
    public PublisherStream? RtxStreamFor(uint ssrc, byte payloadType, ReadOnlySpan<byte> packet, in Lilium.WebRtc.Rtp.RtpHeader header)
    {
        foreach (var stream in Streams)
        {
            if (stream.RtxSsrc == ssrc && stream.Media.RtxPayloadType == payloadType)
            {
                return stream;
            }
        }

        foreach (var stream in Streams)
        {
            // A simulcast layer's RTX shares the section's rtx payload type with the other layers' (it names its layer
            // by repaired-rid, not matched yet): learning by payload type alone could tie it to the wrong layer.
            if (stream.RtxSsrc == 0 && stream.Rid is null && stream.Media.RtxPayloadType == payloadType && stream.Ssrc != ssrc)
            {
                stream.RtxSsrc = ssrc;
                return stream;
            }

            if (stream.Simulcast is { } source && stream.Layer == 0 && stream.Media.RtxPayloadType == payloadType
                && source.LearnRepair(ssrc, packet, header) is { } layer)
            {
                return layer;
            }
        }

        return null;
    }

    public PublisherStream? StreamFor(uint ssrc, byte payloadType, ReadOnlySpan<byte> packet, in Lilium.WebRtc.Rtp.RtpHeader header)
    {
        foreach (var stream in Streams)
        {
            if (stream.Ssrc == ssrc)
            {
                return stream;
            }
        }

        // Simulcast: an unknown SSRC names its layer with the RID extension (SimulcastSource).
        foreach (var stream in Streams)
        {
            if (stream.Simulcast is { } simulcast && stream.Layer == 0 && stream.Media.Codec.PayloadType == payloadType)
            {
                return simulcast.Learn(ssrc, packet, header);
            }
        }

        // Unannounced SSRC: fix the mapping by a payload type unique to one m-section (RFC 9143 §9.2).
        foreach (var stream in Streams)
        {
            if (stream.Simulcast is null && stream.Media.Codec.PayloadType == payloadType && (stream.Ssrc == 0 || stream.Received == 0))
            {
                stream.Ssrc = ssrc;
                return stream;
            }
        }

        return null;
    }
}

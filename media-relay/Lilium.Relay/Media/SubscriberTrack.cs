using System.Text;
using Lilium.WebRtc.Rtp;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// One outgoing track of a subscriber (an accepted WHEP m-section). Rewrites the publisher's
/// SSRC, sequence numbers, timestamps and payload type into the subscriber's own space so a
/// publisher restart or switch looks like one continuous stream; video waits for a keyframe.
/// </summary>
internal sealed class SubscriberTrack(SdpNegotiatedMedia media)
{
    /// <summary>How many earlier sources a NACK can still reach (a simulcast switch or a new publisher makes one).</summary>
    private const int Segments = 4;

    private ushort _seqOffset;
    private uint _tsOffset;
    private ushort _lastSeq = (ushort)Random.Shared.Next(0, 0x8000);
    private uint _lastTs = (uint)Random.Shared.Next();
    private long _lastSentMs;
    private readonly Segment[] _segments = new Segment[Segments];
    private int _segmentCount;

    /// <summary>Where a source began in this track's numbering, and how it was mapped (for NACKs after a switch).</summary>
    private readonly record struct Segment(PublisherStream Source, ushort StartSeq, ushort SeqOffset, uint TsOffset);

    /// <summary>Simulcast: this subscriber's layer choice (<see cref="LayerSelector"/>); unused without simulcast.</summary>
    public LayerSelector Layers { get; } = new();

    /// <summary>Simulcast: when <see cref="Layers"/> is next asked to choose (media-loop ms).</summary>
    public long NextLayerSelectMs { get; set; }

    /// <summary>
    /// Simulcast: padding the relay adds during an up-switch trial (bits/s; 0 when none): the trial's rate less the
    /// current layer's (<see cref="SimulcastLayers"/> sets it, <see cref="SubscriberProbing"/> sends it).
    /// </summary>
    public ulong TrialPaddingBps { get; set; }

    /// <summary>Simulcast: how high a probe need look (bits/s; 0 without simulcast): the next layer's rate + margin.</summary>
    public double ProbeCeilingBps { get; set; }

    /// <summary>The simulcast layer being sent (0 = lowest), or −1 (none yet, or no simulcast). Any thread (metrics, tests).</summary>
    public int CurrentLayer => Source is { Simulcast: not null } source ? source.Layer : -1;

    public SdpNegotiatedMedia Media { get; } = media;

    public string Kind => Media.Kind;

    public uint Ssrc { get; } = media.LocalSsrc ?? 0;

    public byte PayloadType { get; } = (byte)media.Codec.PayloadType;

    public int MidExtensionId { get; } = media.MidExtensionId ?? 0;

    public byte[] Mid { get; } = Encoding.UTF8.GetBytes(media.Mid);

    /// <summary>The id of the playout-delay extension the relay writes on this (video) track, or 0.</summary>
    public int PlayoutDelayExtensionId { get; } = media.Kind == "video" ? media.PlayoutDelayExtensionId ?? 0 : 0;

    /// <summary>The id under which the publisher's abs-capture-time is passed on, or 0.</summary>
    public int AbsCaptureTimeExtensionId { get; } = media.AbsCaptureTimeExtensionId ?? 0;

    /// <summary>The id under which the publisher's AV1 dependency descriptor is passed on unchanged (video), or 0.</summary>
    public int DependencyDescriptorExtensionId { get; } = media.DependencyDescriptorExtensionId ?? 0;

    /// <summary>The negotiated transport-wide sequence number extension id, if a one-byte one (1–14), else 0.</summary>
    public int TransportCcExtensionId { get; } = media.TransportCcExtensionId is { } id and >= 1 and <= 14 ? id : 0;

    /// <summary>
    /// The retransmission stream (RFC 4588) when the viewer negotiated <c>rtx</c>: NACKed packets go on its own SSRC and
    /// sequence numbers with the original sequence number first; without it they are resent as they were.
    /// </summary>
    public RtxStream? Rtx { get; } = media is { RtxPayloadType: { } rtxPt, LocalRtxSsrc: { } rtxSsrc }
        ? new RtxStream(rtxSsrc, (byte)rtxPt, (ushort)Random.Shared.Next(0, 0x10000))
        : null;

    /// <summary>What this subscriber's NACKs may make us resend on this track.</summary>
    public NackBudget Nacks { get; } = new();

    /// <summary>The publisher stream currently mapped onto this track.</summary>
    public PublisherStream? Source { get; private set; }

    /// <summary>Video only starts (and restarts after a source switch) at a keyframe.</summary>
    public bool WaitingForKeyframe { get; private set; } = media.Kind == "video";

    public uint PacketsSent { get; private set; }

    public uint OctetsSent { get; private set; }

    /// <summary>
    /// Maps a new source so the first packet continues this track's numbering: the next sequence number (no gap), and a
    /// timestamp advanced by the wall-clock time since the last packet sent (at least one tick; 3000 if none was sent),
    /// so a simulcast layer switch or a new publisher looks like one continuous stream.
    /// </summary>
    public void Bind(PublisherStream source, ushort firstSeq, uint firstTs)
    {
        var elapsedMs = PacketsSent == 0 ? -1 : Environment.TickCount64 - _lastSentMs;
        var gap = elapsedMs < 0 ? 3000u : (uint)Math.Clamp(elapsedMs * Media.Codec.ClockRate / 1000, 1, int.MaxValue);
        Source = source;
        _seqOffset = (ushort)(_lastSeq + 1 - firstSeq);
        _tsOffset = _lastTs + gap - firstTs;
        WaitingForKeyframe = Kind == "video";
        Array.Copy(_segments, 0, _segments, 1, Segments - 1);
        _segments[0] = new Segment(source, (ushort)(_lastSeq + 1), _seqOffset, _tsOffset);
        _segmentCount = Math.Min(_segmentCount + 1, Segments);
    }

    /// <summary>
    /// A sequence number this track sent (a NACK): the source that sent it, its number there and the timestamp offset it
    /// was sent with — the newest of the last <see cref="Segments"/> sources that had begun by then. False if none.
    /// </summary>
    public bool TryResolve(ushort trackSeq, out PublisherStream source, out ushort sourceSeq, out uint tsOffset)
    {
        for (var i = 0; i < _segmentCount; i++)
        {
            var segment = _segments[i];
            if ((ushort)(trackSeq - segment.StartSeq) < 0x8000)
            {
                (source, sourceSeq, tsOffset) = (segment.Source, (ushort)(trackSeq - segment.SeqOffset), segment.TsOffset);
                return true;
            }
        }

        (source, sourceSeq, tsOffset) = (null!, 0, 0);
        return false;
    }

    public void KeyframeSeen() => WaitingForKeyframe = false;

    /// <summary>Video: the next packet sent must start a keyframe again (a viewer resumed after a pause); the source stays bound.</summary>
    public void AwaitKeyframe() => WaitingForKeyframe = Kind == "video";

    public ushort MapSequence(ushort sourceSeq) => (ushort)(sourceSeq + _seqOffset);

    public ushort UnmapSequence(ushort trackSeq) => (ushort)(trackSeq - _seqOffset);

    public uint MapTimestamp(uint sourceTs) => sourceTs + _tsOffset;

    /// <summary>The RTP timestamp of the last packet sent on this track (probe padding on the RTX stream reuses it).</summary>
    public uint LastTimestamp => _lastTs;

    public void Sent(ushort seq, uint ts, int payloadBytes, bool retransmission)
    {
        if (retransmission)
        {
            return;
        }

        if ((ushort)(seq - _lastSeq) < 0x8000)
        {
            _lastSeq = seq;
            _lastTs = ts;
        }

        _lastSentMs = Environment.TickCount64;
        PacketsSent++;
        OctetsSent += (uint)payloadBytes;
    }
}

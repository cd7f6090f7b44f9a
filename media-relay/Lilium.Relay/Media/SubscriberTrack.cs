using System.Text;
using Lilium.WebRtc.Sdp;

namespace Lilium.Relay.Media;

/// <summary>
/// One outgoing track of a subscriber (an accepted WHEP m-section). Rewrites the publisher's
/// SSRC, sequence numbers, timestamps and payload type into the subscriber's own space so a
/// publisher restart or switch looks like one continuous stream; video waits for a keyframe.
/// </summary>
internal sealed class SubscriberTrack(SdpNegotiatedMedia media)
{
    private ushort _seqOffset;
    private uint _tsOffset;
    private ushort _lastSeq = (ushort)Random.Shared.Next(0, 0x8000);
    private uint _lastTs = (uint)Random.Shared.Next();

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

    /// <summary>The negotiated transport-wide sequence number extension id, if a one-byte one (1–14), else 0.</summary>
    public int TransportCcExtensionId { get; } = media.TransportCcExtensionId is { } id and >= 1 and <= 14 ? id : 0;

    /// <summary>What this subscriber's NACKs may make us resend on this track.</summary>
    public NackBudget Nacks { get; } = new();

    /// <summary>The publisher stream currently mapped onto this track.</summary>
    public PublisherStream? Source { get; private set; }

    /// <summary>Video only starts (and restarts after a source switch) at a keyframe.</summary>
    public bool WaitingForKeyframe { get; private set; } = media.Kind == "video";

    public uint PacketsSent { get; private set; }

    public uint OctetsSent { get; private set; }

    /// <summary>Maps a new source so the first packet continues this track's numbering.</summary>
    public void Bind(PublisherStream source, ushort firstSeq, uint firstTs)
    {
        Source = source;
        _seqOffset = (ushort)(_lastSeq + 1 - firstSeq);
        _tsOffset = _lastTs + 3000 - firstTs;
        WaitingForKeyframe = Kind == "video";
    }

    public void KeyframeSeen() => WaitingForKeyframe = false;

    public ushort MapSequence(ushort sourceSeq) => (ushort)(sourceSeq + _seqOffset);

    public ushort UnmapSequence(ushort trackSeq) => (ushort)(trackSeq - _seqOffset);

    public uint MapTimestamp(uint sourceTs) => sourceTs + _tsOffset;

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

        PacketsSent++;
        OctetsSent += (uint)payloadBytes;
    }
}

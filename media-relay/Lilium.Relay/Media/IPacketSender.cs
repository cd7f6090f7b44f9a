using System.Net;

namespace Lilium.Relay.Media;

/// <summary>
/// The send side of the media socket, as the peer transport and the SFU forwarder see it: packets that are already
/// protected (SRTP/SRTCP) or need none (STUN, DTLS records), sent on a peer's path. Production composes
/// <see cref="SocketPacketSender"/> alone; tests may wrap it in a decorator (loss, delay) — the hot path has no branch
/// for that.
/// </summary>
internal interface IPacketSender
{
    /// <summary>
    /// Media loop only: a buffer for the next fanned-out packet (at least <see cref="UdpBatchSender.SlotSize"/> bytes).
    /// Write and protect the packet in it, then <see cref="Commit"/> it, or reserve again to abandon it.
    /// </summary>
    Span<byte> Reserve();

    /// <summary>
    /// Media loop only: queues the first <paramref name="length"/> bytes of the reserved buffer to <paramref name="peer"/>
    /// on <paramref name="path"/> (its selected path, read once by the caller). Queued UDP packets leave at <see cref="Flush"/>.
    /// </summary>
    void Commit(MediaPeer peer, PeerPath path, int length);

    /// <summary>Media loop only: sends everything <see cref="Commit"/> queued.</summary>
    void Flush();

    /// <summary>Any thread: sends one packet now on <paramref name="path"/> (RTCP, DTLS records, STUN over ICE-TCP).</summary>
    void Send(PeerPath path, ReadOnlySpan<byte> packet);

    /// <summary>Any thread: sends one UDP datagram now (STUN answers, move probes).</summary>
    void SendDatagram(IPEndPoint remote, ReadOnlySpan<byte> datagram);
}

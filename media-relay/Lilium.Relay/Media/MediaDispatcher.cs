using System.Net;
using Lilium.Relay.Input;
using Lilium.Relay.Observability;
using Lilium.Relay.Sessions;
using Lilium.WebRtc;

namespace Lilium.Relay.Media;

/// <summary>
/// The one place a received packet is classified (RFC 7983 §7, by <see cref="PacketDemux"/>) and routed: STUN to the
/// peer transport; DTLS and SRTP/SRTCP only from a peer's selected path — its bound UDP 5-tuple or its ICE-TCP
/// connection — DTLS to the transport, SRTP/SRTCP to the forwarder. Anything else, or from anywhere else, is dropped
/// and counted.
/// </summary>
internal sealed class MediaDispatcher(SessionRegistry registry, PeerTransport transport, SfuForwarder forwarder, InputRouter input, RelayMetrics metrics)
    : IMediaReceiver
{
    public void OnDatagram(Span<byte> datagram, IPEndPoint remote)
    {
        input.DatagramArrived = System.Diagnostics.Stopwatch.GetTimestamp();
        metrics.In(datagram.Length);
        var kind = PacketDemux.Classify(datagram);
        switch (kind)
        {
            case PacketKind.Stun:
                transport.OnStun(datagram, remote, null);
                break;
            case PacketKind.Dtls:
                if (registry.FindByEndpoint(remote) is { } peer)
                {
                    transport.OnDtls(peer, datagram);
                }
                else
                {
                    metrics.Dropped();
                }

                break;
            case PacketKind.Rtp or PacketKind.Rtcp:
                if (registry.FindByEndpoint(remote) is { } sender)
                {
                    forwarder.OnSrtp(sender, datagram, kind);
                }
                else
                {
                    metrics.Dropped();
                }

                break;
            default:
                metrics.Dropped();
                break;
        }
    }

    public void OnFrame(IceTcpConnection connection, Span<byte> frame)
    {
        input.DatagramArrived = System.Diagnostics.Stopwatch.GetTimestamp();
        metrics.In(frame.Length);
        var kind = PacketDemux.Classify(frame);
        switch (kind)
        {
            case PacketKind.Stun:
                transport.OnStun(frame, connection.Remote, connection);
                break;
            case PacketKind.Dtls:
                // Only on the peer's selected path, as on UDP: nothing from elsewhere reaches DTLS.
                if (connection.Peer is { } peer && ReferenceEquals(peer.Path?.Tcp, connection))
                {
                    transport.OnDtls(peer, frame);
                }
                else
                {
                    metrics.Dropped();
                }

                break;
            case PacketKind.Rtp or PacketKind.Rtcp:
                if (connection.Peer is { } sender && ReferenceEquals(sender.Path?.Tcp, connection))
                {
                    forwarder.OnSrtp(sender, frame, kind);
                }
                else
                {
                    metrics.Dropped();
                }

                break;
            default:
                metrics.Dropped();
                break;
        }
    }

    // The connection that carried a peer's media is gone: so is the peer's path (browsers do not reconnect an ICE-TCP
    // pair; a new offer is the way back).
    public void OnConnectionClosed(IceTcpConnection connection)
    {
        if (connection.Peer is { } peer && ReferenceEquals(peer.Path?.Tcp, connection))
        {
            transport.Close(peer, "ice-tcp connection closed");
        }
    }
}

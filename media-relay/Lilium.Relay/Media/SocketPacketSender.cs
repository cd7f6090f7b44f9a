using System.Net;
using System.Net.Sockets;
using Lilium.Relay.Observability;

namespace Lilium.Relay.Media;

/// <summary>
/// The plain send path of the media socket: fanned-out packets go into the slots of a <see cref="UdpBatchSender"/>
/// (one <c>sendmmsg</c> per dispatched datagram) or, for a peer on ICE-TCP, straight into its connection's bounded
/// queue; one-off packets go through <see cref="Socket.SendTo(ReadOnlySpan{byte}, SocketFlags, EndPoint)"/> or the
/// connection. A packet the kernel or a full TCP queue refuses is dropped, as a network would drop it.
/// </summary>
internal sealed class SocketPacketSender : IPacketSender, IDisposable
{
    private readonly Socket _socket;
    private readonly UdpBatchSender _batch;
    private readonly RelayMetrics _metrics;

    public SocketPacketSender(Socket socket, RelayMetrics metrics, bool useSendMmsg)
    {
        _socket = socket;
        _metrics = metrics;
        _batch = new UdpBatchSender(socket, flushed: metrics.Out, useSendMmsg: useSendMmsg);
    }

    public Span<byte> Reserve() => _batch.Reserve();

    public void Commit(MediaPeer peer, PeerPath path, int length)
    {
        if (path.Tcp is { } tcp)
        {
            // The reserved slot was not committed to the batch, so the next Reserve reuses it.
            if (tcp.TrySend(_batch.Reserve()[..length]))
            {
                _metrics.Out(length);
            }

            return;
        }

        _batch.Commit(length, path.Remote);
    }

    public void Flush() => _batch.Flush();

    public void Send(PeerPath path, ReadOnlySpan<byte> packet)
    {
        if (path.Tcp is not { } tcp)
        {
            SendDatagram(path.Remote, packet);
        }
        else if (tcp.TrySend(packet))
        {
            _metrics.Out(packet.Length);
        }
    }

    public void SendDatagram(IPEndPoint remote, ReadOnlySpan<byte> datagram)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
            _metrics.Out(datagram.Length);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _batch.Dispose();
}

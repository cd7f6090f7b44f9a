using System.Net;

namespace Lilium.Relay.Media;

/// <summary>
/// A peer's selected path, replaced as a whole when ICE moves it, so a reader on another thread never sees the
/// address of one path with the transport of another: a UDP 5-tuple (<see cref="Tcp"/> null) or an ICE-TCP connection
/// (<see cref="Remote"/> is then the connection's remote address, for logs only).
/// </summary>
internal sealed class PeerPath(IPEndPoint remote, IceTcpConnection? tcp)
{
    public IPEndPoint Remote { get; } = remote;

    public IceTcpConnection? Tcp { get; } = tcp;

    public override string ToString() => Tcp is null ? $"udp {Remote}" : $"tcp {Remote}";
}

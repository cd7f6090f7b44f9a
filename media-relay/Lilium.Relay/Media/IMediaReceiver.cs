using System.Net;

namespace Lilium.Relay.Media;

/// <summary>
/// Where the media socket hands what it receives: every UDP datagram and every ICE-TCP frame, one at a time under the
/// media loop's lock (<see cref="MediaSocket"/>), and the end of every ICE-TCP connection.
/// </summary>
internal interface IMediaReceiver
{
    /// <summary>A datagram from <paramref name="remote"/> on the UDP port; may be decrypted in place.</summary>
    void OnDatagram(Span<byte> datagram, IPEndPoint remote);

    /// <summary>One RFC 4571 frame's payload from <paramref name="connection"/>; may be decrypted in place.</summary>
    void OnFrame(IceTcpConnection connection, Span<byte> frame);

    /// <summary>An ICE-TCP connection ended (any thread, not under the media loop's lock).</summary>
    void OnConnectionClosed(IceTcpConnection connection);
}

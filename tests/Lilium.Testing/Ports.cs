using System.Net;
using System.Net.Sockets;

namespace Lilium.Testing;

public static class Ports
{
    /// <summary>A TCP port that was free a moment ago on loopback.</summary>
    public static int FreeTcp()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A UDP port that was free a moment ago on loopback.</summary>
    public static int FreeUdp()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }
}

using System.Net;
using Lilium.WebRtc.Dtls;

namespace Lilium.WebRtc.Sdp;

/// <summary>
/// Our side of the transport for an answer: ICE credentials, DTLS fingerprint and the host candidate (UDP), plus a
/// passive TCP candidate on the same address when <see cref="TcpPort"/> is set (ICE-TCP, RFC 6544).
/// </summary>
public sealed record SdpLocalTransport(string IceUfrag, string IcePwd, DtlsFingerprint Fingerprint, IPEndPoint Candidate)
{
    /// <summary>The port of our passive ICE-TCP candidate (at <see cref="Candidate"/>'s address), or null for none.</summary>
    public int? TcpPort { get; init; }
}

namespace Lilium.WebRtc.Dtls;

/// <summary>
/// Which side of the DTLS handshake we play. The SDP <c>a=setup:active</c> side is the client
/// and sends the ClientHello; <c>passive</c> is the server (RFC 5763 §5).
/// </summary>
public enum DtlsRole
{
    Client,
    Server,
}

namespace Lilium.WebRtc.Dtls;

/// <summary>The DTLS handshake did not complete: timeout, a certificate that does not match the SDP fingerprint, no common SRTP profile, or an alert.</summary>
public sealed class DtlsHandshakeException : Exception
{
    public DtlsHandshakeException(string message)
        : base(message)
    {
    }

    public DtlsHandshakeException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

namespace Lilium.WebRtc.Sdp;

/// <summary><c>a=setup</c> (RFC 4145 §4, RFC 5763 §5): the active side is the DTLS client.</summary>
public enum SdpSetup
{
    ActPass,
    Active,
    Passive,
    HoldConn,
}

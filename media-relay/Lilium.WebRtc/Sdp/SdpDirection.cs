namespace Lilium.WebRtc.Sdp;

/// <summary>Media direction attributes (RFC 8866 §6.7); <see cref="SendRecv"/> is the default when none is given.</summary>
public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

public static class SdpDirectionExtensions
{
    public static string ToSdp(this SdpDirection direction) => direction switch
    {
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => "sendrecv",
    };

    public static bool Sends(this SdpDirection direction) => direction is SdpDirection.SendRecv or SdpDirection.SendOnly;

    public static bool Receives(this SdpDirection direction) => direction is SdpDirection.SendRecv or SdpDirection.RecvOnly;
}

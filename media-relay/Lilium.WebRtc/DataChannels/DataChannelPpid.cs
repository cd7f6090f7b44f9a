namespace Lilium.WebRtc.DataChannels;

/// <summary>SCTP payload protocol identifiers of WebRTC data channels (RFC 8831 §8).</summary>
public static class DataChannelPpid
{
    public const uint Dcep = 50;
    public const uint String = 51;
    public const uint Binary = 53;
    /// <summary>An empty string: the payload is one ignored zero byte, since SCTP cannot carry empty messages.</summary>
    public const uint StringEmpty = 56;
    public const uint BinaryEmpty = 57;
}

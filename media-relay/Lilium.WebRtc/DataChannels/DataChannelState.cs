namespace Lilium.WebRtc.DataChannels;

/// <summary>RTCDataChannelState.</summary>
public enum DataChannelState
{
    Connecting,
    Open,
    Closing,
    Closed,
}
